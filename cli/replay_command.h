// `tailorctl replay --workload FILE --trace PATH [--policy P] [--compare Q] ...`: sends a
// workload shaped by an Azure Functions trace (see replay_workload.h) through the scheduler's
// gateway in real time with a progress bar, then prints where each function ran over time,
// what the policy predicted and allocated against what the runs measured, and latency per
// function; with --compare, the same calls again under a second policy, side by side.
// -o json prints the report as JSON; --record FILE writes every call as a JSON line.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/global_options.h"
#include "cli/replay_workload.h"

namespace tailor::cli {

struct ReplayOptions {
  std::string workload;
  std::string trace;
  ScheduleOptions schedule;
  std::string policy;
  std::string compare;
  uint32_t concurrency = 8;
  uint32_t phases = 6;
  std::string record;
  bool quiet = false;  // no progress bar
};

CLI::App* AddReplayCommand(CLI::App& app, ReplayOptions& options);
int RunReplay(const GlobalOptions& global, const ReplayOptions& options);

}  // namespace tailor::cli
