// KeepAliveSim: warm instances and keep-alive on an Azure Functions trace, the way the agent
// keeps them (agent/runtime/warm_pool.h): each invocation takes the most recently freed idle
// instance of its function that is still within its keep-alive window (warm), else starts a
// new one (cold, its start adding `cold_start_ms`); an instance, once free, stays idle until it
// is taken or its window passes, holding its function's memory the while. Policies:
//
//   none       no keep-alive: every invocation starts cold, nothing idles
//   fixed      a fixed window for every function (OpenWhisk's 10 minutes by default)
//   learned    the agent's policy: a window per function, from the gaps between its
//              invocations (models/keep_alive.h), learned as the trace goes
//
// Durations are each function's trace average; memory its median allocation (128 MiB without
// one). Pure: the trace and arrivals in, figures out.
#pragma once

#include <string>
#include <vector>

#include "common/azure_trace.h"
#include "models/keep_alive.h"

namespace tailor::sim {

enum class KeepAlivePolicy { kNone, kFixed, kLearned };

struct KeepAliveSimOptions {
  KeepAlivePolicy policy = KeepAlivePolicy::kLearned;
  models::KeepAliveOptions keep_alive;  // fixed_window_s is the fixed policy's window too
  double cold_start_ms = 500;
};

struct KeepAliveSimResult {
  uint64_t invocations = 0;
  uint64_t cold_starts = 0;
  double idle_gib_hours = 0;        // idle instances' memory over time
  double mean_latency_ms = 0;       // duration plus the cold start where there was one
  double functions_cold_share = 0;  // per function: cold starts / invocations, averaged
  double cold_start_rate() const {
    return invocations ? double(cold_starts) / double(invocations) : 0;
  }
};

KeepAliveSimResult SimulateKeepAlive(const Trace& trace, const std::vector<Arrival>& arrivals,
                                     const KeepAliveSimOptions& options);

}  // namespace tailor::sim
