// tailor-agent: the node agent. `tailor-agent run` registers with the scheduler and serves the
// agent API; `tailor-agent inventory` prints what this host is.
#include <unistd.h>

#include <iostream>

#include "agent/agent_service.h"
#include "agent/inventory/inventory.h"
#include "agent/load/load_sampler.h"
#include "agent/membership_client.h"
#include "common/command_line.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/version.h"
#include "proto/grpc_server.h"

namespace tailor::agent {
namespace {

struct RunOptions {
  std::string scheduler = "127.0.0.1:7400";
  std::string listen = "127.0.0.1:0";
  std::string advertise;
  std::string node_id;
  std::string address_file;
  std::string host_root = "/";
  int64_t backoff_initial_ms = 200;
  int64_t backoff_max_ms = 5000;
};

int RunInventory(const std::string& output, const std::string& host_root) {
  InventorySources sources;
  sources.paths.root = host_root;
  auto inv = CollectInventory(sources);
  if (!inv.ok()) {
    std::cerr << "error: " << inv.status().message() << "\n";
    return 1;
  }
  if (output == "json") {
    std::cout << InventoryToJson(*inv);
    return 0;
  }
  std::cout << inv->DebugString();
  return 0;
}

std::string DefaultNodeId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "node";
  return host;
}

int RunAgent(const RunOptions& opts) {
  InventorySources sources;
  sources.paths.root = opts.host_root;
  auto inv = CollectInventory(sources);
  if (!inv.ok()) {
    log::Error("cannot collect host inventory", {{"error", inv.status()}});
    return 1;
  }
  AgentServiceImpl service(*inv);
  auto server = GrpcServer::Start(opts.listen, {&service});
  if (!server.ok()) {
    log::Error("cannot start agent server", {{"error", server.status()}});
    return 1;
  }
  const std::string advertised =
      opts.advertise.empty() ? (*server)->address() : opts.advertise;
  if (!opts.address_file.empty()) {
    Status s = WriteFileAtomically(opts.address_file, advertised + "\n");
    if (!s.ok()) {
      log::Error("cannot write address file", {{"error", s}});
      return 1;
    }
  }
  const std::string node_id = opts.node_id.empty() ? DefaultNodeId() : opts.node_id;
  log::Info("agent serving", {{"address", advertised}, {"node", node_id}});

  LoadSampler sampler(sources.paths);
  MembershipClient::Options mopts;
  mopts.scheduler_address = opts.scheduler;
  mopts.node_id = node_id;
  mopts.advertised_address = advertised;
  mopts.agent_version = kTailorVersion;
  mopts.backoff.initial = std::chrono::milliseconds(opts.backoff_initial_ms);
  mopts.backoff.max = std::chrono::milliseconds(opts.backoff_max_ms);
  MembershipClient membership(mopts, *inv, [&sampler] { return sampler.Sample(); });
  membership.Start();

  int sig = WaitForTerminationSignal();
  log::Info("agent stopping", {{"signal", sig}});
  membership.Stop();
  (*server)->Shutdown();
  return 0;
}

}  // namespace
}  // namespace tailor::agent

int main(int argc, char** argv) {
  using namespace tailor;
  BlockTerminationSignals();
  CLI::App app{"tailor-agent: Tailor's node agent (profiles function runs, reports to the scheduler)"};
  app.set_version_flag("--version", kTailorVersion);
  CommonOptions common;
  SetUpCommandLine(app, common);
  app.require_subcommand(1);

  agent::RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Register with the scheduler and serve the agent API");
  run_cmd->add_option("--scheduler", run.scheduler, "Scheduler gRPC address (host:port)");
  run_cmd->add_option("--listen", run.listen, "Address the agent API listens on (port 0: any)");
  run_cmd->add_option("--advertise", run.advertise,
                      "Address the scheduler should use to reach this agent (default: bound)");
  run_cmd->add_option("--node-id", run.node_id, "Stable node name (default: host name)");
  run_cmd->add_option("--address-file", run.address_file,
                      "Write the bound address to this file once serving");
  run_cmd->add_option("--host-root", run.host_root,
                      "Root under which /proc and /sys are read (for tests)");
  run_cmd->add_option("--backoff-initial-ms", run.backoff_initial_ms,
                      "First delay before retrying the scheduler");
  run_cmd->add_option("--backoff-max-ms", run.backoff_max_ms,
                      "Longest delay between retries of the scheduler");

  std::string output = "text";
  std::string inv_root = "/";
  auto* inv_cmd = app.add_subcommand("inventory", "Print this host's hardware inventory");
  inv_cmd->add_option("--output", output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  inv_cmd->add_option("--host-root", inv_root, "Root under which /proc and /sys are read");

  if (auto exit_code = ParseCommandLine(app, common, argc, argv)) return *exit_code;
  if (*inv_cmd) return agent::RunInventory(output, inv_root);
  return agent::RunAgent(run);
}
