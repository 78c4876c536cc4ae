#include "proto/validation.h"

#include <string>

#include "common/bundle_archive.h"
#include "common/field_check.h"
#include "common/limits.h"
#include "common/names.h"

namespace tailor {
namespace {

constexpr size_t kMaxTextBytes = 4096;
constexpr size_t kMaxLabelBytes = 64;
constexpr int kMaxWarmFunctions = 1024;

bool IsPolicyName(std::string_view p) {
  if (p.size() > kMaxLabelBytes) return false;
  for (char c : p) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string Join(std::string_view prefix, std::string_view field) {
  std::string out(prefix);
  if (!out.empty()) out += '.';
  out += field;
  return out;
}

void CheckCpu(FieldCheck& c, const v1::HostInventory& inv) {
  c.Text("hostname", inv.hostname(), 253)
      .Text("cpu.vendor", inv.cpu().vendor(), 16)
      .Text("cpu.model_name", inv.cpu().model_name(), 128)
      .AtMost("cpu.family", inv.cpu().family(), 0xffff)
      .AtMost("cpu.model", inv.cpu().model(), 0xffff)
      .AtMost("cpu.stepping", inv.cpu().stepping(), 0xff)
      .AtMost("topology.sockets", inv.topology().sockets(), 1024)
      .AtMost("topology.physical_cores", inv.topology().physical_cores(), kMaxCoresPerNode)
      .AtMost("topology.logical_cores", inv.topology().logical_cores(), kMaxCoresPerNode)
      .AtMost("topology.numa_nodes", inv.topology().numa_nodes(), 1024)
      .AtMost("cache.l1d_bytes", inv.cache().l1d_bytes(), uint64_t{1} << 36)
      .AtMost("cache.l2_bytes", inv.cache().l2_bytes(), uint64_t{1} << 36)
      .AtMost("cache.l3_bytes", inv.cache().l3_bytes(), uint64_t{1} << 36)
      .AtMost("cache.l3_domains", inv.cache().l3_domains(), 1024)
      .AtMost("memory_bytes", inv.memory_bytes(), kMaxBytesOfAnything)
      .AtMost("cpu_features", static_cast<uint64_t>(inv.cpu_features_size()), 256);
  for (const auto& [name, present] : inv.cpu_features()) {
    c.Require(IsFeatureName(name), "cpu_features",
              "has a name that is not 1..32 characters of [a-z0-9_]: " + Excerpt(name));
  }
}

bool IsKubernetesNodeName(std::string_view name) {
  if (name.size() > 253) return false;
  for (char ch : name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-')) {
      return false;
    }
  }
  return true;
}

void CheckPlatform(FieldCheck& c, const v1::HostInventory& inv) {
  c.AtMost("rdt.l3_cat_ways", inv.rdt().l3_cat_ways(), 64)
      .AtMost("cgroup.version", inv.cgroup().version(), 2)
      .AtMost("cgroup.controllers", static_cast<uint64_t>(inv.cgroup().controllers_size()), 32)
      .Text("cgroup.mount_point", inv.cgroup().mount_point(), kMaxTextBytes)
      .Text("kernel_version", inv.kernel_version(), 128)
      .Require(IsKubernetesNodeName(inv.kubernetes_node()), "kubernetes_node",
               "must be empty or a Kubernetes node name (1..253 characters of [a-z0-9.-]), got " +
                   Excerpt(inv.kubernetes_node()))
      .Text("emulation.name", inv.emulation().name(), kMaxLabelBytes)
      .AtMost("emulation.hidden_features",
              static_cast<uint64_t>(inv.emulation().hidden_features_size()), 256);
  for (const auto& controller : inv.cgroup().controllers()) {
    c.Require(IsFeatureName(controller), "cgroup.controllers",
              "has a name that is not 1..32 characters of [a-z0-9_]: " + Excerpt(controller));
  }
  for (const auto& feature : inv.emulation().hidden_features()) {
    c.Require(IsFeatureName(feature), "emulation.hidden_features",
              "has a name that is not 1..32 characters of [a-z0-9_]: " + Excerpt(feature));
  }
  const double speed = inv.emulation().cpu_speed_factor();
  if (speed != 0) c.Finite("emulation.cpu_speed_factor", speed, 1e-3, 1.0);
}

void CheckReportNames(FieldCheck& c, const v1::RunReport& r) {
  c.Name("invocation_id", NameKind::kId, r.invocation_id())
      .Name("function_name", NameKind::kFunction, r.function_name())
      .Name("function_version", NameKind::kVersion, r.function_version(), /*optional=*/true)
      .Name("node_id", NameKind::kNodeId, r.node_id())
      .Name("decision_id", NameKind::kId, r.decision_id(), /*optional=*/true)
      .Text("emulation_profile", r.emulation_profile(), kMaxLabelBytes)
      .Text("error_message", r.error_message(), kMaxTextBytes)
      .Text("measured.notes", r.measured().notes(), kMaxTextBytes);
}

void CheckReportOutcome(FieldCheck& c, const v1::RunReport& r) {
  c.Require(v1::RunOutcome_IsValid(r.outcome()) && r.outcome() != v1::RUN_OUTCOME_UNSPECIFIED &&
                r.outcome() != v1::RUN_OUTCOME_NOT_RUN,
            "outcome", "must be the outcome of a finished run, got " + std::to_string(r.outcome()))
      .Require(v1::StartStep_IsValid(r.start_step()), "start_step",
               "is not a known step: " + std::to_string(r.start_step()))
      .Require(v1::StartKind_IsValid(r.start_kind()), "start_kind",
               "is not a known start kind: " + std::to_string(r.start_kind()))
      .InRange("exit_code", r.exit_code(), -1, 255)
      .InRange("term_signal", r.term_signal(), 0, 64)
      .Require(r.outcome() != v1::RUN_OUTCOME_SUCCEEDED ||
                   (r.exit_code() == 0 && !r.timed_out() && !r.oom_killed()),
               "outcome", "is SUCCEEDED but the run exited non-zero, timed out or was OOM-killed");
}

void CheckReportTimes(FieldCheck& c, const v1::RunReport& r) {
  c.InRange("queue_wait_us", r.queue_wait_us(), 0, kMaxRunTimeUs)
      .InRange("wall_time_us", r.wall_time_us(), 0, kMaxRunTimeUs)
      .InRange("user_cpu_us", r.user_cpu_us(), 0, kMaxRunTimeUs * kMaxCoresPerNode)
      .InRange("system_cpu_us", r.system_cpu_us(), 0, kMaxRunTimeUs * kMaxCoresPerNode)
      .InRange("cpu_throttled_us", r.cpu_throttled_us(), 0, kMaxRunTimeUs)
      .InRange("cpu_waiting_us", r.cpu_waiting_us(), 0, kMaxRunTimeUs)
      .InRange("init_duration_us", r.init_duration_us(), 0, kMaxRunTimeUs)
      .InRange("start_unix_ms", r.start_unix_ms(), 0, kMaxUnixMs)
      .InRange("end_unix_ms", r.end_unix_ms(), 0, kMaxUnixMs)
      .Require(r.end_unix_ms() >= r.start_unix_ms(), "end_unix_ms", "is before start_unix_ms")
      .Require(r.outcome() != v1::RUN_OUTCOME_SUCCEEDED || r.wall_time_us() > 0, "wall_time_us",
               "is required (more than 0) for a SUCCEEDED run: it is what Tailor learns from")
      .Require(r.cpu_throttled_periods() <= r.cpu_periods(), "cpu_throttled_periods",
               "is more than cpu_periods");
  if (c.ok() && r.start_unix_ms() > 0 && r.end_unix_ms() > 0) {
    // Wall time measured on a monotonic clock, end - start on the wall clock, in ms.
    const int64_t span_us = (r.end_unix_ms() - r.start_unix_ms()) * 1000;
    c.Require(r.wall_time_us() <= span_us + 1'000'000, "wall_time_us",
              "is longer than end_unix_ms - start_unix_ms");
  }
}

void CheckReportFigures(FieldCheck& c, const v1::RunReport& r) {
  c.AtMost("peak_memory_bytes", r.peak_memory_bytes(), kMaxBytesOfAnything)
      .AtMost("memory_limit_bytes", r.memory_limit_bytes(), kMaxBytesOfAnything)
      .AtMost("read_bytes", r.read_bytes(), kMaxBytesOfAnything)
      .AtMost("write_bytes", r.write_bytes(), kMaxBytesOfAnything)
      .AtMost("payload_bytes", r.payload_bytes(), kMaxBytesOfAnything)
      .AtMost("output_bytes", r.output_bytes(), kMaxBytesOfAnything)
      .AtMost("llc_occupancy_bytes", r.llc_occupancy_bytes(), uint64_t{1} << 40)
      .AtMost("memory_bandwidth_bytes", r.memory_bandwidth_bytes(), kMaxBytesOfAnything);
}

}  // namespace

Status ValidateAddress(std::string_view address, std::string_view field) {
  FieldCheck c;
  c.Text(field, address, 255).Require(!address.empty(), field, "is required");
  if (!c.ok()) return c.status();
  for (char ch : address) {
    if (ch <= ' ' || ch > '~')
      return c.Require(false, field, "has a space or control byte").status();
  }
  const size_t colon = address.rfind(':');
  int64_t port = -1;
  if (colon != std::string_view::npos && colon + 1 < address.size() && colon > 0) {
    port = 0;
    for (char ch : address.substr(colon + 1)) {
      if (ch < '0' || ch > '9' || port > 65535) {
        port = -1;
        break;
      }
      port = port * 10 + (ch - '0');
    }
  }
  return c
      .Require(port >= 1 && port <= 65535, field,
               "must be host:port with a port 1..65535, got " + Excerpt(address))
      .status();
}

Status ValidateNodeLoad(const v1::NodeLoad& load, std::string_view prefix) {
  FieldCheck c{std::string(prefix)};
  c.AtMost("running_invocations", load.running_invocations(), kMaxInvocationsPerNode)
      .AtMost("queued_invocations", load.queued_invocations(), kMaxInvocationsPerNode)
      .Finite("cpu_utilization", load.cpu_utilization(), 0.0, 1.0)
      .AtMost("memory_total_bytes", load.memory_total_bytes(), kMaxBytesOfAnything)
      .Require(
          load.memory_total_bytes() == 0 || load.memory_used_bytes() <= load.memory_total_bytes(),
          "memory_used_bytes", "is more than memory_total_bytes")
      .AtMost("memory_used_bytes", load.memory_used_bytes(), kMaxBytesOfAnything)
      .AtMost("warm_idle_memory_bytes", load.warm_idle_memory_bytes(), kMaxBytesOfAnything)
      .AtMost("warm_functions", static_cast<uint64_t>(load.warm_functions_size()),
              kMaxWarmFunctions);
  for (int i = 0; c.ok() && i < load.warm_functions_size(); ++i) {
    const auto& w = load.warm_functions(i);
    const std::string at = "warm_functions[" + std::to_string(i) + "]";
    c.Name(at + ".function_name", NameKind::kFunction, w.function_name())
        .Name(at + ".function_version", NameKind::kVersion, w.function_version())
        .AtMost(at + ".idle_instances", w.idle_instances(), kMaxInvocationsPerNode);
  }
  const auto& p = load.pressure();
  for (auto [name, value] : {std::pair{"pressure.cpu_some_avg10", p.cpu_some_avg10()},
                             std::pair{"pressure.memory_some_avg10", p.memory_some_avg10()},
                             std::pair{"pressure.memory_full_avg10", p.memory_full_avg10()},
                             std::pair{"pressure.io_some_avg10", p.io_some_avg10()},
                             std::pair{"pressure.io_full_avg10", p.io_full_avg10()}}) {
    c.Finite(name, value, 0.0, 100.0);
  }
  return c.status();
}

Status ValidateInventory(const v1::HostInventory& inventory, std::string_view prefix) {
  FieldCheck c{std::string(prefix)};
  CheckCpu(c, inventory);
  CheckPlatform(c, inventory);
  return c.status();
}

Status ValidateAllocation(const v1::Allocation& a, std::string_view prefix) {
  FieldCheck c{std::string(prefix)};
  c.AtMost("memory_limit_bytes", a.memory_limit_bytes(), kMaxBytesOfAnything)
      .Require(a.memory_limit_bytes() == 0 || a.memory_limit_bytes() >= (1u << 20),
               "memory_limit_bytes", "must be 0 (no limit) or at least 1 MiB")
      .AtMost("cpu_millicores", a.cpu_millicores(), uint64_t{kMaxCoresPerNode} * 1000)
      .AtMost("cache_ways", a.cache_ways(), 64)
      .Name("cache_class", NameKind::kId, a.cache_class(), /*optional=*/true);
  return c.status();
}

Status ValidateRegisterRequest(const v1::RegisterRequest& r) {
  FieldCheck c;
  c.Name("node_id", NameKind::kNodeId, r.node_id()).Text("agent_version", r.agent_version(), 64);
  TAILOR_RETURN_IF_ERROR(c.status());
  TAILOR_RETURN_IF_ERROR(ValidateAddress(r.address(), "address"));
  return ValidateInventory(r.inventory(), "inventory");
}

Status ValidateHeartbeatRequest(const v1::HeartbeatRequest& r) {
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kNodeId, r.node_id(), "node_id"));
  return ValidateNodeLoad(r.load(), "load");
}

