#include "scheduler/schedules.h"

#include <limits>

#include "common/logging.h"
#include "common/names.h"
#include "scheduler/schedule_expression.h"

namespace tailor::scheduler {
namespace {

constexpr uint64_t kMaxSchedulePayloadBytes = 256 << 10;  // as Lambda's async events
constexpr char kColumns[] =
    "name, tenant, function_name, function_version, expression, payload, created_unix_ms, "
    "next_fire_unix_ms, last_fired_unix_ms, last_invocation_id";

v1::Schedule Row(const SqliteStatement& q) {
  v1::Schedule s;
  s.set_name(q.ColumnText(0));
  s.set_tenant(q.ColumnText(1));
  s.set_function_name(q.ColumnText(2));
  s.set_function_version(q.ColumnText(3));
  s.set_expression(q.ColumnText(4));
  s.set_payload(q.ColumnText(5));
  s.set_created_unix_ms(q.ColumnInt64(6));
  s.set_next_fire_unix_ms(q.ColumnInt64(7));
  s.set_last_fired_unix_ms(q.ColumnInt64(8));
  s.set_last_invocation_id(q.ColumnText(9));
  return s;
}

Status Check(const v1::Schedule& s) {
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kId, s.name(), "schedule.name"));
  TAILOR_RETURN_IF_ERROR(
      CheckName(NameKind::kFunction, s.function_name(), "schedule.function_name"));
  if (!s.function_version().empty()) {
    TAILOR_RETURN_IF_ERROR(
        CheckName(NameKind::kVersion, s.function_version(), "schedule.function_version"));
  }
  if (s.payload().size() > kMaxSchedulePayloadBytes) {
    return InvalidArgumentError("schedule.payload is more than 256 KiB")
        .WithField("schedule.payload");
  }
  return OkStatus();
}

// Whether a queue's refusal may pass (then the firing is tried again, not skipped).
bool MayPass(const Status& s) {
  return s.code() == StatusCode::kResourceExhausted || s.code() == StatusCode::kUnavailable ||
         s.reason() == ErrorReason::kStorageFull;
}

}  // namespace

Result<std::unique_ptr<Schedules>> Schedules::Open(const std::string& db_path, const Clock& clock) {
  TAILOR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(db_path));
  return std::unique_ptr<Schedules>(new Schedules(std::move(db), clock));
}

Result<v1::Schedule> Schedules::Create(const v1::Schedule& in, const std::string& tenant) {
  TAILOR_RETURN_IF_ERROR(Check(in));
  TAILOR_ASSIGN_OR_RETURN(const ScheduleExpression expr,
                          ScheduleExpression::Parse(in.expression()));
  v1::Schedule s = in;
  const WallTime now = clock_.WallNow();
  s.set_tenant(tenant);
  s.set_created_unix_ms(ToUnixMillis(now));
  s.set_next_fire_unix_ms(ToUnixMillis(expr.Next(now, now)));
  s.set_last_fired_unix_ms(0);
  s.clear_last_invocation_id();
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto ins,
                          db_->Prepare(std::string("INSERT INTO schedules (") + kColumns +
                                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, '')"));
  ins.Bind(1, s.name())
      .Bind(2, s.tenant())
      .Bind(3, s.function_name())
      .Bind(4, s.function_version())
      .Bind(5, s.expression())
      .BindBlob(6, s.payload())
      .Bind(7, s.created_unix_ms())
      .Bind(8, s.next_fire_unix_ms());
  Status inserted = ins.Run();
  if (inserted.code() == StatusCode::kAlreadyExists) {
    return AlreadyExistsError("a schedule is already named " + Excerpt(s.name()));
  }
  TAILOR_RETURN_IF_ERROR(inserted);
  return s;
}

Result<std::vector<v1::Schedule>> Schedules::Select(int64_t due_by_unix_ms) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto q, db_->Prepare(std::string("SELECT ") + kColumns +
                                               " FROM schedules WHERE next_fire_unix_ms <= ?1 "
                                               "ORDER BY name"));
  q.Bind(1, due_by_unix_ms);
  std::vector<v1::Schedule> out;
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return out;
    out.push_back(Row(q));
  }
}

Result<std::vector<v1::Schedule>> Schedules::List() {
  return Select(std::numeric_limits<int64_t>::max());
}

Result<v1::Schedule> Schedules::Get(const std::string& name) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(
      auto q, db_->Prepare(std::string("SELECT ") + kColumns + " FROM schedules WHERE name = ?1"));
  q.Bind(1, name);
  TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFoundError("no schedule named " + Excerpt(name));
  return Row(q);
}

Status Schedules::Delete(const std::string& name) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM schedules WHERE name = ?1"));
  del.Bind(1, name);
  TAILOR_RETURN_IF_ERROR(del.Run());
  if (db_->ChangesOfLastStatement() == 0)
    return NotFoundError("no schedule named " + Excerpt(name));
  return OkStatus();
}

Status Schedules::Advance(const std::string& name, int64_t period_ms, int64_t next_ms,
                          const std::string& invocation_id) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(
      auto upd,
      db_->Prepare("UPDATE schedules SET next_fire_unix_ms = ?1, last_fired_unix_ms = ?2, "
                   "last_invocation_id = ?3 WHERE name = ?4"));
  upd.Bind(1, next_ms).Bind(2, period_ms).Bind(3, invocation_id).Bind(4, name);
  return upd.Run();
}

Result<Schedules::Fired> Schedules::FireDue(AsyncQueue& queue) {
  Fired fired;
  const WallTime now = clock_.WallNow();
  // Only the due ones are read (index schedules_due): this runs several times a second.
  TAILOR_ASSIGN_OR_RETURN(const std::vector<v1::Schedule> due, Select(ToUnixMillis(now)));
  for (const v1::Schedule& s : due) {
    auto expr = ScheduleExpression::Parse(s.expression());
    if (!expr.ok()) continue;  // checked at Create; a hand-edited row is left alone
    // The newest period that has passed; the ones before it were missed.
    const WallTime anchor = FromUnixMillis(s.created_unix_ms());
    WallTime period = FromUnixMillis(s.next_fire_unix_ms());
    for (WallTime next = expr->Next(period, anchor); next <= now;
         next = expr->Next(period, anchor)) {
      period = next;
      ++fired.skipped_periods;
    }
    const int64_t period_ms = ToUnixMillis(period);
    v1::GatewayInvokeRequest request;
    request.set_function_name(s.function_name());
    request.set_function_version(s.function_version());
    request.set_payload(s.payload());
    request.set_idempotency_key("schedule." + s.name() + "." + std::to_string(period_ms));
    auto id = queue.Enqueue(request, s.tenant());
    if (!id.ok() && MayPass(id.status())) {
      ++fired.deferred;
      continue;
    }
    if (id.ok()) {
      ++fired.queued;
    } else {
      ++fired.failed;
      log::Warn("a schedule's firing was refused; it waits for its next period",
                {{"schedule", s.name()}, {"error", id.status()}});
    }
    TAILOR_RETURN_IF_ERROR(
        Advance(s.name(), period_ms, ToUnixMillis(expr->Next(period, anchor)), id.ok() ? *id : ""));
  }
  return fired;
}

}  // namespace tailor::scheduler
