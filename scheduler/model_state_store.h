// ModelStateStore: what each placement policy learned (PlacementPolicy::SaveState), saved in
// the scheduler's database with the id of the newest run it includes, so a restarted scheduler
// restores the models and replays only the runs stored since.
//
// Thread-safety: all methods are safe to call concurrently (own connection, one mutex).
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
  static Result<std::unique_ptr<ModelStateStore>> Open(const std::string& db_path,
                                                       const Clock& clock);
  // Replaces every policy's state in one transaction.
  Status Save(const std::map<std::string, std::string>& states, int64_t runs_rowid);
  Result<std::map<std::string, Saved>> Load();

 private:
  ModelStateStore(std::unique_ptr<SqliteDb> db, const Clock& clock)
      : db_(std::move(db)), clock_(clock) {}
  std::unique_ptr<SqliteDb> db_;
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace tailor::scheduler
