// RunStore: every run report the scheduler has accepted, in its SQLite database.
//
// Insert is idempotent by invocation id: a report sent twice (an agent replaying its spool
// after a disconnect, a platform retrying Report) is stored once, and both sends succeed.
// Insert commits in groups: each commit syncs scheduler.db's log to the disk (about a
// millisecond on the dev VMs), and the batches other callers bring meanwhile wait and are
// committed together in the next transaction, each caller answered with its own verdicts once
// its batch is on the disk. If a group's transaction fails, each of its batches is tried again
// alone, so one batch's failure is its own.
// Retention: at most `max_runs` raw runs are kept; the oldest (by arrival) are deleted in
// batches beyond that. Aggregated profiles are computed from the raw runs that remain.
//
// Thread-safety: all methods are safe to call concurrently (one connection, one mutex).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/sqlite_db.h"
#include "tailor/v1/run_report.pb.h"

namespace tailor::scheduler {

class RunStore {
 public:
  struct Options {
    uint64_t max_runs = 1'000'000;
  };
  RunStore(SqliteDb& db, const Clock& clock, Options options)
      : db_(db), clock_(clock), options_(options) {}
  RunStore(SqliteDb& db, const Clock& clock) : RunStore(db, clock, Options()) {}

  struct Incoming {
    const v1::RunReport* report;
    std::string host_class;
  };
  // Stores the reports in one transaction (with other callers' batches). Returns, per report,
  // whether it was new.
  Result<std::vector<bool>> Insert(const std::vector<Incoming>& reports);
  // Transactions Insert has committed (a group of batches each).
  uint64_t commits();
  // For tests: batches waiting for the transaction under way to end; and a hook called with
  // the number of batches in each group before its transaction (set before the store is
  // shared between threads).
  size_t waiting();
  void SetCommitHook(std::function<void(size_t batches)> hook) { commit_hook_ = std::move(hook); }
  Result<uint64_t> Count();

  struct StoredRun {
    std::string host_class;
    v1::RunReport report;
  };
  // The newest `limit` runs of a function, newest first.
  Result<std::vector<StoredRun>> RunsOf(const std::string& function_name, size_t limit);
  // The newest `limit` runs of all functions stored after row `after_rowid`, oldest first (to
  // replay them in order).
  Result<std::vector<StoredRun>> Recent(size_t limit, int64_t after_rowid = 0);
  // The row id of the newest stored run (0 for none).
  Result<int64_t> NewestRowid();

 private:
  // One caller's batch, and its verdicts once its group is done.
  struct Pending {
    const std::vector<Incoming>* reports;
    Result<std::vector<bool>> result = InternalError("not committed");
    bool done = false;
  };
  // Commits the group's batches in one transaction (each alone if that fails) and sets each
  // one's result.
  void CommitGroup(const std::vector<Pending*>& group);
  // REQUIRES: mu_ held, inside a transaction. Inserts one batch with `insert`.
  Status InsertBatchLocked(SqliteStatement& insert, const std::vector<Incoming>& reports,
                           int64_t now_ms, std::vector<bool>& fresh);
  // REQUIRES: mu_ held. One transaction of `batches`; `fresh` gets each one's verdicts.
  Status CommitLocked(const std::vector<Pending*>& batches, int64_t now_ms,
                      std::vector<std::vector<bool>>& fresh);
  // REQUIRES: mu_ held.
  Status EnforceRetentionLocked();

  SqliteDb& db_;
  const Clock& clock_;
  const Options options_;
  std::function<void(size_t)> commit_hook_;
  std::mutex mu_;  // the connection
  uint64_t inserts_since_check_ = 0;
  uint64_t commits_ = 0;
  // The group commit: batches waiting, and whether a caller is committing a group.
  std::mutex queue_mu_;  // never held with mu_
  std::condition_variable queue_cv_;
  std::vector<Pending*> queue_;
  bool committing_ = false;
};

}  // namespace tailor::scheduler
