#include "scheduler/async_queue.h"

#include "common/random_id.h"
#include "scheduler/outcome_description.h"

namespace tailor::scheduler {

Result<std::unique_ptr<AsyncQueue>> AsyncQueue::Open(const std::string& db_path, const Clock& clock,
                                                     Options options) {
  TAILOR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(db_path));
  return std::unique_ptr<AsyncQueue>(new AsyncQueue(std::move(db), clock, options));
}

Result<std::unique_ptr<AsyncQueue>> AsyncQueue::Open(const std::string& db_path,
                                                     const Clock& clock) {
  return Open(db_path, clock, Options());
}

Status AsyncQueue::CheckRoomLocked(std::string_view tenant) {
  if (options_.max_pending_per_tenant > 0) {
    TAILOR_ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT COUNT(*) FROM async_invocations "
                                                 "WHERE tenant = ?3 AND state IN (?1, ?2)"));
    q.Bind(1, static_cast<int64_t>(v1::ASYNC_STATE_QUEUED));
    q.Bind(2, static_cast<int64_t>(v1::ASYNC_STATE_RUNNING));
    q.Bind(3, tenant);
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row && q.ColumnInt64(0) >= options_.max_pending_per_tenant) {
      return ResourceExhaustedError("tenant " + std::string(tenant) + " has " +
                                    std::to_string(options_.max_pending_per_tenant) +
                                    " async invocations waiting or running, its limit")
          .WithRetryAfter(options_.retry_after);
    }
  }
  if (options_.max_pending <= 0) return OkStatus();
  TAILOR_ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT COUNT(*) FROM async_invocations "
                                               "WHERE state IN (?1, ?2)"));
  q.Bind(1, static_cast<int64_t>(v1::ASYNC_STATE_QUEUED));
  q.Bind(2, static_cast<int64_t>(v1::ASYNC_STATE_RUNNING));
  TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
  if (row && q.ColumnInt64(0) >= options_.max_pending) {
    return ResourceExhaustedError("the async queue is full (" +
                                  std::to_string(options_.max_pending) +
                                  " invocations waiting or running)")
        .WithRetryAfter(options_.retry_after);
  }
  return OkStatus();
}

Result<std::string> AsyncQueue::Enqueue(const v1::GatewayInvokeRequest& request,
                                        std::string_view tenant) {
  std::string id = RandomId();
  const int64_t now = ToUnixMillis(clock_.WallNow());
  std::lock_guard lock(mu_);
  TAILOR_RETURN_IF_ERROR(db_->InTransaction([&]() -> Status {
    if (!request.idempotency_key().empty()) {
      TAILOR_ASSIGN_OR_RETURN(
          auto q, db_->Prepare("SELECT id FROM async_invocations "
                               "WHERE function_name = ?1 AND idempotency_key = ?2"));
      q.Bind(1, request.function_name()).Bind(2, request.idempotency_key());
      TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
      if (row) {
        id = q.ColumnText(0);  // queued before: the same invocation
        return OkStatus();
      }
    }
    TAILOR_RETURN_IF_ERROR(CheckRoomLocked(tenant));
    TAILOR_ASSIGN_OR_RETURN(
        auto q, db_->Prepare("INSERT INTO async_invocations (id, function_name, function_version, "
                             "payload, timeout_ms, policy, state, next_attempt_unix_ms, "
                             "created_unix_ms, updated_unix_ms, idempotency_key, callback_url, "
                             "callback_state, tenant) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8, ?9, ?10, ?11, ?12)"));
    q.Bind(1, id).Bind(2, request.function_name()).Bind(3, request.function_version());
    q.BindBlob(4, request.payload()).Bind(5, static_cast<int64_t>(request.timeout_ms()));
    q.Bind(6, request.policy()).Bind(7, static_cast<int64_t>(v1::ASYNC_STATE_QUEUED)).Bind(8, now);
    q.Bind(12, tenant);
    if (request.idempotency_key().empty()) {
      q.BindNull(9);
    } else {
      q.Bind(9, request.idempotency_key());
    }
    if (request.callback_url().empty()) {
      q.BindNull(10).Bind(11, static_cast<int64_t>(v1::CALLBACK_STATE_UNSPECIFIED));
    } else {
      q.Bind(10, request.callback_url()).Bind(11, static_cast<int64_t>(v1::CALLBACK_STATE_WAITING));
    }
    return q.Run();
  }));
  return id;
}

