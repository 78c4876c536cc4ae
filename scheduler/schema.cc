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
    // 3: function registry, async invocations, host class per run.
    R"sql(
CREATE TABLE functions (
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  digest TEXT NOT NULL,               -- SHA-256 of the bundle archive in bundles/
  size_bytes INTEGER NOT NULL,
  entrypoint TEXT NOT NULL,
  timeout_ms INTEGER NOT NULL,
  memory_hint_bytes INTEGER NOT NULL,
  idempotent INTEGER NOT NULL,
  deployed_unix_ms INTEGER NOT NULL,
  removed_unix_ms INTEGER,            -- NULL while the version can be invoked
  PRIMARY KEY (name, version)
);
CREATE TABLE async_invocations (
  id TEXT PRIMARY KEY,
  function_name TEXT NOT NULL,
  function_version TEXT NOT NULL,
  payload BLOB NOT NULL,
  timeout_ms INTEGER NOT NULL,
  policy TEXT NOT NULL,
  state INTEGER NOT NULL,             -- tailor.v1.AsyncState
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_unix_ms INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  response BLOB,                      -- serialized tailor.v1.GatewayInvokeResponse
  created_unix_ms INTEGER NOT NULL,
  updated_unix_ms INTEGER NOT NULL
);
CREATE INDEX async_due ON async_invocations (state, next_attempt_unix_ms);
ALTER TABLE runs ADD COLUMN host_class TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_function_class ON runs (function_name, host_class);
)sql",
    // 4: optional per-function latency target (p95).
    R"sql(
ALTER TABLE functions ADD COLUMN latency_target_ms INTEGER NOT NULL DEFAULT 0;
)sql",
    // 5: what each placement policy learned, saved periodically and at shutdown.
    R"sql(
CREATE TABLE model_state (
  policy TEXT PRIMARY KEY,
  state BLOB NOT NULL,
  runs_rowid INTEGER NOT NULL,        -- runs up to this rowid are in the state
  saved_unix_ms INTEGER NOT NULL
);
)sql",
    // 6: outcomes told as they are (async outcome), draining nodes, manifest limits,
    // idempotency keys, and the key that signs decision ids.
    R"sql(
ALTER TABLE nodes ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;
ALTER TABLE functions ADD COLUMN max_memory_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE functions ADD COLUMN max_output_bytes INTEGER NOT NULL DEFAULT 6291456;
ALTER TABLE async_invocations ADD COLUMN outcome INTEGER NOT NULL DEFAULT 0;  -- tailor.v1.RunOutcome
ALTER TABLE async_invocations ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX async_by_idempotency_key
  ON async_invocations (function_name, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE scheduler_secrets (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
)sql",
    // 7: reconciliation: the attempt an async invocation sent (its run report is found by
    // it after a crash), and how long a restarted scheduler waits for that report.
    R"sql(
ALTER TABLE async_invocations ADD COLUMN invocation_id TEXT;
ALTER TABLE async_invocations ADD COLUMN node_id TEXT;
ALTER TABLE async_invocations ADD COLUMN reconcile_until_unix_ms INTEGER;
)sql",
    // 8: completion callbacks and their delivery.
    R"sql(
ALTER TABLE async_invocations ADD COLUMN callback_url TEXT;
ALTER TABLE async_invocations ADD COLUMN callback_state INTEGER NOT NULL DEFAULT 0;  -- tailor.v1.CallbackState
ALTER TABLE async_invocations ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE async_invocations ADD COLUMN callback_next_unix_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE async_invocations ADD COLUMN callback_error TEXT NOT NULL DEFAULT '';
ALTER TABLE async_invocations ADD COLUMN callback_delivered_unix_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX async_callbacks_due ON async_invocations (callback_state, callback_next_unix_ms);
)sql",
    // 9: identity and access: callers' bearer tokens (only a digest of each secret), and the
    // tenant every function and async invocation belongs to.
    R"sql(
CREATE TABLE access_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,                 -- admin, deployer, invoker, platform, reader
  tenant TEXT NOT NULL,
  secret_sha256 BLOB NOT NULL,
  created_unix_ms INTEGER NOT NULL,
  revoked_unix_ms INTEGER             -- NULL while the token is live
);
CREATE UNIQUE INDEX access_tokens_live_name ON access_tokens (name) WHERE revoked_unix_ms IS NULL;
ALTER TABLE functions ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
ALTER TABLE async_invocations ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
CREATE INDEX async_by_tenant_state ON async_invocations (tenant, state);
)sql",
    // 10: the manifest's preferred CPU features, comma-separated (a placement hint).
    R"sql(
ALTER TABLE functions ADD COLUMN prefers TEXT NOT NULL DEFAULT '';
)sql",
    // 11: functions registered for placement only (digest ''), and the CPU features a node
    // must have for them, comma-separated.
    R"sql(
ALTER TABLE functions ADD COLUMN requires TEXT NOT NULL DEFAULT '';
)sql",
    // 12: an AWS-style access key of a token, for requests signed with Signature Version 4
    // (the Lambda invoke API). Its secret is kept as is: verifying a signature needs it.
    R"sql(
ALTER TABLE access_tokens ADD COLUMN aws_key_id TEXT;
ALTER TABLE access_tokens ADD COLUMN aws_secret TEXT;
CREATE UNIQUE INDEX access_tokens_aws_key ON access_tokens (aws_key_id) WHERE aws_key_id IS NOT NULL;
)sql",
    // 13: schedules (rate and cron expressions) that queue async invocations of a function.
    R"sql(
CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  function_name TEXT NOT NULL,
  function_version TEXT NOT NULL,     -- '' : the newest at each firing
  expression TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_unix_ms INTEGER NOT NULL,
  next_fire_unix_ms INTEGER NOT NULL, -- the next period's time
  last_fired_unix_ms INTEGER NOT NULL DEFAULT 0,
  last_invocation_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX schedules_due ON schedules (next_fire_unix_ms);
)sql",
};

}  // namespace

std::span<const std::string_view> SchedulerMigrations() { return kMigrations; }

}  // namespace tailor::scheduler
