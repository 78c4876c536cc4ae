// AsyncQueue: durable asynchronous invocations in the scheduler's SQLite file.
//
// Enqueue() commits the request (synchronous=FULL) before returning its id, so an accepted
// invocation survives a scheduler crash; a request with an idempotency key that was queued
// before (same function and key) returns that entry's id and queues nothing. A full queue
// (`max_pending`) refuses new entries with RESOURCE_EXHAUSTED and a retry hint. A dispatcher
// claims due entries (QUEUED -> RUNNING, attempts + 1), runs them through the Gateway, and
// records how it ended: SUCCEEDED (the run succeeded), FAILED with the run (its outcome, exit
// code, output and stderr are kept), FAILED without one (outcome NOT_RUN, with the error), or
// back to QUEUED with a later next-attempt time (Retry, counting the try; Defer, not counting
// it, when there was no capacity). Before each call to an agent the dispatcher records the
// attempt's invocation id (RecordAttempt), so that a restarted scheduler can tell what became
// of it.
//
// Recover() runs at start, on the entries a crash left RUNNING: one whose attempt's run report
// is stored takes its outcome from it (its output is lost: the error says so); one whose
// attempt was never sent, or whose function is idempotent, goes back to QUEUED; otherwise the
// run may still be going on its node, so the entry waits, RUNNING, for the run report until
// the function's timeout plus `reconcile_grace`. Reconcile(), called periodically, finishes
// such entries when their report arrives, and fails those whose wait ran out with outcome
// AGENT_LOST and an explanation (they may have run, and are not run again).
//
// Thread-safety: all methods are safe to call concurrently (one connection, one mutex).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/sqlite_db.h"
#include "tailor/v1/gateway.pb.h"

namespace tailor::scheduler {

class AsyncQueue {
 public:
  struct Options {
    // Invocations queued or running at once; beyond it Enqueue refuses with
    // RESOURCE_EXHAUSTED and a `retry_after` hint (0: no bound).
    int64_t max_pending = 100'000;
    // The same, per tenant (0: no bound of its own).
    int64_t max_pending_per_tenant = 10'000;
    std::chrono::milliseconds retry_after{1000};
    // After a restart, how long past the function's timeout to wait for a run report.
    std::chrono::milliseconds reconcile_grace{60'000};
  };
  static Result<std::unique_ptr<AsyncQueue>> Open(const std::string& db_path, const Clock& clock,
                                                  Options options);
  // With the default Options.
  static Result<std::unique_ptr<AsyncQueue>> Open(const std::string& db_path, const Clock& clock);

  // Queues an invocation of a function of `tenant`.
  Result<std::string> Enqueue(const v1::GatewayInvokeRequest& request, std::string_view tenant);
  // NOT_FOUND for an unknown id.
  Result<v1::AsyncResult> Get(const std::string& id);

  struct Claimed {
    std::string id;
    v1::GatewayInvokeRequest request;
    uint32_t attempts = 0;  // including this one
    int64_t created_unix_ms = 0;  // when it was accepted
    std::string tenant;
  };
  // The oldest due QUEUED entry, now RUNNING; nullopt when none is due.
  Result<std::optional<Claimed>> ClaimDue();
  // The run: SUCCEEDED when its outcome is, FAILED (with the run) otherwise.
  Status Finish(const std::string& id, const v1::GatewayInvokeResponse& response);
  // FAILED with no run: `outcome` is NOT_RUN, or AGENT_LOST when it may have run.
  Status Fail(const std::string& id, v1::RunOutcome outcome, const std::string& error);
  // Back to QUEUED after a failed try (the try counts), due again after `delay`.
  Status Retry(const std::string& id, const std::string& error, std::chrono::milliseconds delay);
  // Back to QUEUED without counting the claim as a try (it found no capacity), due again after
  // `delay`.
  Status Defer(const std::string& id, const std::string& error, std::chrono::milliseconds delay);
  // The attempt about to be sent for a RUNNING entry: committed before the agent is called.
  Status RecordAttempt(const std::string& id, const std::string& invocation_id,
                       const std::string& node_id);
  struct Recovered {
    int requeued = 0;  // back to QUEUED
    int finished = 0;  // outcome taken from a stored run report
    int awaiting = 0;  // waiting for the report of a run that may still be going
  };
  // `idempotent(function_name)` says whether a possibly-started run may run again.
  Result<Recovered> Recover(const std::function<bool(const std::string& function)>& idempotent);
  // Finishes entries awaiting a report that has arrived; fails those whose wait ran out.
  // Returns how many it settled.
  Result<int> Reconcile();

  // Completion callbacks. An entry enqueued with a callback_url is WAITING; when it finishes
  // (SUCCEEDED or FAILED, by any path) it becomes PENDING and due at once.
  struct DueCallback {
    std::string id;
    std::string function_name;
    std::string url;
    uint32_t attempts = 0;  // before this one
  };
  // The pending callback due soonest (if due by now).
  Result<std::optional<DueCallback>> NextDueCallback();
  // When the soonest pending callback is due (nullopt: none pending).
  Result<std::optional<int64_t>> NextCallbackDueUnixMs();
  // One delivery try: `state` DELIVERED or FAILED ends it; PENDING tries again after `retry`.
  Status RecordCallback(const std::string& id, v1::CallbackState state, const std::string& error,
                        std::chrono::milliseconds retry);

  struct Stats {
    int64_t queued = 0;
    int64_t running = 0;
    double oldest_queued_age_seconds = 0;
    std::optional<int64_t> next_due_unix_ms;
  };
  Result<Stats> GetStats();

 private:
  AsyncQueue(std::unique_ptr<SqliteDb> db, const Clock& clock, Options options)
      : db_(std::move(db)), clock_(clock), options_(options) {}
  // REQUIRES: mu_ held, in a transaction. RESOURCE_EXHAUSTED when the queue is full.
  Status CheckRoomLocked(std::string_view tenant);
  Status SetState(const std::string& id, v1::AsyncState state, v1::RunOutcome outcome,
                  const std::string& error, const std::string* response,
                  std::optional<int64_t> next_attempt_ms);
  // Finishes an entry from its attempt's stored run report (the output was not kept).
  Status FinishFromReport(const std::string& id, const std::string& report_blob);
  Status Requeue(const std::string& id, const std::string& why);

  std::unique_ptr<SqliteDb> db_;
  const Clock& clock_;
  const Options options_;
  std::mutex mu_;
};

}  // namespace tailor::scheduler