Status ValidateRunReport(const v1::RunReport& r, std::string_view prefix) {
  FieldCheck c{std::string(prefix)};
  CheckReportNames(c, r);
  CheckReportOutcome(c, r);
  CheckReportTimes(c, r);
  CheckReportFigures(c, r);
  TAILOR_RETURN_IF_ERROR(c.status());
  TAILOR_RETURN_IF_ERROR(ValidateAllocation(r.allocation(), Join(prefix, "allocation")));
  return ValidateNodeLoad(r.node_load_at_start(), Join(prefix, "node_load_at_start"));
}

namespace {

// What Place and Rank share: the function, its candidates, features and policy.
void CheckPlacementTarget(FieldCheck& c, const std::string& function, const std::string& version,
                          const google::protobuf::RepeatedPtrField<std::string>& candidates,
                          const google::protobuf::RepeatedPtrField<std::string>& features,
                          const std::string& policy) {
  c.Name("function_name", NameKind::kFunction, function)
      .Name("function_version", NameKind::kVersion, version, /*optional=*/true)
      .AtMost("candidate_node_ids", static_cast<uint64_t>(candidates.size()), kMaxCandidateNodes)
      .AtMost("required_features", static_cast<uint64_t>(features.size()), 64)
      .Require(IsPolicyName(policy), "policy", "must be a policy name, got " + Excerpt(policy));
  for (int i = 0; i < candidates.size() && c.ok(); ++i) {
    c.Name("candidate_node_ids[" + std::to_string(i) + "]", NameKind::kNodeId, candidates[i]);
  }
  for (int i = 0; i < features.size() && c.ok(); ++i) {
    c.Require(
        IsFeatureName(features[i]), "required_features[" + std::to_string(i) + "]",
        "must be a CPU feature name (1..32 characters of [a-z0-9_]), got " + Excerpt(features[i]));
  }
}

}  // namespace

