// NodeStore: the node registry's persistence in the scheduler's SQLite database, so a
// restarted scheduler knows its nodes.
//
// Thread-safety: not thread-safe; NodeRegistry calls it under its own lock.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/sqlite_db.h"
#include "common/status.h"
#include "tailor/v1/membership.pb.h"

namespace tailor::scheduler {

class NodeStore {
 public:
  // `db` must be migrated with SchedulerMigrations() and outlive the store.
  explicit NodeStore(SqliteDb& db) : db_(db) {}

  // Inserts or replaces the node (all fields but load, which is not persisted).
  Status Upsert(const v1::Node& node);
  Status UpdateDraining(const std::string& node_id, bool draining);
  Status Delete(const std::string& node_id);
  Status UpdateHealth(const std::string& node_id, v1::NodeHealth health,
                      int64_t last_heartbeat_unix_ms);
  // Writes many heartbeat times in one transaction.
  Status UpdateHeartbeats(const std::vector<std::pair<std::string, int64_t>>& times_unix_ms);
  Result<std::vector<v1::Node>> LoadAll();

 private:
  SqliteDb& db_;
};

}  // namespace tailor::scheduler