Result<v1::AsyncResult> AsyncQueue::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto q,
                          db_->Prepare("SELECT function_name, state, attempts, error, response, "
                                       "created_unix_ms, updated_unix_ms, outcome, callback_url, "
                                       "callback_state, callback_attempts, callback_error, "
                                       "callback_delivered_unix_ms, tenant FROM async_invocations "
                                       "WHERE id = ?1"));
  q.Bind(1, id);
  TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFoundError("no async invocation '" + id + "'");
  v1::AsyncResult r;
  r.set_id(id);
  r.set_function_name(q.ColumnText(0));
  r.set_state(static_cast<v1::AsyncState>(q.ColumnInt64(1)));
  r.set_attempts(static_cast<uint32_t>(q.ColumnInt64(2)));
  r.set_error(q.ColumnText(3));
  if (!q.ColumnIsNull(4) && !r.mutable_response()->ParseFromString(q.ColumnText(4))) {
    return DataLossError("stored response of async invocation '" + id + "' does not parse");
  }
  r.set_created_unix_ms(q.ColumnInt64(5));
  r.set_updated_unix_ms(q.ColumnInt64(6));
  r.set_tenant(q.ColumnText(13));
  const int64_t outcome = q.ColumnInt64(7);
  r.set_outcome(v1::RunOutcome_IsValid(static_cast<int>(outcome))
                    ? static_cast<v1::RunOutcome>(outcome)
                    : v1::RUN_OUTCOME_UNSPECIFIED);
  if (!q.ColumnIsNull(8)) {
    v1::CallbackDelivery* cb = r.mutable_callback();
    cb->set_url(q.ColumnText(8));
    const int64_t state = q.ColumnInt64(9);
    cb->set_state(v1::CallbackState_IsValid(static_cast<int>(state))
                      ? static_cast<v1::CallbackState>(state)
                      : v1::CALLBACK_STATE_UNSPECIFIED);
    cb->set_attempts(static_cast<uint32_t>(q.ColumnInt64(10)));
    cb->set_last_error(q.ColumnText(11));
    cb->set_delivered_unix_ms(q.ColumnInt64(12));
  }
  if (r.has_response()) {
    // Entries finished before outcomes were stored take it from their run.
    if (r.outcome() == v1::RUN_OUTCOME_UNSPECIFIED) r.set_outcome(r.response().report().outcome());
    r.set_exit_code(r.response().report().exit_code());
    r.set_stderr_tail(r.response().stderr_tail());
    r.set_node_id(r.response().node_id());
  }
  return r;
}

Result<std::optional<AsyncQueue::Claimed>> AsyncQueue::ClaimDue() {
  const int64_t now = ToUnixMillis(clock_.WallNow());
  std::lock_guard lock(mu_);
  std::optional<Claimed> claimed;
  Status s = db_->InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(
        auto q, db_->Prepare("SELECT id, function_name, function_version, payload, timeout_ms, "
                             "policy, attempts, created_unix_ms, tenant FROM async_invocations "
                             "WHERE state = ?1 AND next_attempt_unix_ms <= ?2 "
                             "ORDER BY next_attempt_unix_ms, created_unix_ms LIMIT 1"));
    q.Bind(1, static_cast<int64_t>(v1::ASYNC_STATE_QUEUED)).Bind(2, now);
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return OkStatus();
    Claimed c;
    c.id = q.ColumnText(0);
    c.request.set_function_name(q.ColumnText(1));
    c.request.set_function_version(q.ColumnText(2));
    c.request.set_payload(q.ColumnText(3));
    c.request.set_timeout_ms(static_cast<uint32_t>(q.ColumnInt64(4)));
    c.request.set_policy(q.ColumnText(5));
    c.attempts = static_cast<uint32_t>(q.ColumnInt64(6)) + 1;
    c.created_unix_ms = q.ColumnInt64(7);
    c.tenant = q.ColumnText(8);
    q.Reset();  // a statement mid-result would block COMMIT
    TAILOR_ASSIGN_OR_RETURN(
        auto u, db_->Prepare("UPDATE async_invocations SET state = ?2, attempts = ?3, "
                             "updated_unix_ms = ?4, invocation_id = NULL, node_id = NULL, "
                             "reconcile_until_unix_ms = NULL WHERE id = ?1"));
    u.Bind(1, c.id).Bind(2, static_cast<int64_t>(v1::ASYNC_STATE_RUNNING));
    u.Bind(3, static_cast<int64_t>(c.attempts)).Bind(4, now);
    TAILOR_RETURN_IF_ERROR(u.Run());
    claimed = std::move(c);
    return OkStatus();
  });
  TAILOR_RETURN_IF_ERROR(s);
  return claimed;
}

