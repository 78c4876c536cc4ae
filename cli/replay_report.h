// ReplayReport: what a replay showed, as JSON (the data) and as tables (the same data for a
// person). For each policy run, per function:
//   - placement over time: the replay is cut into `phases` equal spans of the schedule, and
//     each span shows the share of the function's calls each node got and how many the policy
//     made to explore: a learning policy spreads early calls, then converges;
//   - prediction: over the calls after the first phase, the predicted run duration against the
//     one the agent measured (medians and the median of |error|/measured);
//   - allocation: the memory limit and CPU quota given against the peak memory and CPU the runs
//     used;
//   - latency (gateway round trip): mean, p50, p95; and with two runs, side by side per
//     function and overall, with the mean speed-up of the first over the second.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/replay_runner.h"
#include "cli/replay_workload.h"

namespace tailor::cli {

struct PolicyRun {
  std::string policy;
  double elapsed_ms = 0;
  std::vector<CallRecord> records;  // in schedule order
};

struct ReplayDescription {
  std::string trace_source;
  uint32_t trace_minutes = 0;
  double duration_ms = 0;
  uint32_t phases = 6;
};

nlohmann::json ReplayReportJson(const ReplayDescription& description,
                                const std::vector<WorkloadFunction>& workload,
                                const Schedule& schedule, const std::vector<PolicyRun>& runs);

// Prints the tables built from ReplayReportJson's result.
void PrintReplayReport(const nlohmann::json& report, std::ostream& out);

// The value at percentile p (0..100) of `values`, nearest rank; 0 for none.
double Percentile(std::vector<double> values, double p);

}  // namespace tailor::cli