Status ValidatePlaceRequest(const v1::PlaceRequest& r) {
  FieldCheck c;
  CheckPlacementTarget(c, r.function_name(), r.function_version(), r.candidate_node_ids(),
                       r.required_features(), r.policy());
  c.AtMost("payload_bytes", r.payload_bytes(), kMaxBytesOfAnything)
      .Name("idempotency_key", NameKind::kId, r.idempotency_key(), /*optional=*/true);
  return c.status();
}

Status ValidateRegisterFunctionRequest(const v1::RegisterFunctionRequest& r) {
  constexpr uint64_t kMaxMemoryBytes = uint64_t{1} << 50;  // as a manifest's
  FieldCheck c;
  c.Name("name", NameKind::kFunction, r.name())
      .Name("version", NameKind::kVersion, r.version())
      .InRange("timeout_ms", r.timeout_ms(), 1, kMaxTimeoutMs)
      .AtMost("memory_hint_bytes", r.memory_hint_bytes(), kMaxMemoryBytes)
      .AtMost("max_memory_bytes", r.max_memory_bytes(), kMaxMemoryBytes)
      .Require(r.max_memory_bytes() == 0 || r.memory_hint_bytes() <= r.max_memory_bytes(),
               "memory_hint_bytes", "is larger than max_memory_bytes")
      .AtMost("latency_target_ms", r.latency_target_ms(), kMaxTimeoutMs)
      .AtMost("prefers", static_cast<uint64_t>(r.prefers_size()), 16)
      .AtMost("required_features", static_cast<uint64_t>(r.required_features_size()), 64)
      .Name("tenant", NameKind::kTenant, r.tenant(), /*optional=*/true);
  for (const auto* list : {&r.prefers(), &r.required_features()}) {
    const char* field = list == &r.prefers() ? "prefers" : "required_features";
    for (int i = 0; i < list->size() && c.ok(); ++i) {
      c.Require(
          IsFeatureName((*list)[i]), std::string(field) + "[" + std::to_string(i) + "]",
          "must be a CPU feature name (1..32 characters of [a-z0-9_]), got " + Excerpt((*list)[i]));
    }
  }
  return c.status();
}