Status AsyncQueue::SetState(const std::string& id, v1::AsyncState state, v1::RunOutcome outcome,
                            const std::string& error, const std::string* response,
                            std::optional<int64_t> next_attempt_ms) {
  const int64_t now = ToUnixMillis(clock_.WallNow());
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(
      auto u,
      db_->Prepare("UPDATE async_invocations SET state = ?2, error = ?3, "
                   "response = COALESCE(?4, response), "
                   "next_attempt_unix_ms = COALESCE(?5, next_attempt_unix_ms), "
                   "updated_unix_ms = ?6, outcome = ?7, "
                   // A finished invocation's callback becomes due.
                   "callback_state = CASE WHEN ?2 IN (?8, ?9) AND callback_state = ?10 THEN ?11 "
                   "ELSE callback_state END, callback_next_unix_ms = ?6 WHERE id = ?1"));
  u.Bind(1, id).Bind(2, static_cast<int64_t>(state)).Bind(3, error);
  u.Bind(7, static_cast<int64_t>(outcome));
  if (response) {
    u.BindBlob(4, *response);
  } else {
    u.BindNull(4);
  }
  if (next_attempt_ms) {
    u.Bind(5, *next_attempt_ms);
  } else {
    u.BindNull(5);
  }
  u.Bind(6, now);
  u.Bind(8, static_cast<int64_t>(v1::ASYNC_STATE_SUCCEEDED));
  u.Bind(9, static_cast<int64_t>(v1::ASYNC_STATE_FAILED));
  u.Bind(10, static_cast<int64_t>(v1::CALLBACK_STATE_WAITING));
  u.Bind(11, static_cast<int64_t>(v1::CALLBACK_STATE_PENDING));
  return u.Run();
}

Result<std::optional<AsyncQueue::DueCallback>> AsyncQueue::NextDueCallback() {
  const int64_t now = ToUnixMillis(clock_.WallNow());
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(
      auto q, db_->Prepare("SELECT id, function_name, callback_url, callback_attempts "
                           "FROM async_invocations WHERE callback_state = ?1 AND "
                           "callback_next_unix_ms <= ?2 ORDER BY callback_next_unix_ms LIMIT 1"));
  q.Bind(1, static_cast<int64_t>(v1::CALLBACK_STATE_PENDING)).Bind(2, now);
  TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<DueCallback>();
  return std::optional<DueCallback>(DueCallback{q.ColumnText(0), q.ColumnText(1), q.ColumnText(2),
                                                static_cast<uint32_t>(q.ColumnInt64(3))});
}

Result<std::optional<int64_t>> AsyncQueue::NextCallbackDueUnixMs() {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT MIN(callback_next_unix_ms) FROM "
                                               "async_invocations WHERE callback_state = ?1"));
  q.Bind(1, static_cast<int64_t>(v1::CALLBACK_STATE_PENDING));
  TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row || q.ColumnIsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(q.ColumnInt64(0));
}

Status AsyncQueue::RecordCallback(const std::string& id, v1::CallbackState state,
                                  const std::string& error, std::chrono::milliseconds retry) {
  const int64_t now = ToUnixMillis(clock_.WallNow());
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(
      auto u, db_->Prepare("UPDATE async_invocations SET callback_state = ?2, callback_error = ?3, "
                           "callback_attempts = callback_attempts + 1, "
                           "callback_next_unix_ms = ?4, callback_delivered_unix_ms = ?5 "
                           "WHERE id = ?1"));
  u.Bind(1, id).Bind(2, static_cast<int64_t>(state)).Bind(3, error);
  u.Bind(4, now + retry.count());
  u.Bind(5, state == v1::CALLBACK_STATE_DELIVERED ? now : int64_t{0});
  return u.Run();
}

Status AsyncQueue::Finish(const std::string& id, const v1::GatewayInvokeResponse& response) {
  std::string blob;
  response.SerializeToString(&blob);
  const bool succeeded = response.outcome() == v1::RUN_OUTCOME_SUCCEEDED;
  return SetState(id, succeeded ? v1::ASYNC_STATE_SUCCEEDED : v1::ASYNC_STATE_FAILED,
                  response.outcome(), response.error(), &blob, std::nullopt);
}

