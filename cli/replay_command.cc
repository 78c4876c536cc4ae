#include "cli/replay_command.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <set>

#include "cli/progress_bar.h"
#include "cli/replay_report.h"
#include "cli/replay_runner.h"
#include "cli/scheduler_connection.h"
#include "tailor/v1/gateway.grpc.pb.h"
#include "tailor/v1/registry.grpc.pb.h"

namespace tailor::cli {
namespace {

// Every workload function must be deployed: a replay of calls that all fail says nothing.
int CheckDeployed(const GlobalOptions& global, const std::string& address,
                  const std::shared_ptr<grpc::Channel>& channel,
                  const std::vector<WorkloadFunction>& workload) {
  auto registry = v1::Registry::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::ListFunctionsRequest request;
  v1::ListFunctionsResponse response;
  const grpc::Status status = registry->ListFunctions(&ctx, request, &response);
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "listing functions") << "\n";
    return 1;
  }
  std::set<std::string> deployed;
  for (const auto& f : response.functions()) deployed.insert(f.name());
  int missing = 0;
  for (const auto& w : workload) {
    if (deployed.count(w.name) == 0) {
      std::cerr << "error: the workload calls '" << w.name
                << "', which is not deployed; deploy its bundle with `tailorctl deploy DIR`\n";
      ++missing;
    }
  }
  return missing == 0 ? 0 : 1;
}

void WriteRecords(std::ostream& out, const std::string& policy,
                  const std::vector<WorkloadFunction>& workload,
                  const std::vector<CallRecord>& records) {
  for (const auto& r : records) {
    nlohmann::json j = {{"policy", policy},
                        {"function", workload[r.function].name},
                        {"scheduled_ms", r.scheduled_ms},
                        {"sent_ms", r.sent_ms},
                        {"latency_ms", r.latency_ms},
                        {"ok", r.ok},
                        {"error", r.error},
                        {"node_id", r.node_id},
                        {"decision_id", r.decision_id},
                        {"explored", r.explored},
                        {"predicted_ms", r.predicted_ms},
                        {"wall_ms", r.wall_ms},
                        {"cpu_ms", r.cpu_ms},
                        {"peak_memory_bytes", r.peak_memory_bytes},
                        {"memory_limit_bytes", r.memory_limit_bytes},
                        {"cpu_millicores", r.cpu_millicores}};
    out << j.dump() << "\n";
  }
}

}  // namespace

CLI::App* AddReplayCommand(CLI::App& app, ReplayOptions& options) {
  auto* cmd = app.add_subcommand(
      "replay", "Send a workload shaped by an Azure Functions trace and report what happened");
  cmd->add_option("--workload", options.workload,
                  "TOML file: [[function]] tables with name and payload")
      ->required();
  cmd->add_option("--trace", options.trace,
                  "Azure Functions 2019 trace directory or 2021 CSV (e.g. bench/traces/azure2019)")
      ->required();
  cmd->add_option("--trace-minutes", options.schedule.trace_minutes,
                  "How many of the trace's first minutes to replay")
      ->check(CLI::Range(1, 1440));
  double duration_s = options.schedule.duration_ms / 1000.0;
  cmd->add_option_function<double>(
         "--duration-s", [&options](double s) { options.schedule.duration_ms = s * 1000.0; },
         "Real time the trace minutes are compressed into")
      ->default_val(duration_s)
      ->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("--invocations", options.schedule.invocations, "Calls in total (about)")
      ->check(CLI::Range(1, 10'000'000));
  cmd->add_option("--skew", options.schedule.skew,
                  "0..1: how much of the trace's popularity skew to keep (1: all)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", options.schedule.seed, "Seed of the arrival times");
  cmd->add_option("--policy", options.policy, "Placement policy (default: the scheduler's)");
  cmd->add_option("--compare", options.compare,
                  "Replay the same calls again under this policy and compare");
  cmd->add_option("--concurrency", options.concurrency, "Calls in flight at most")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--phases", options.phases, "Spans the placement-over-time table shows")
      ->check(CLI::Range(1, 24));
  cmd->add_option("--record", options.record, "Write every call as a JSON line to this file");
  cmd->add_flag("--quiet", options.quiet, "No progress bar");
  return cmd;
}

int RunReplay(const GlobalOptions& global, const ReplayOptions& options) {
  auto workload = LoadWorkload(options.workload);
  if (!workload.ok()) {
    std::cerr << "error: " << workload.status().message() << "\n";
    return 2;
  }
  auto trace = LoadTrace(options.trace);
  if (!trace.ok()) {
    std::cerr << "error: " << trace.status().message() << "\n";
    return 2;
  }
  auto schedule = BuildSchedule(*trace, *workload, options.schedule);
  if (!schedule.ok()) {
    std::cerr << "error: " << schedule.status().message() << "\n";
    return 2;
  }
  std::ofstream record;
  if (!options.record.empty()) {
    record.open(options.record, std::ios::trunc);
    if (!record) {
      std::cerr << "error: cannot write --record file '" << options.record << "'\n";
      return 2;
    }
  }
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto channel = ConnectToScheduler(global, address);
  if (int rc = CheckDeployed(global, address, channel, *workload); rc != 0) return rc;
  auto gateway = v1::Gateway::NewStub(channel);

  std::vector<std::string> policies = {options.policy};
  if (!options.compare.empty()) policies.push_back(options.compare);
  std::vector<PolicyRun> runs;
  const bool interactive = ::isatty(STDERR_FILENO) == 1;
  for (const auto& policy : policies) {
    PolicyRun run;
    run.policy = policy.empty() ? "default" : policy;
    ReplayRunOptions ro;
    ro.policy = policy;
    ro.concurrency = options.concurrency;
    ProgressBar bar(std::cerr, "replay " + run.policy, interactive);
    ReplayProgress progress;
    if (!options.quiet) {
      progress = [&bar](size_t done, size_t failed, size_t total) {
        bar.Update(done, failed, total);
      };
    }
    const auto start = std::chrono::steady_clock::now();
    std::string stopped_by;
    run.records = RunReplay(*gateway, *workload, *schedule, ro, progress, &stopped_by);
    run.elapsed_ms = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    bar.Finish();
    if (!stopped_by.empty()) {
      std::cerr << "error: the scheduler refused a call under '" << run.policy
                << "', so the replay stopped: " << stopped_by << "\n";
      return 1;
    }
    if (record.is_open()) WriteRecords(record, run.policy, *workload, run.records);
    // A run where nothing succeeded is a broken cluster, not a result: say why and stop.
    size_t failed = 0;
    for (const auto& r : run.records) failed += r.ok ? 0 : 1;
    if (!run.records.empty() && failed == run.records.size()) {
      std::cerr << "error: every call under '" << run.policy
                << "' failed; the first error: " << run.records.front().error << "\n";
      return 1;
    }
    runs.push_back(std::move(run));
  }

  ReplayDescription description;
  description.trace_source = trace->source;
  description.trace_minutes = options.schedule.trace_minutes;
  description.duration_ms = options.schedule.duration_ms;
  description.phases = options.phases;
  const nlohmann::json report = ReplayReportJson(description, *workload, *schedule, runs);
  if (global.output == "json") {
    std::cout << report.dump(2) << "\n";
  } else {
    PrintReplayReport(report, std::cout);
  }
  return 0;
}

}  // namespace tailor::cli
