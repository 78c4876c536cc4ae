#include "scheduler/model_state_store.h"

#include <cstdio>

#include "common/file_util.h"
#include "common/logging.h"
#include "scheduler/database_guard.h"

namespace tailor::scheduler {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS model_state (
  policy TEXT PRIMARY KEY,
  state BLOB NOT NULL,
  runs_rowid INTEGER NOT NULL,        -- runs up to this rowid are in the state
  saved_unix_ms INTEGER NOT NULL
);
)sql";

// Opens the models' file: Tailor's (or new), undamaged, with its table.
Result<std::unique_ptr<SqliteDb>> OpenModelsFile(const std::string& path) {
  TAILOR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, Durability::kSurviveProcessCrash));
  TAILOR_RETURN_IF_ERROR(CheckOpenedDatabase(*db));
  TAILOR_RETURN_IF_ERROR(db->Exec(kSchema));
  return db;
}

// Renames the file (and its WAL and shared-memory files) out of the way.
Status SetAside(const std::string& path, const Clock& clock, std::string* aside) {
  *aside = path + ".unreadable-" + std::to_string(ToUnixMillis(clock.WallNow()));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string from = path + suffix;
    if (PathExists(from) && std::rename(from.c_str(), (*aside + suffix).c_str()) != 0) {
      return InternalError("cannot move " + from + " aside");
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<ModelStateStore>> ModelStateStore::Open(const std::string& path,
                                                               const std::string& scheduler_db_path,
                                                               const Clock& clock) {
  auto db = OpenModelsFile(path);
  const bool unreadable = !db.ok() && (db.status().code() == StatusCode::kDataLoss ||
                                       db.status().code() == StatusCode::kFailedPrecondition);
  if (unreadable) {
    std::string aside;
    TAILOR_RETURN_IF_ERROR(SetAside(path, clock, &aside));
    log::Warn("saved models unreadable; set aside, relearning from stored runs",
              {{"error", db.status()}, {"moved_to", aside}});
    db = OpenModelsFile(path);
  }
  if (!db.ok()) return db.status();
  std::unique_ptr<ModelStateStore> store(new ModelStateStore(std::move(*db), clock));
  if (Status moved = store->MoveOverFrom(scheduler_db_path); !moved.ok()) {
    log::Warn("saved models not moved out of scheduler.db; relearning from stored runs",
              {{"error", moved}});
  }
  return store;
}

Status ModelStateStore::MoveOverFrom(const std::string& scheduler_db_path) {
  TAILOR_ASSIGN_OR_RETURN(auto here, db_->Prepare("SELECT count(*) FROM model_state"));
  TAILOR_ASSIGN_OR_RETURN(bool row, here.Step());
  if (!row || here.ColumnInt64(0) > 0 || !PathExists(scheduler_db_path)) return OkStatus();
  TAILOR_ASSIGN_OR_RETURN(auto old, SqliteDb::Open(scheduler_db_path));
  TAILOR_ASSIGN_OR_RETURN(
      auto table, old->Prepare("SELECT count(*) FROM sqlite_master WHERE name = 'model_state'"));
  TAILOR_ASSIGN_OR_RETURN(bool found, table.Step());
  if (!found || table.ColumnInt64(0) == 0) return OkStatus();
  std::map<std::string, Saved> states;
  TAILOR_ASSIGN_OR_RETURN(auto q,
                          old->Prepare("SELECT policy, state, runs_rowid FROM model_state"));
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    states[q.ColumnText(0)] = Saved{q.ColumnText(1), q.ColumnInt64(2)};
  }
  if (states.empty()) return OkStatus();
  const int64_t now = ToUnixMillis(clock_.WallNow());
  TAILOR_RETURN_IF_ERROR(db_->InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare("INSERT INTO model_state (policy, state, runs_rowid, saved_unix_ms) "
                     "VALUES (?1, ?2, ?3, ?4)"));
    for (const auto& [policy, saved] : states) {
      insert.Bind(1, policy).BindBlob(2, saved.state).Bind(3, saved.runs_rowid).Bind(4, now);
      TAILOR_RETURN_IF_ERROR(insert.Run());
    }
    return OkStatus();
  }));
  log::Info("saved models moved out of scheduler.db", {{"policies", states.size()}});
  return old->Exec("DELETE FROM model_state");
}

Status ModelStateStore::Save(const std::map<std::string, std::string>& states, int64_t runs_rowid) {
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