Status AsyncQueue::Fail(const std::string& id, v1::RunOutcome outcome, const std::string& error) {
  return SetState(id, v1::ASYNC_STATE_FAILED, outcome, error, nullptr, std::nullopt);
}

Status AsyncQueue::Retry(const std::string& id, const std::string& error,
                         std::chrono::milliseconds delay) {
  return SetState(id, v1::ASYNC_STATE_QUEUED, v1::RUN_OUTCOME_UNSPECIFIED, error, nullptr,
                  ToUnixMillis(clock_.WallNow()) + delay.count());
}

Status AsyncQueue::Defer(const std::string& id, const std::string& error,
                         std::chrono::milliseconds delay) {
  const int64_t now = ToUnixMillis(clock_.WallNow());
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(
      auto u, db_->Prepare("UPDATE async_invocations SET state = ?2, error = ?3, "
                           "attempts = MAX(attempts - 1, 0), next_attempt_unix_ms = ?4, "
                           "updated_unix_ms = ?5, outcome = ?6 WHERE id = ?1"));
  u.Bind(1, id).Bind(2, static_cast<int64_t>(v1::ASYNC_STATE_QUEUED)).Bind(3, error);
  u.Bind(4, now + delay.count()).Bind(5, now);
  u.Bind(6, static_cast<int64_t>(v1::RUN_OUTCOME_UNSPECIFIED));
  return u.Run();
}

Status AsyncQueue::RecordAttempt(const std::string& id, const std::string& invocation_id,
                                 const std::string& node_id) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(
      auto u, db_->Prepare("UPDATE async_invocations SET invocation_id = ?2, node_id = ?3 "
                           "WHERE id = ?1 AND state = ?4"));
  u.Bind(1, id).Bind(2, invocation_id).Bind(3, node_id);
  u.Bind(4, static_cast<int64_t>(v1::ASYNC_STATE_RUNNING));
  return u.Run();
}

Status AsyncQueue::FinishFromReport(const std::string& id, const std::string& report_blob) {
  v1::GatewayInvokeResponse response;
  if (!response.mutable_report()->ParseFromString(report_blob)) {
    return DataLossError("the stored run report of async invocation '" + id + "' does not parse");
  }
  const v1::RunReport& report = response.report();
  response.set_node_id(report.node_id());
  response.set_decision_id(report.decision_id());
  response.set_outcome(report.outcome());
  const std::string why = DescribeOutcome(report, false);
  response.set_error((why.empty() ? "" : why + "; ") +
                     "its output was lost: the scheduler restarted while it ran (its run report "
                     "was kept)");
  std::string blob;
  response.SerializeToString(&blob);
  const bool succeeded = report.outcome() == v1::RUN_OUTCOME_SUCCEEDED;
  return SetState(id, succeeded ? v1::ASYNC_STATE_SUCCEEDED : v1::ASYNC_STATE_FAILED,
                  report.outcome(), response.error(), &blob, std::nullopt);
}

Status AsyncQueue::Requeue(const std::string& id, const std::string& why) {
  return SetState(id, v1::ASYNC_STATE_QUEUED, v1::RUN_OUTCOME_UNSPECIFIED, why, nullptr,
                  ToUnixMillis(clock_.WallNow()));
}

