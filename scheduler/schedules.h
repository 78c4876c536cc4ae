// Schedules: functions triggered on a schedule (schedule_expression.h: rate and cron, as
// EventBridge rules are), kept in the scheduler's SQLite file.
//
// FireDue(now) queues one async invocation (async_queue.h) for each schedule whose next period
// has come, with the idempotency key "schedule.NAME.PERIOD_UNIX_MS", then moves the schedule
// to its following period. The key makes a firing exactly once per period: a scheduler that
// crashes between queueing and moving on queues the same key again after its restart, which
// the queue answers with the first entry. Periods missed while the scheduler was down are not
// made up one by one: the newest one that has passed fires once (as EventBridge does not
// backfill), and how many were skipped is returned. A firing the queue refuses for a while
// (full, disk full) is tried again at the next call; one that cannot succeed (the function was
// removed) is skipped to the next period, and said in the result.
//
// Thread-safety: all methods are safe to call concurrently (one connection, one mutex).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/sqlite_db.h"
#include "scheduler/async_queue.h"
#include "tailor/v1/registry.pb.h"

namespace tailor::scheduler {

class Schedules {
 public:
  // `db_path` must already be migrated.
  static Result<std::unique_ptr<Schedules>> Open(const std::string& db_path, const Clock& clock);

  // INVALID_ARGUMENT for a bad name, expression or payload; ALREADY_EXISTS for a taken name.
  // The schedule's first period is the expression's first time after now.
  Result<v1::Schedule> Create(const v1::Schedule& schedule, const std::string& tenant);
  Result<std::vector<v1::Schedule>> List();
  // NOT_FOUND when there is none.
  Result<v1::Schedule> Get(const std::string& name);
  Status Delete(const std::string& name);

  struct Fired {
    int queued = 0;           // invocations queued (or found queued by their key)
    int skipped_periods = 0;  // missed periods not made up
    int failed = 0;           // firings refused for good (skipped to the next period)
    int deferred = 0;         // firings the queue refused for now (tried again next time)
  };
  Result<Fired> FireDue(AsyncQueue& queue);

 private:
  Schedules(std::unique_ptr<SqliteDb> db, const Clock& clock) : db_(std::move(db)), clock_(clock) {}
  // The schedules whose next period is at or before `due_by_unix_ms`, by name.
  Result<std::vector<v1::Schedule>> Select(int64_t due_by_unix_ms);
  Status Advance(const std::string& name, int64_t period_ms, int64_t next_ms,
                 const std::string& invocation_id);

  std::unique_ptr<SqliteDb> db_;  // guarded by mu_
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace tailor::scheduler
