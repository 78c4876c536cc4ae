#include "cli/top_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "cli/nodes_command.h"
#include "cli/scheduler_connection.h"
#include "cli/table.h"
#include "common/clock.h"
#include "tailor/v1/membership.grpc.pb.h"
#include "tailor/v1/placement.grpc.pb.h"

namespace tailor::cli {
namespace {

std::string Millis(double ms) { return ms <= 0 ? "-" : FormatMillis(ms) + " ms"; }

std::string Age(int64_t then_ms, int64_t now_ms) {
  const double s = std::max<int64_t>(0, now_ms - then_ms) / 1000.0;
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%.0fm", s / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.0fh", s / 3600);
  }
  return buf;
}

std::string Outcome(const v1::DecisionSummary& d) {
  if (!d.reported()) return "running";
  switch (d.outcome()) {
    case v1::RUN_OUTCOME_SUCCEEDED: return "ok";
    case v1::RUN_OUTCOME_FUNCTION_ERROR: return "error";
    case v1::RUN_OUTCOME_TIMED_OUT: return "timed out";
    case v1::RUN_OUTCOME_OOM_KILLED: return "OOM";
    case v1::RUN_OUTCOME_START_FAILED: return "no start";
    default: return "?";
  }
}

}  // namespace

std::string RenderTop(const TopSnapshot& snap, int64_t now_ms) {
  std::ostringstream out;
  std::map<std::string, int> recent;  // node -> decisions among those shown
  for (const auto& d : snap.decisions.decisions()) ++recent[d.node_id()];
  size_t healthy = 0, running = 0;
  for (const auto& n : snap.nodes.nodes()) {
    healthy += n.health() == v1::NODE_HEALTH_HEALTHY ? 1 : 0;
    running += n.load().running_invocations();
  }
  out << "tailor top  scheduler " << snap.scheduler << "  nodes " << healthy << "/"
      << snap.nodes.nodes_size() << " healthy  running " << running << "\n\n";
  Table nodes({"NODE", "HEALTH", "HEARTBEAT", "CPU", "MEMORY USED", "RUNNING", "QUEUED",
               "RECENT", "FEATURES"});
  for (const auto& n : snap.nodes.nodes()) {
    const auto& load = n.load();
    const uint64_t total = load.memory_total_bytes() > 0 ? load.memory_total_bytes()
                                                         : n.inventory().memory_bytes();
    nodes.AddRow({n.node_id(), HealthName(n.health()),
                  FormatAgo(n.last_heartbeat_unix_ms(), now_ms),
                  FormatPercent(load.cpu_utilization()),
                  FormatBytes(load.memory_used_bytes()) + " / " + FormatBytes(total),
                  std::to_string(load.running_invocations()),
                  std::to_string(load.queued_invocations()),
                  std::to_string(recent[n.node_id()]), KeyFeatures(n.inventory())});
  }
  nodes.Print(out);
  if (snap.nodes.nodes_size() == 0) out << "(no nodes registered yet)\n";

  out << "\nNewest decisions (" << snap.decisions.decisions_size() << " of "
      << snap.decisions.decisions_kept() << " kept; RECENT above counts these)\n";
  Table decisions({"AGE", "FUNCTION", "NODE", "POLICY", "EXPLORED", "PREDICTED", "MEASURED",
                   "OUTCOME", "MEMORY", "CPU", "DECIDED IN", "DECISION"});
  for (const auto& d : snap.decisions.decisions()) {
    char decided[32];
    std::snprintf(decided, sizeof decided, "%.0f us", d.decision_latency_us());
    decisions.AddRow({Age(d.decided_unix_ms(), now_ms), d.function_name(), d.node_id(), d.policy(),
                      d.explored() ? "yes" : "", Millis(d.predicted_duration_ms()),
                      d.reported() ? Millis(d.measured_duration_ms()) : "-", Outcome(d),
                      FormatBytes(d.allocation().memory_limit_bytes()),
                      std::to_string(d.allocation().cpu_millicores()) + "m", decided,
                      d.decision_id()});
  }
  decisions.Print(out);
  if (snap.decisions.decisions_size() == 0) out << "(no decisions yet)\n";
  return out.str();
}

std::string RenderTopJson(const TopSnapshot& snap, bool pretty) {
  std::string out = "{\"scheduler\": \"" + snap.scheduler + "\", \"nodes\": " +
                    ToJson(snap.nodes, pretty) + ", \"decisions\": " +
                    ToJson(snap.decisions, pretty) + "}";
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

CLI::App* AddTopCommand(CLI::App& app, TopOptions& options) {
  auto* cmd = app.add_subcommand("top", "A live view of the nodes and the newest decisions");
  cmd->add_option("--interval-ms", options.interval_ms, "Time between refreshes")
      ->check(CLI::Range(100, 3'600'000));
  cmd->add_option("-n,--decisions", options.decisions, "Decisions to show")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--function", options.function, "Only decisions for this function");
  cmd->add_flag("--once", options.once, "Print one view and exit");
  cmd->add_option("--iterations", options.iterations, "Stop after this many views (0: never)");
  return cmd;
}

int RunTop(const GlobalOptions& global, const TopOptions& options) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto channel = ConnectToScheduler(global, address);
  auto membership = v1::Membership::NewStub(channel);
  auto placement = v1::Placement::NewStub(channel);
  const bool json = global.output == "json";
  const bool redraw = !options.once && !json && ::isatty(STDOUT_FILENO) == 1;
  const uint32_t iterations = options.once ? 1 : options.iterations;
  for (uint32_t i = 0; iterations == 0 || i < iterations; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options.interval_ms));
    TopSnapshot snap;
    snap.scheduler = address;
    grpc::ClientContext nodes_ctx;
    SetDeadline(nodes_ctx, global);
    grpc::Status status = membership->ListNodes(&nodes_ctx, v1::ListNodesRequest(), &snap.nodes);
    if (status.ok()) {
      grpc::ClientContext decisions_ctx;
      SetDeadline(decisions_ctx, global);
      v1::ListDecisionsRequest request;
      request.set_limit(options.decisions);
      request.set_function_name(options.function);
      status = placement->ListDecisions(&decisions_ctx, request, &snap.decisions);
    }
    if (!status.ok()) {
      std::cerr << "error: " << DescribeRpcError(status, address, "reading the cluster") << "\n";
      return 1;
    }
    const int64_t now_ms = ToUnixMillis(RealClock::Get().WallNow());
    if (json) {
      std::cout << RenderTopJson(snap, options.once) << "\n" << std::flush;
    } else {
      // Home the cursor and clear the screen, so the view stays in place.
      if (redraw) std::cout << "\x1b[H\x1b[2J";
      std::cout << RenderTop(snap, now_ms);
      if (redraw) {
        std::cout << "\nrefreshing every " << options.interval_ms << " ms; Ctrl-C to quit";
      } else {
        std::cout << "\n";
      }
      std::cout << std::flush;
    }
  }
  return 0;
}

}  // namespace tailor::cli
