#include "scheduler/model_state_store.h"

namespace tailor::scheduler {

Result<std::unique_ptr<ModelStateStore>> ModelStateStore::Open(const std::string& db_path,
                                                               const Clock& clock) {
  TAILOR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(db_path));
  return std::unique_ptr<ModelStateStore>(new ModelStateStore(std::move(db), clock));
}

Status ModelStateStore::Save(const std::map<std::string, std::string>& states,
                             int64_t runs_rowid) {
  std::lock_guard lock(mu_);
  const int64_t now = ToUnixMillis(clock_.WallNow());
  return db_->InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(
        auto q, db_->Prepare("INSERT OR REPLACE INTO model_state (policy, state, runs_rowid, "
                             "saved_unix_ms) VALUES (?1, ?2, ?3, ?4)"));
    for (const auto& [policy, state] : states) {
      q.Bind(1, policy).BindBlob(2, state).Bind(3, runs_rowid).Bind(4, now);
      TAILOR_RETURN_IF_ERROR(q.Run());
    }
    return OkStatus();
  });
}

Result<std::map<std::string, ModelStateStore::Saved>> ModelStateStore::Load() {
  std::lock_guard lock(mu_);
  std::map<std::string, Saved> out;
  TAILOR_ASSIGN_OR_RETURN(auto q,
                          db_->Prepare("SELECT policy, state, runs_rowid FROM model_state"));
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out[q.ColumnText(0)] = Saved{q.ColumnText(1), q.ColumnInt64(2)};
  }
  return out;
}

}  // namespace tailor::scheduler
