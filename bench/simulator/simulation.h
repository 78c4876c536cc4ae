// Simulation: replays a trace's arrivals through one placement policy on a simulated cluster
// whose functions behave as their ground truth says, and records what every invocation got.
//
// Time is simulated (an event queue of arrivals and completions; no clocks, no sleeps). Each
// node has the memory and cores of its class; a decision reserves the policy's allocation,
// and an invocation that finds no node with room waits in the scheduler's queue until a run
// completes. A run's duration is its function's expected duration on the node's class at the
// node's load when it starts (FunctionTruth::ExpectedMs), times the invocation's own noise;
// its memory peak is the invocation's own draw. Both draws depend only on (seed, invocation),
// so every policy sees the same invocations. A peak above the memory limit is an OOM kill: the
// run ends when it reaches the limit and the invocation is placed again (up to max_attempts).
// Every finished run is reported to the policy (Observe) as the scheduler would report it.
//
// Thread-safety: Simulate is reentrant; inputs are shared read-only between simulations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/azure_trace.h"
#include "bench/simulator/cluster_spec.h"
#include "bench/simulator/function_truth.h"
#include "models/placement_policy.h"

namespace tailor::sim {

struct SimulationInput {
  const ClusterSpec* cluster = nullptr;
  const std::vector<FunctionTruth>* truth = nullptr;  // indexed like the trace's functions
  const std::vector<Arrival>* arrivals = nullptr;     // in time order
  uint64_t seed = 1;
  uint32_t max_attempts = 4;
};

struct PolicyRun {
  std::string policy;
  // Per arrival: from arrival to the end of its successful run (waiting, OOM-killed attempts
  // and all), and that run's duration. NaN when it never succeeded.
  std::vector<float> latency_ms;
  std::vector<float> run_ms;
  std::vector<uint32_t> function_of;  // per arrival: its function (index into the truth)
  uint64_t decisions = 0;        // Decide calls, including those that found no room
  double decide_seconds = 0;     // wall time spent inside Decide
  uint64_t waited = 0;           // invocations that waited in the queue for room
  uint64_t oom_kills = 0;
  uint64_t failed = 0;           // gave up after max_attempts, or could never fit
  uint64_t explored = 0;         // decisions the policy marked as exploration
  double host_hours = 0;         // host-minutes with any run, in hours
  double busy_core_hours = 0;    // CPU actually used by runs
  double active_core_hours = 0;  // cores of hosts during their active minutes
  double memory_allocated_gib_hours = 0;
  double memory_used_gib_hours = 0;  // peak memory x run time
  std::vector<uint64_t> runs_by_class;  // successful runs per cluster class
  double wall_seconds = 0;       // how long the simulation took
};

PolicyRun Simulate(const SimulationInput& input, models::PlacementPolicy& policy);

// The same standard normal and uniform draws Simulate uses for an invocation.
double InvocationNormal(uint64_t seed, uint64_t invocation);
double InvocationUniform(uint64_t seed, uint64_t invocation);

}  // namespace tailor::sim