Status ValidateRankRequest(const v1::RankRequest& r) {
  FieldCheck c;
  CheckPlacementTarget(c, r.function_name(), r.function_version(), r.candidate_node_ids(),
                       r.required_features(), r.policy());
  TAILOR_RETURN_IF_ERROR(c.status());
  return ValidateAllocation(r.allocation(), "allocation");
}

Status ValidateGatewayInvokeRequest(const v1::GatewayInvokeRequest& r) {
  FieldCheck c;
  c.Name("function_name", NameKind::kFunction, r.function_name())
      .Name("function_version", NameKind::kVersion, r.function_version(), /*optional=*/true)
      .AtMost("payload", r.payload().size(), kMaxPayloadBytes)
      .AtMost("timeout_ms", r.timeout_ms(), kMaxTimeoutMs)
      .Require(IsPolicyName(r.policy()), "policy",
               "must be a policy name, got " + Excerpt(r.policy()))
      .Name("idempotency_key", NameKind::kId, r.idempotency_key(), /*optional=*/true)
      .AtMost("callback_url", r.callback_url().size(), kMaxCallbackUrlBytes);
  return c.status();
}

Status ValidateAgentInvokeRequest(const internal::v1::InvokeRequest& r) {
  FieldCheck c;
  c.Name("function_name", NameKind::kFunction, r.function_name())
      .Name("function_version", NameKind::kVersion, r.function_version(), /*optional=*/true)
      .AtMost("payload", r.payload().size(), kMaxPayloadBytes)
      .Name("invocation_id", NameKind::kId, r.invocation_id(), /*optional=*/true)
      .AtMost("timeout_ms", r.timeout_ms(), kMaxTimeoutMs)
      .Name("decision_id", NameKind::kId, r.decision_id(), /*optional=*/true)
      .Require(r.bundle_digest().empty() || IsSha256Hex(r.bundle_digest()), "bundle_digest",
               "must be a lower-case hex SHA-256, got " + Excerpt(r.bundle_digest()));
  TAILOR_RETURN_IF_ERROR(c.status());
  return ValidateAllocation(r.allocation(), "allocation");
}

}  // namespace tailor