Result<AsyncQueue::Recovered> AsyncQueue::Recover(
    const std::function<bool(const std::string&)>& idempotent) {
  struct Left {
    std::string id, function, invocation_id, node_id;
    int64_t timeout_ms = 0;
    std::optional<std::string> report;
  };
  std::vector<Left> left;
  {
    std::lock_guard lock(mu_);
    TAILOR_ASSIGN_OR_RETURN(
        auto q, db_->Prepare("SELECT a.id, a.function_name, a.invocation_id, a.node_id, "
                             "a.timeout_ms, r.report FROM async_invocations a LEFT JOIN runs r "
                             "ON r.invocation_id = a.invocation_id WHERE a.state = ?1"));
    q.Bind(1, static_cast<int64_t>(v1::ASYNC_STATE_RUNNING));
    while (true) {
      TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      Left l{q.ColumnText(0), q.ColumnText(1),  q.ColumnText(2),
             q.ColumnText(3), q.ColumnInt64(4), std::nullopt};
      if (!q.ColumnIsNull(5)) l.report = q.ColumnText(5);
      left.push_back(std::move(l));
    }
  }
  Recovered out;
  const int64_t now = ToUnixMillis(clock_.WallNow());
  for (const Left& l : left) {
    if (l.report) {
      TAILOR_RETURN_IF_ERROR(FinishFromReport(l.id, *l.report));
      ++out.finished;
    } else if (l.invocation_id.empty()) {
      TAILOR_RETURN_IF_ERROR(
          Requeue(l.id, "requeued after a scheduler restart; it had not been sent to a node"));
      ++out.requeued;
    } else if (idempotent(l.function)) {
      TAILOR_RETURN_IF_ERROR(Requeue(l.id, "requeued after a scheduler restart"));
      ++out.requeued;
    } else {
      const int64_t until =
          now + std::max<int64_t>(l.timeout_ms, 0) + options_.reconcile_grace.count();
      std::lock_guard lock(mu_);
      TAILOR_ASSIGN_OR_RETURN(
          auto u, db_->Prepare("UPDATE async_invocations SET reconcile_until_unix_ms = ?2, "
                               "error = ?3, updated_unix_ms = ?4 WHERE id = ?1"));
      u.Bind(1, l.id).Bind(2, until).Bind(4, now);
      u.Bind(3, "the scheduler restarted while this ran on node " + l.node_id +
                    "; waiting for its run report");
      TAILOR_RETURN_IF_ERROR(u.Run());
      ++out.awaiting;
    }
  }
  return out;
}

Result<int> AsyncQueue::Reconcile() {
  struct Awaiting {
    std::string id, function, node_id;
    int64_t until_ms = 0;
    std::optional<std::string> report;
  };
  std::vector<Awaiting> awaiting;
  {
    std::lock_guard lock(mu_);
    TAILOR_ASSIGN_OR_RETURN(
        auto q, db_->Prepare("SELECT a.id, a.function_name, a.node_id, "
                             "a.reconcile_until_unix_ms, r.report FROM async_invocations a "
                             "LEFT JOIN runs r ON r.invocation_id = a.invocation_id "
                             "WHERE a.state = ?1 AND a.reconcile_until_unix_ms IS NOT NULL"));
    q.Bind(1, static_cast<int64_t>(v1::ASYNC_STATE_RUNNING));
    while (true) {
      TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      Awaiting a{q.ColumnText(0), q.ColumnText(1), q.ColumnText(2), q.ColumnInt64(3), std::nullopt};
      if (!q.ColumnIsNull(4)) a.report = q.ColumnText(4);
      awaiting.push_back(std::move(a));
    }
  }
  int settled = 0;
  const int64_t now = ToUnixMillis(clock_.WallNow());
  for (const Awaiting& a : awaiting) {
    if (a.report) {
      TAILOR_RETURN_IF_ERROR(FinishFromReport(a.id, *a.report));
      ++settled;
    } else if (now >= a.until_ms) {
      TAILOR_RETURN_IF_ERROR(
          Fail(a.id, v1::RUN_OUTCOME_AGENT_LOST,
               "the scheduler restarted while this invocation ran on node " + a.node_id +
                   ", and no run report came from it in time; it may have run, and '" + a.function +
                   "' is not marked idempotent, so it was not run again"));
      ++settled;
    }
  }
  return settled;
}

Result<AsyncQueue::Stats> AsyncQueue::GetStats() {
  const int64_t now = ToUnixMillis(clock_.WallNow());
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(
      auto q, db_->Prepare("SELECT state, COUNT(*), MIN(created_unix_ms), "
                           "MIN(next_attempt_unix_ms) FROM async_invocations "
                           "WHERE state IN (?1, ?2) GROUP BY state"));
  q.Bind(1, static_cast<int64_t>(v1::ASYNC_STATE_QUEUED));
  q.Bind(2, static_cast<int64_t>(v1::ASYNC_STATE_RUNNING));
  Stats stats;
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    if (q.ColumnInt64(0) == v1::ASYNC_STATE_QUEUED) {
      stats.queued = q.ColumnInt64(1);
      stats.oldest_queued_age_seconds = std::max<int64_t>(0, now - q.ColumnInt64(2)) / 1000.0;
      stats.next_due_unix_ms = q.ColumnInt64(3);
    } else {
      stats.running = q.ColumnInt64(1);
    }
  }
  return stats;
}

}  // namespace tailor::scheduler
