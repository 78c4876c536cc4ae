#include "cli/profile_command.h"

#include <cstdio>
#include <iostream>

#include "cli/scheduler_connection.h"
#include "cli/table.h"
#include "tailor/v1/gateway.grpc.pb.h"
#include "tailor/v1/placement.grpc.pb.h"

namespace tailor::cli {
namespace {

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), ms < 10 ? "%.2f ms" : "%.0f ms", ms);
  return buf;
}

}  // namespace

int RunProfile(const GlobalOptions& global, const std::string& function) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Gateway::NewStub(ConnectToScheduler(global, address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::GetProfileRequest request;
  request.set_function_name(function);
  v1::FunctionProfile profile;
  grpc::Status status = stub->GetProfile(&ctx, request, &profile);
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "profiling " + function) << "\n";
    return 1;
  }
  if (global.output == "json") {
    std::cout << ToJson(profile) << "\n";
    return 0;
  }
  std::cout << function << ": " << profile.runs() << " runs\n";
  if (profile.runs() == 0) {
    std::cout << "(no runs yet; try tailorctl invoke " << function << ")\n";
    return 0;
  }
  Table table({"HOST CLASS", "NODES", "RUNS", "FAILED", "P50", "P95", "P99", "CPU/WALL",
               "PEAK MEM P95", "OOM"});
  for (const auto& c : profile.classes()) {
    std::string nodes;
    for (const auto& n : c.node_ids()) nodes += (nodes.empty() ? "" : ",") + n;
    table.AddRow({c.host_class(), nodes, std::to_string(c.runs()), std::to_string(c.failures()),
                  Ms(c.duration_p50_ms()), Ms(c.duration_p95_ms()), Ms(c.duration_p99_ms()),
                  FormatFixed(c.cpu_per_wall(), 2), FormatBytes(c.peak_memory_p95_bytes()),
                  std::to_string(c.oom_kills())});
  }
  table.Print(std::cout);
  const auto& a = profile.recommended_allocation();
  std::cout << "recommended allocation: memory " << FormatBytes(a.memory_limit_bytes()) << ", cpu "
            << a.cpu_millicores() << "m\n";
  return 0;
}

CLI::App* AddProfileCommand(CLI::App& app, std::string& function) {
  auto* cmd = app.add_subcommand("profile", "What Tailor learned about a function, per host class");
  cmd->add_option("function", function, "Function name")->required();
  return cmd;
}

int RunExplain(const GlobalOptions& global, const std::string& decision_id) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Placement::NewStub(ConnectToScheduler(global, address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::ExplainRequest request;
  request.set_decision_id(decision_id);
  v1::ExplainResponse e;
  grpc::Status status = stub->Explain(&ctx, request, &e);
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "explaining " + decision_id)
              << "\n";
    return 1;
  }
  if (global.output == "json") {
    std::cout << ToJson(e) << "\n";
    return 0;
  }
  std::cout << "decision " << e.decision_id() << ": " << e.function_name() << " -> "
            << e.chosen_node_id() << " by " << e.policy() << " ("
            << (e.explored() ? "explored" : "exploited") << ", decided in "
            << FormatFixed(e.decision_latency_us(), 1) << " us)\n";
  std::cout << "allocation: memory " << FormatBytes(e.allocation().memory_limit_bytes())
            << ", cpu " << e.allocation().cpu_millicores() << "m";
  if (e.predicted_duration_ms() > 0) std::cout << ", predicted " << Ms(e.predicted_duration_ms());
  std::cout << "\n";
  Table table({"NODE", "HOST CLASS", "ELIGIBLE", "SCORE", "TERMS"});
  for (const auto& c : e.candidates()) {
    std::string terms;
    for (const auto& [k, v] : c.terms())
      terms += (terms.empty() ? "" : " ") + k + "=" + FormatFixed(v, 3);
    table.AddRow({c.node_id() + (c.node_id() == e.chosen_node_id() ? " *" : ""), c.host_class(),
                  c.eligible() ? "yes" : "no: " + c.reason(),
                  c.eligible() ? FormatFixed(c.score(), 4) : "-", terms});
  }
  table.Print(std::cout);
  return 0;
}

CLI::App* AddExplainCommand(CLI::App& app, std::string& decision_id) {
  auto* cmd = app.add_subcommand("explain", "Why a placement decision chose its node");
  cmd->add_option("decision", decision_id, "Decision id (from invoke --verbose or Place)")
      ->required();
  return cmd;
}

}  // namespace tailor::cli
