#include "scheduler/run_store.h"

namespace tailor::scheduler {

Status ValidateRunReport(const v1::RunReport& r) {
  if (r.invocation_id().empty() || r.invocation_id().size() > 128) {
    return InvalidArgumentError("run report needs an invocation_id of 1..128 characters");
  }
  if (r.function_name().empty()) {
    return InvalidArgumentError("run report " + r.invocation_id() + " has no function_name");
  }
  if (r.wall_time_us() < 0 || r.user_cpu_us() < 0 || r.system_cpu_us() < 0) {
    return InvalidArgumentError("run report " + r.invocation_id() + " has negative times");
  }
  return OkStatus();
}

Result<size_t> RunStore::Insert(const std::vector<const v1::RunReport*>& reports) {
  std::lock_guard lock(mu_);
  size_t inserted = 0;
  const int64_t now_ms = ToUnixMillis(clock_.WallNow());
  Status stored = db_.InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(
        auto stmt,
        db_.Prepare("INSERT OR IGNORE INTO runs (invocation_id, function_name, "
                    "function_version, node_id, outcome, end_unix_ms, wall_time_us, "
                    "received_unix_ms, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    for (const v1::RunReport* r : reports) {
      std::string blob;
      r->SerializeToString(&blob);
      stmt.Bind(1, r->invocation_id())
          .Bind(2, r->function_name())
          .Bind(3, r->function_version())
          .Bind(4, r->node_id())
          .Bind(5, static_cast<int64_t>(r->outcome()))
          .Bind(6, r->end_unix_ms())
          .Bind(7, r->wall_time_us())
          .Bind(8, now_ms)
          .BindBlob(9, blob);
      TAILOR_RETURN_IF_ERROR(stmt.Run());
      inserted += static_cast<size_t>(db_.ChangesOfLastStatement());
    }
    return OkStatus();
  });
  TAILOR_RETURN_IF_ERROR(stored);
  return inserted;
}

Result<uint64_t> RunStore::Count() {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto stmt, db_.Prepare("SELECT COUNT(*) FROM runs"));
  TAILOR_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<uint64_t>(stmt.ColumnInt64(0)) : 0;
}

}  // namespace tailor::scheduler
