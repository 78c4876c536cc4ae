// Comparison: each policy's simulation summarized against a true lower bound, as a terminal
// table, JSON, and a chart (SVG and PNG) drawn by gnuplot.
//
// Slowdown of an invocation = its latency (arrival to successful completion) under the policy
// over its lower bound (LowerBounds: its run time on its best class, alone, with the CPU it
// needs, never queued), so it is at least 1 and 1 is unbeatable. The latency target of an
// invocation is twice its bound.
//
// Invocation-weighted figures (mean, p50, p99, within_target_share) cover the invocations that
// succeeded; failures are counted apart. They are dominated by the busiest functions (in the
// Azure sample one function is most of the calls), so the headline figures count each function
// once, and count a failed invocation as a slowdown of kFailedSlowdown:
// `function_mean_slowdown` is the mean over functions of each function's mean slowdown,
// `first_calls_mean_slowdown` the same over each function's first kFirstCalls invocations
// (what a new function meets while the policy learns it), and `rare_function_mean_slowdown`
// the mean over functions called fewer than kFirstCalls times in all.
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
  double within_target_share = 0;  // latency <= 2x the bound, of the invocations that succeeded
  double within_target_share_with_failures = 0;  // the same, failed invocations counted as misses
  // Each function once, failures counted as kFailedSlowdown:
  double function_mean_slowdown = 0;
  double first_calls_mean_slowdown = 0;    // over each function's first kFirstCalls calls
  double rare_function_mean_slowdown = 0;  // over functions with fewer than kFirstCalls calls
  uint64_t rare_functions = 0;
  double mean_latency_ms = 0, p99_latency_ms = 0;
  double host_hours = 0;
  double utilization = 0;  // busy core-hours / core-hours of active hosts
  double memory_allocated_gib_hours = 0, memory_used_gib_hours = 0;
  uint64_t oom_kills = 0, failed = 0, waited = 0;
  uint64_t lost_runs = 0;    // runs in flight on hosts that failed (--fail)
  uint64_t cold_starts = 0;  // with warm instances modelled (SimulationInput::cold_start_ms)
  double explored_share = 0;
  double decisions_per_second = 0;
  double wall_seconds = 0;
  std::vector<uint64_t> runs_by_class;
  std::vector<double> host_hours_by_class;
};

inline constexpr size_t kFirstCalls = 10;
inline constexpr double kFailedSlowdown = 10.0;

// One function's calls under one policy, failures counted as kFailedSlowdown.
struct FunctionSlowdown {
  uint32_t function = 0;  // index into the truth
  uint64_t calls = 0, failed = 0;
  double mean_slowdown = 0;
  double first_calls_mean_slowdown = 0;  // over its first kFirstCalls calls
  // Of its successful calls (0 when none succeeded): latency from arrival to the end of the
  // run that succeeded, and that run's duration, for comparing with real runs
  // (scripts/sim-to-real).
  double mean_latency_ms = 0, median_latency_ms = 0, mean_run_ms = 0;
};

// Every function with at least one call whose bound is known, by function index: where a
// policy loses, function by function (tailor-sim --per-function).
std::vector<FunctionSlowdown> PerFunction(const PolicyRun& run, const std::vector<float>& bounds);

// `bounds`: LowerBounds of the same arrivals.
PolicySummary Summarize(const PolicyRun& run, const std::vector<float>& bounds);

// Invocations whose latency under `run` is below their lower bound (beyond float rounding): a
// bug in the simulator or the bound; tailor-sim fails the run when there is any.
uint64_t BoundViolations(const PolicyRun& run, const std::vector<float>& bounds);

std::string FormatTable(const std::vector<PolicySummary>& summaries);

// A figure over several seeds: the mean and the half-width of its 95% confidence interval
// (Student's t with seeds - 1 degrees of freedom; 0 for a single seed).
struct Interval {
  double mean = 0, half_width = 0;
};
Interval MeanInterval(const std::vector<double>& values);

struct SeedSummary {
  std::string policy;
  size_t seeds = 0;
  Interval mean_slowdown, p99_slowdown, function_mean_slowdown, first_calls_mean_slowdown,
      rare_function_mean_slowdown, within_target_share_with_failures, host_hours, failed;
};
// `per_seed[k]` holds seed k's summaries, the same policies in the same order in each.
std::vector<SeedSummary> AcrossSeeds(const std::vector<std::vector<PolicySummary>>& per_seed);
std::string FormatSeedTable(const std::vector<SeedSummary>& summaries);
nlohmann::json ToJson(const std::vector<SeedSummary>& summaries);
nlohmann::json ToJson(const std::vector<PolicySummary>& summaries,
                      const std::vector<std::string>& class_names);
// Writes <directory>/comparison.dat, comparison.gp and, by running gnuplot, comparison.svg
// and comparison.png.
// FAILED_PRECONDITION when gnuplot is missing or fails.
Status WritePlots(const std::vector<PolicySummary>& summaries, const std::string& directory,
                  const std::string& title);

}  // namespace tailor::sim
