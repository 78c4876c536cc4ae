// ReplayWorkload: what `tailorctl replay` sends. A workload file names the deployed functions
// and the payload each is called with; an Azure Functions trace gives the shape: when calls
// arrive, and how unevenly they are spread over functions.
//
// Mapping (documented in docs/demo.md):
//   - the trace's functions active in its first `trace_minutes` minutes are ranked by their
//     invocations there; the workload's i-th function takes the i-th busiest one and keeps its
//     per-minute pattern;
//   - each function's share of `invocations` is proportional to (its trace count)^skew: skew 1
//     keeps the trace's skew (in the Azure trace the busiest function alone has 63% of all
//     calls), 0 spreads calls evenly, the default 0.5 keeps the order with every function
//     getting enough calls to learn from;
//   - the trace minutes are compressed into `duration_ms`; a function's expected calls in a
//     minute are rounded stochastically, and its calls arrive uniformly within the minute (a
//     Poisson process conditioned on the count, as in tailor-sim).
// The schedule is deterministic for a seed.
//
// Workload file (TOML):
//   [[function]]
//   name = "aes-gcm"
//   payload = '{"bytes": 1048576, "rounds": 48}'
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/azure_trace.h"
#include "common/status.h"

namespace tailor::cli {

struct WorkloadFunction {
  std::string name;
  std::string payload;
};

// INVALID_ARGUMENT naming the problem (not TOML, no [[function]], a function without a name,
// a name given twice).
Result<std::vector<WorkloadFunction>> ParseWorkload(std::string_view toml_text);
Result<std::vector<WorkloadFunction>> LoadWorkload(const std::string& path);

struct ScheduleOptions {
  uint32_t trace_minutes = 20;
  double duration_ms = 60'000;
  uint32_t invocations = 600;
  double skew = 0.5;
  uint64_t seed = 1;
};

struct ScheduledCall {
  double at_ms = 0;        // from the start of the replay
  uint32_t function = 0;   // index into the workload
};

struct Schedule {
  std::vector<ScheduledCall> calls;        // in time order
  std::vector<std::string> trace_function;  // per workload function, the trace function it follows
  std::vector<uint64_t> trace_calls;        // per workload function, its trace count in the window
};

// INVALID_ARGUMENT when the options are out of range or the trace has fewer active functions
// in the window than the workload has functions.
Result<Schedule> BuildSchedule(const Trace& trace, const std::vector<WorkloadFunction>& workload,
                               const ScheduleOptions& options);

}  // namespace tailor::cli
