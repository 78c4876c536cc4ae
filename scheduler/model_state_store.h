// ModelStateStore: what each placement policy learned (PlacementPolicy::SaveState), saved with
// the id of the newest run it includes, so a restarted scheduler restores the models and
// replays only the runs stored since.
//
// In a database file of its own (DATA_DIR/models.db), not in scheduler.db: a save writes tens
// of MB at 10,000 functions (0.5-0.9 s on the dev VMs), and in scheduler.db it held that
// file's one write lock as long, so run reports, deploys and async invocations waited for it.
// What it holds can be relearned from the stored runs, so a models.db that is damaged or not
// Tailor's is set aside (renamed `models.db.unreadable-<unix ms>`, never deleted) and a new
// one started, and it is written to survive a crash of the process, not of the machine.
// States that earlier versions saved in scheduler.db's model_state table move over when
// models.db has none (at Open).
//
// Thread-safety: all methods are safe to call concurrently (own connections, one mutex).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/sqlite_db.h"

namespace tailor::scheduler {

class ModelStateStore {
 public:
  struct Saved {
    std::string state;
    int64_t runs_rowid = 0;
  };
  // `path`: the models' own file; `scheduler_db_path`: scheduler.db, whose model_state table
  // earlier versions saved into.
  static Result<std::unique_ptr<ModelStateStore>> Open(const std::string& path,
                                                       const std::string& scheduler_db_path,
                                                       const Clock& clock);
  // Replaces every policy's state in one transaction.
  Status Save(const std::map<std::string, std::string>& states, int64_t runs_rowid);
  Result<std::map<std::string, Saved>> Load();

 private:
  ModelStateStore(std::unique_ptr<SqliteDb> db, const Clock& clock)
      : db_(std::move(db)), clock_(clock) {}
  // Moves the states an earlier version saved in scheduler.db here, if none are here yet.
  Status MoveOverFrom(const std::string& scheduler_db_path);
  std::unique_ptr<SqliteDb> db_;
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace tailor::scheduler
