#include "scheduler/schema.h"

namespace tailor::scheduler {
namespace {

constexpr std::string_view kMigrations[] = {
    // 1: node registry.
    R"sql(
CREATE TABLE nodes (
  node_id TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  agent_version TEXT NOT NULL DEFAULT '',
  inventory BLOB NOT NULL,            -- serialized tailor.v1.HostInventory
  health INTEGER NOT NULL,            -- tailor.v1.NodeHealth
  registered_unix_ms INTEGER NOT NULL,
  last_heartbeat_unix_ms INTEGER NOT NULL
);
)sql",
};

}  // namespace

std::span<const std::string_view> SchedulerMigrations() { return kMigrations; }

}  // namespace tailor::scheduler
