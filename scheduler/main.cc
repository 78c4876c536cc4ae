// tailor-scheduler: the central scheduler.
#include <iostream>

#include "common/command_line.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/version.h"
#include "scheduler/scheduler_server.h"

int main(int argc, char** argv) {
  using namespace tailor;
  BlockTerminationSignals();
  CLI::App app{"tailor-scheduler: Tailor's central scheduler (node registry, placement)"};
  app.set_version_flag("--version", kTailorVersion);
  CommonOptions common;
  SetUpCommandLine(app, common);

  scheduler::SchedulerOptions opts;
  int64_t lease_timeout_ms = 5000;
  int64_t heartbeat_interval_ms = 1000;
  std::string address_file;
  app.add_option("--listen", opts.listen_address, "gRPC listen address (port 0: any free port)");
  app.add_option("--data-dir", opts.data_dir, "Directory for the SQLite database and bundles");
  app.add_option("--lease-timeout-ms", lease_timeout_ms,
                 "Heartbeat silence after which a node is unhealthy")
      ->check(CLI::Range(int64_t{50}, int64_t{3'600'000}));
  app.add_option("--heartbeat-interval-ms", heartbeat_interval_ms,
                 "Heartbeat interval asked of agents")
      ->check(CLI::Range(int64_t{10}, int64_t{600'000}));
  app.add_option("--address-file", address_file, "Write the bound address to this file");

  if (auto exit_code = ParseCommandLine(app, common, argc, argv)) return *exit_code;
  if (heartbeat_interval_ms >= lease_timeout_ms) {
    std::cerr << "error: --heartbeat-interval-ms (" << heartbeat_interval_ms
              << ") must be shorter than --lease-timeout-ms (" << lease_timeout_ms << ")\n";
    return 2;
  }
  opts.registry.lease_timeout = std::chrono::milliseconds(lease_timeout_ms);
  opts.registry.heartbeat_interval = std::chrono::milliseconds(heartbeat_interval_ms);

  auto server = scheduler::SchedulerServer::Start(opts, RealClock::Get());
  if (!server.ok()) {
    log::Error("cannot start scheduler", {{"error", server.status()}});
    return 1;
  }
  if (!address_file.empty()) {
    Status s = WriteFileAtomically(address_file, (*server)->address() + "\n");
    if (!s.ok()) {
      log::Error("cannot write address file", {{"error", s}});
      return 1;
    }
  }
  int sig = WaitForTerminationSignal();
  log::Info("scheduler stopping", {{"signal", sig}});
  (*server)->Stop();
  return 0;
}
