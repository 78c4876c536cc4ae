// Comparison: each policy's simulation summarized against the oracle's, as a terminal table,
// JSON, and a chart (SVG and PNG) drawn by gnuplot.
//
// Slowdown of an invocation = its latency (arrival to successful completion) under the policy
// over its latency under the oracle; the latency target of an invocation is twice its oracle
// latency. Invocations that failed under either policy are left out of slowdowns and counted
// separately, except in `within_target_share_with_failures`, where a failure is a miss.
//
// Invocation-weighted figures are dominated by the busiest functions (in the Azure sample one
// function is most of the calls), so each function also counts once:
// `function_mean_slowdown` is the mean over functions of each function's mean slowdown, and
// `first_calls_mean_slowdown` the same over each function's first kFirstCalls invocations
// (what a new function meets while the policy learns it).
//
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/simulator/simulation.h"
#include "common/status.h"

namespace tailor::sim {

struct PolicySummary {
  std::string policy;
  uint64_t invocations = 0;
  double mean_slowdown = 0, p50_slowdown = 0, p99_slowdown = 0;
  double within_target_share = 0;  // latency <= 2x the oracle's
  double within_target_share_with_failures = 0;  // the same, failed invocations counted as misses
  double function_mean_slowdown = 0;             // each function once
  double first_calls_mean_slowdown = 0;  // each function once, over its first kFirstCalls calls
  double mean_latency_ms = 0, p99_latency_ms = 0;
  double host_hours = 0;
  double utilization = 0;  // busy core-hours / core-hours of active hosts
  double memory_allocated_gib_hours = 0, memory_used_gib_hours = 0;
  uint64_t oom_kills = 0, failed = 0, waited = 0;
  double explored_share = 0;
  double decisions_per_second = 0;
  double wall_seconds = 0;
  std::vector<uint64_t> runs_by_class;
};

inline constexpr size_t kFirstCalls = 10;

// `oracle` is the oracle's run over the same arrivals.
PolicySummary Summarize(const PolicyRun& run, const PolicyRun& oracle);

std::string FormatTable(const std::vector<PolicySummary>& summaries);
nlohmann::json ToJson(const std::vector<PolicySummary>& summaries,
                      const std::vector<std::string>& class_names);
// Writes <directory>/comparison.dat, comparison.gp and, by running gnuplot, comparison.svg
// and comparison.png.
// FAILED_PRECONDITION when gnuplot is missing or fails.
Status WritePlots(const std::vector<PolicySummary>& summaries, const std::string& directory,
                  const std::string& title);

}  // namespace tailor::sim
