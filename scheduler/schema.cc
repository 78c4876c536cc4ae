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
    // 2: run reports, idempotent by invocation id.
    R"sql(
CREATE TABLE runs (
  invocation_id TEXT PRIMARY KEY,
  function_name TEXT NOT NULL,
  function_version TEXT NOT NULL,
  node_id TEXT NOT NULL,
  outcome INTEGER NOT NULL,           -- tailor.v1.RunOutcome
  end_unix_ms INTEGER NOT NULL,
  wall_time_us INTEGER NOT NULL,
  received_unix_ms INTEGER NOT NULL,
  report BLOB NOT NULL                -- serialized tailor.v1.RunReport
);
CREATE INDEX runs_by_function ON runs (function_name, end_unix_ms);
)sql",
};

}  // namespace

std::span<const std::string_view> SchedulerMigrations() { return kMigrations; }

}  // namespace tailor::scheduler
