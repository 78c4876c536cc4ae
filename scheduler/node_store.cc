#include "scheduler/node_store.h"

namespace tailor::scheduler {

Status NodeStore::Upsert(const v1::Node& node) {
  TAILOR_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.Prepare("INSERT INTO nodes (node_id, address, agent_version, inventory, health, "
                  "registered_unix_ms, last_heartbeat_unix_ms, draining) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                  "ON CONFLICT(node_id) DO UPDATE SET address=excluded.address, "
                  "agent_version=excluded.agent_version, inventory=excluded.inventory, "
                  "health=excluded.health, registered_unix_ms=excluded.registered_unix_ms, "
                  "last_heartbeat_unix_ms=excluded.last_heartbeat_unix_ms, "
                  "draining=excluded.draining"));
  std::string inventory;
  node.inventory().SerializeToString(&inventory);
  stmt.Bind(1, node.node_id())
      .Bind(2, node.address())
      .Bind(3, node.agent_version())
      .BindBlob(4, inventory)
      .Bind(5, static_cast<int64_t>(node.health()))
      .Bind(6, node.registered_unix_ms())
      .Bind(7, node.last_heartbeat_unix_ms())
      .Bind(8, static_cast<int64_t>(node.draining() ? 1 : 0));
  return stmt.Run().WithContext("saving node " + node.node_id());
}

Status NodeStore::UpdateDraining(const std::string& node_id, bool draining) {
  TAILOR_ASSIGN_OR_RETURN(SqliteStatement stmt,
                          db_.Prepare("UPDATE nodes SET draining=?2 WHERE node_id=?1"));
  stmt.Bind(1, node_id).Bind(2, static_cast<int64_t>(draining ? 1 : 0));
  return stmt.Run().WithContext("saving drain state of node " + node_id);
}

Status NodeStore::Delete(const std::string& node_id) {
  TAILOR_ASSIGN_OR_RETURN(SqliteStatement stmt, db_.Prepare("DELETE FROM nodes WHERE node_id=?1"));
  stmt.Bind(1, node_id);
  return stmt.Run().WithContext("deleting node " + node_id);
}

Status NodeStore::UpdateHealth(const std::string& node_id, v1::NodeHealth health,
                               int64_t last_heartbeat_unix_ms) {
  TAILOR_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.Prepare("UPDATE nodes SET health=?2, last_heartbeat_unix_ms=?3 WHERE node_id=?1"));
  stmt.Bind(1, node_id).Bind(2, static_cast<int64_t>(health)).Bind(3, last_heartbeat_unix_ms);
  return stmt.Run().WithContext("saving health of node " + node_id);
}

Status NodeStore::UpdateHeartbeats(
    const std::vector<std::pair<std::string, int64_t>>& times_unix_ms) {
  if (times_unix_ms.empty()) return OkStatus();
  return db_.InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_.Prepare("UPDATE nodes SET last_heartbeat_unix_ms=?2 WHERE node_id=?1"));
    for (const auto& [id, ms] : times_unix_ms) {
      stmt.Bind(1, id).Bind(2, ms);
      TAILOR_RETURN_IF_ERROR(stmt.Run());
    }
    return OkStatus();
  });
}

Result<std::vector<v1::Node>> NodeStore::LoadAll() {
  TAILOR_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.Prepare("SELECT node_id, address, agent_version, inventory, health, registered_unix_ms, "
                  "last_heartbeat_unix_ms, draining FROM nodes ORDER BY node_id"));
  std::vector<v1::Node> nodes;
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    v1::Node n;
    n.set_node_id(stmt.ColumnText(0));
    n.set_address(stmt.ColumnText(1));
    n.set_agent_version(stmt.ColumnText(2));
    if (!n.mutable_inventory()->ParseFromString(stmt.ColumnText(3))) {
      return DataLossError("stored inventory of node " + n.node_id() + " does not parse");
    }
    const int64_t health = stmt.ColumnInt64(4);
    n.set_health(v1::NodeHealth_IsValid(static_cast<int>(health))
                     ? static_cast<v1::NodeHealth>(health)
                     : v1::NODE_HEALTH_UNSPECIFIED);
    n.set_registered_unix_ms(stmt.ColumnInt64(5));
    n.set_last_heartbeat_unix_ms(stmt.ColumnInt64(6));
    n.set_draining(stmt.ColumnInt64(7) != 0);
    nodes.push_back(std::move(n));
  }
  return nodes;
}

}  // namespace tailor::scheduler
