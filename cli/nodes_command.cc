#include "cli/nodes_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/scheduler_connection.h"
#include "cli/table.h"
#include "common/clock.h"
#include "tailor/v1/membership.grpc.pb.h"

namespace tailor::cli {
namespace {

// The features an operator cares about when reading the table.
constexpr const char* kKeyFeatures[] = {"aes",     "vaes",     "sha_ni",      "avx2",
                                        "avx512f", "avx512_vnni", "amx_tile"};

}  // namespace

std::string HealthName(v1::NodeHealth h) {
  switch (h) {
    case v1::NODE_HEALTH_HEALTHY: return "healthy";
    case v1::NODE_HEALTH_UNHEALTHY: return "unhealthy";
    default: return "unknown";
  }
}

std::string KeyFeatures(const v1::HostInventory& inv) {
  std::string out;
  for (const char* f : kKeyFeatures) {
    auto it = inv.cpu_features().find(f);
    if (it == inv.cpu_features().end() || !it->second) continue;
    if (!out.empty()) out += ',';
    out += f;
  }
  return out.empty() ? "-" : out;
}

std::string IsolationText(const v1::Isolation& isolation) {
  if (isolation.level().empty()) return "unknown";  // an agent from before sandboxes
  if (isolation.missing().empty()) return isolation.level();
  std::string out = isolation.level() + " (no ";
  for (int i = 0; i < isolation.missing_size(); ++i) {
    out += (i ? "," : "") + isolation.missing(i);
  }
  return out + ")";
}

namespace {

int ChangeNode(const GlobalOptions& global, const NodesOptions& options) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Membership::NewStub(ConnectToScheduler(global, address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  grpc::Status status;
  std::string done;
  if (*options.remove) {
    v1::DeregisterRequest req;
    req.set_node_id(options.node_id);
    v1::DeregisterResponse resp;
    status = stub->Deregister(&ctx, req, &resp);
    done = "removed " + options.node_id + " (" + std::to_string(resp.reservations_dropped()) +
           " reservations dropped)";
  } else {
    v1::SetDrainingRequest req;
    req.set_node_id(options.node_id);
    req.set_draining(options.drain->parsed());
    v1::SetDrainingResponse resp;
    status = stub->SetDraining(&ctx, req, &resp);
    done = (options.drain->parsed() ? "draining " : "no longer draining ") + options.node_id;
  }
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "changing " + options.node_id)
              << "\n";
    return 1;
  }
  std::cout << done << "\n";
  return 0;
}

}  // namespace

int RunNodes(const GlobalOptions& global, const NodesOptions& options) {
  if (*options.drain || *options.undrain || *options.remove) return ChangeNode(global, options);
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Membership::NewStub(ConnectToScheduler(global, address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(global.timeout_ms));
  v1::ListNodesResponse resp;
  grpc::Status status = stub->ListNodes(&ctx, v1::ListNodesRequest(), &resp);
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "listing nodes") << "\n";
    return 1;
  }
  if (global.output == "json") {
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& n : resp.nodes()) {
      nlohmann::json features = nlohmann::json::object();
      for (const auto& [name, present] : n.inventory().cpu_features()) features[name] = present;
      nodes.push_back({
          {"node_id", n.node_id()},
          {"address", n.address()},
          {"health", HealthName(n.health())},
          {"draining", n.draining()},
          {"stopping", n.stopping()},
          {"last_heartbeat_unix_ms", n.last_heartbeat_unix_ms()},
          {"registered_unix_ms", n.registered_unix_ms()},
          {"agent_version", n.agent_version()},
          {"kubernetes_node", n.inventory().kubernetes_node()},
          {"cpu_model", n.inventory().cpu().model_name()},
          {"physical_cores", n.inventory().topology().physical_cores()},
          {"logical_cores", n.inventory().topology().logical_cores()},
          {"memory_bytes", n.inventory().memory_bytes()},
          {"l3_bytes", n.inventory().cache().l3_bytes()},
          {"cpu_features", features},
          {"isolation",
           {{"level", n.inventory().isolation().level()},
            {"missing", n.inventory().isolation().missing()},
            {"per_function_users", n.inventory().isolation().per_function_users()},
            {"network_functions", n.inventory().isolation().network_functions()}}},
          {"load",
           {{"running_invocations", n.load().running_invocations()},
            {"cpu_utilization", n.load().cpu_utilization()},
            {"memory_used_bytes", n.load().memory_used_bytes()}}},
      });
    }
    std::cout << nlohmann::json{{"nodes", nodes}}.dump(2) << "\n";
    return 0;
  }
  const int64_t now_ms = ToUnixMillis(RealClock::Get().WallNow());
  Table table({"NODE", "ADDRESS", "HEALTH", "LAST HEARTBEAT", "CORES", "MEMORY", "CPU", "ISOLATION",
               "FEATURES"});
  for (const auto& n : resp.nodes()) {
    const auto& inv = n.inventory();
    table.AddRow({n.node_id(), n.address(),
                  HealthName(n.health()) + (n.draining() ? " (draining)" : "") +
                      (n.stopping() ? " (stopping)" : ""),
                  FormatAgo(n.last_heartbeat_unix_ms(), now_ms),
                  std::to_string(inv.topology().physical_cores()) + "/" +
                      std::to_string(inv.topology().logical_cores()),
                  FormatBytes(inv.memory_bytes()), FormatPercent(n.load().cpu_utilization()),
                  IsolationText(inv.isolation()), KeyFeatures(inv)});
  }
  table.Print(std::cout);
  if (resp.nodes_size() == 0) std::cout << "(no nodes registered yet)\n";
  return 0;
}

CLI::App* AddNodesCommand(CLI::App& app, NodesOptions& options) {
  auto* cmd = app.add_subcommand("nodes", "List the cluster's nodes, their health and hardware");
  options.drain = cmd->add_subcommand("drain", "Give a node no new placements");
  options.undrain = cmd->add_subcommand("undrain", "Let a draining node take placements again");
  options.remove =
      cmd->add_subcommand("remove", "Forget a node (drain it and stop its agent first)");
  for (CLI::App* sub : {options.drain, options.undrain, options.remove}) {
    sub->add_option("node", options.node_id, "Node id")->required();
  }
  return cmd;
}

}  // namespace tailor::cli
