// AzureTrace: the Azure Functions traces that tailor-sim and `tailorctl replay` replay, and the
// arrivals drawn from them.
//
// Three formats are read (docs/simulator.md describes them):
//   - Azure Functions 2019, as sampled by vHive/invitro: a directory with invocations.csv
//     (per-minute invocation counts per function), durations.csv (per-function duration
//     statistics) and memory.csv (per-function allocated-memory percentiles); the 2022
//     full-day sample the same with other file names and columns (LoadAzure2019);
//   - Azure Functions 2021: one CSV row per invocation (app, func, end_timestamp, duration in
//     seconds), from which arrivals are exact.
// Within a minute of a 2019 trace, a function's k invocations arrive as a Poisson process
// conditioned on k arrivals: k independent uniform times in the minute.
//
// Thread-safety: immutable after loading.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tailor {

struct TraceFunction {
  std::string name;      // "fn-" + the first 12 hex digits of HashFunction (or func)
  std::string trigger;   // http, timer, queue... ("" when unknown)
  std::vector<uint32_t> per_minute;  // invocations per minute (2019 traces)
  // Duration in ms: the trace's average and percentiles 0, 1, 25, 50, 75, 99, 100.
  double average_ms = 0;
  std::array<double, 7> duration_percentiles_ms{};
  bool has_duration = false;
  // Allocated memory in MiB at percentiles 1, 5, 25, 50, 75, 95, 99, 100.
  std::array<double, 8> memory_percentiles_mib{};
  bool has_memory = false;
  uint64_t invocations = 0;
};

struct Arrival {
  double time_ms = 0;
  uint32_t function = 0;  // index into Trace::functions
};

struct Trace {
  std::string source;   // what was loaded, for reports
  uint32_t minutes = 0;
  std::vector<TraceFunction> functions;
  std::vector<Arrival> exact_arrivals;  // 2021 traces: sorted by time
};

inline constexpr std::array<double, 7> kDurationPercentiles = {0, 1, 25, 50, 75, 99, 100};
inline constexpr std::array<double, 8> kMemoryPercentiles = {1, 5, 25, 50, 75, 95, 99, 100};

// A directory holding invocations.csv, durations.csv and memory.csv, or the 2022 full-day
// sample's <N>_inv.csv (no Trigger column; minute_1.. after HashApp), <N>_run.csv (the same
// durations) and <N>_mem.csv (no HashFunction column: one function per app, HashApp its hash).
// INVALID_ARGUMENT naming
// the file and line for malformed rows (numbers must be in 0..1e12); functions missing from
// durations or memory are kept with has_duration / has_memory false.
Result<Trace> LoadAzure2019(const std::string& directory);
// The same from the three files' contents (`directory` only names them in messages).
struct Azure2019Files {
  std::string directory;
  std::string invocations, durations, memory;
  std::string invocations_name = "invocations.csv", durations_name = "durations.csv",
              memory_name = "memory.csv";
};
Result<Trace> ParseAzure2019(const Azure2019Files& files);
// A per-invocation CSV with header app,func,end_timestamp,duration; its invocations must start
// within a year of the first.
Result<Trace> LoadAzure2021(const std::string& csv_path);
// The same from the file's contents (`csv_path` only names it in messages).
Result<Trace> ParseAzure2021(const std::string& csv_path, std::string_view text);
// Either of the above, by what `path` is (a directory or a file).
Result<Trace> LoadTrace(const std::string& path);

// The trace's invocations in time order, over its first `max_minutes` minutes (0: all).
// Deterministic for a seed.
std::vector<Arrival> DrawArrivals(const Trace& trace, uint64_t seed, uint32_t max_minutes = 0);

}  // namespace tailor
