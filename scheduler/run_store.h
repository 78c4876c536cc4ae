// RunStore: every run report the scheduler has accepted, in its SQLite database.
//
// Insert is idempotent by invocation id: a report sent twice (an agent replaying its spool
// after a disconnect, a platform retrying Report) is stored once, and both sends succeed.
// Retention: at most `max_runs` raw runs are kept; the oldest (by arrival) are deleted in
// batches beyond that. Aggregated profiles are computed from the raw runs that remain.
//
// Thread-safety: all methods are safe to call concurrently (one connection, one mutex).
#pragma once

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
  // Stores the reports in one transaction. Returns, per report, whether it was new.
  Result<std::vector<bool>> Insert(const std::vector<Incoming>& reports);
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
  // REQUIRES: mu_ held.
  Status EnforceRetentionLocked();

  SqliteDb& db_;
  const Clock& clock_;
  const Options options_;
  std::mutex mu_;
  uint64_t inserts_since_check_ = 0;
};

}  // namespace tailor::scheduler
