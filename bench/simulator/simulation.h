// Simulation: replays a trace's arrivals through one placement policy on a simulated cluster
// whose functions behave as their ground truth says, and records what every invocation got.
//
// Time is simulated (an event queue of arrivals and completions; no clocks, no sleeps). Each
// node has the memory and cores of its class; a decision reserves the policy's allocation,
// and an invocation that finds no node with room now (RESOURCE_EXHAUSTED) waits in the
// scheduler's queue until a run completes; one that no node could ever take
// (FAILED_PRECONDITION: too large, a missing feature) fails at once.
// Policies see each class as a real host reports it: its features, cache and cores, but speed
// 1.0 (hosts do not know how fast they are; Tailor learns it from runs). Only baselines that
// stand for an operator's knowledge (fastest-first's ranking) are told the true speeds. A run's
// duration is its function's expected duration on the node's class at the node's load when it
// starts (FunctionTruth::ExpectedMs), times the invocation's own noise; its memory peak is the
// invocation's own draw. Both draws depend only on (seed, invocation), so every policy sees the
// same invocations. A peak above the memory limit is an OOM kill: the run ends when it reaches the
// limit and the invocation is placed again (up to max_attempts). Every finished run is reported to
// the policy (Observe) as the scheduler would report it, including its CPU quota and whether the
// quota throttled it (a function that needs more cores than it got is throttled in every CFS
// period).
//
// Thread-safety: Simulate is reentrant; inputs are shared read-only between simulations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/simulator/cluster_spec.h"
#include "bench/simulator/function_truth.h"
#include "common/azure_trace.h"
#include "common/status.h"
#include "models/placement_policy.h"

namespace tailor::sim {

// From `from_ms` (simulated time) on, runs starting on the hosts of class `class_index` (into
// the cluster spec) take `factor` (>= 1) times as long: firmware that drops turbo, a failing
// cooling loop, a noisy tenant outside Tailor's view.
struct ClassDegradation {
  uint32_t class_index = 0;
  double from_ms = 0;
  double factor = 1;
};

// "class:minute:factor,..." against `spec`'s classes. INVALID_ARGUMENT naming the entry for an
// unknown class, a minute that is not a whole number >= 0 or a factor outside [1, 100].
Result<std::vector<ClassDegradation>> ParseDegradations(std::string_view text,
                                                        const ClusterSpec& spec);

// From `at_ms` on, the hosts of class `class_index` are gone (a rack's power, a bad kernel
// rollout): runs in flight on them are lost and placed again (not counted against the
// invocation's attempts), and the scheduler sees the hosts unhealthy (their heartbeats
// stopped), so no policy chooses them. They do not come back.
struct ClassFailure {
  uint32_t class_index = 0;
  double at_ms = 0;
};

// "class:minute,..." against `spec`'s classes. INVALID_ARGUMENT naming the entry for an
// unknown class or a minute that is not a whole number >= 0, or when every class would fail.
Result<std::vector<ClassFailure>> ParseFailures(std::string_view text, const ClusterSpec& spec);

// The product of the factors of the degradations of `class_index` in force at `now_ms`.
double DegradationFactor(const std::vector<ClassDegradation>& degradations, uint32_t class_index,
                         double now_ms);

struct SimulationInput {
  const ClusterSpec* cluster = nullptr;
  const std::vector<FunctionTruth>* truth = nullptr;  // indexed like the trace's functions
  const std::vector<Arrival>* arrivals = nullptr;     // in time order
  uint64_t seed = 1;
  uint32_t max_attempts = 4;
  // Give policies each function's kind as a manifest hint (FunctionInfo::preferred_features:
  // crypto aes, hashing sha_ni, vector avx2 and avx512f, cache large_l3, memory
  // memory_bandwidth), what static-rules chooses its rule by.
  bool hints = true;
  // Per node (class order, then index within the class): a factor on its durations (1: as
  // its class; 1.5: a straggler, 50% slower). Empty: every node 1.
  std::vector<double> node_slowness;
  // Processor sharing: a run's interference (FunctionTruth::interference) follows the CPU its
  // co-runners hold from moment to moment, so it stretches as others start and speeds up as
  // they end. false: fixed when it starts, from the share held then. The cluster's core pools
  // (ClusterSpec::pools) apply only with it; tailor-sim refuses pools without it.
  bool processor_sharing = false;
  // Classes that become slower mid-run (ClassDegradation): runs that start on one of the
  // class's hosts from `from_ms` on take `factor` times as long. Policies are not told.
  std::vector<ClassDegradation> degradations;
  // Classes whose hosts fail mid-run (ClassFailure).
  std::vector<ClassFailure> failures;
  // Warm instances, as for runtime = "lambda" functions (docs/lambda.md): > 0 makes a run that
  // finds no idle instance of its function on its node start cold, this much longer (reported
  // to the policy as the run's init, apart from its duration); a finished run leaves its
  // instance idle on the node for `keep_alive_s`, and policies are told where idle instances
  // are (PlacementRequest::warm_node_ids). 0: no instances, as for plain functions.
  double cold_start_ms = 0;
  double keep_alive_s = 600;
  // How long a finished run's report takes to reach the policy (an agent's spool, the
  // network, a scheduler busy elsewhere): policies decide meanwhile without it. 0: at once.
  double report_lag_ms = 0;
  // What every call pays besides its run and its wait for room (placement, forwarding to the
  // agent, process start: scripts/sim-to-real measures it on the demo's hosts): added to each
  // latency and to each lower bound, since no policy avoids it. 0: not modelled.
  double dispatch_ms = 0;
};

// Slowness for `spec`'s nodes: `share` of them (chosen by `seed`) are stragglers `factor`
// times slower, the rest are as their class.
std::vector<double> StragglerSlowness(const ClusterSpec& spec, double share, double factor,
                                      uint64_t seed);

// Per arrival: a true lower bound on its latency under any policy: its run time on the class
// where it runs fastest, alone on the host, with the CPU it needs, no queueing and no OOM
// (the same noise draw the simulation gives it). Every policy's latency is at least this.
std::vector<float> LowerBounds(const SimulationInput& input);

struct PolicyRun {
  std::string policy;
  // Per arrival: from arrival to the end of its successful run (waiting, OOM-killed attempts
  // and all), and that run's duration. NaN when it never succeeded.
  std::vector<float> latency_ms;
  std::vector<float> run_ms;
  std::vector<uint32_t> function_of;  // per arrival: its function (index into the truth)
  uint64_t decisions = 0;             // Decide calls, including those that found no room
  double decide_seconds = 0;          // wall time spent inside Decide
  uint64_t waited = 0;                // invocations that waited in the queue for room
  uint64_t oom_kills = 0;
  uint64_t failed = 0;           // gave up after max_attempts, or could never fit
  uint64_t lost_runs = 0;        // runs in flight on hosts that failed (placed again)
  uint64_t explored = 0;         // decisions the policy marked as exploration
  double host_hours = 0;         // host-minutes with any run, in hours
  double busy_core_hours = 0;    // CPU actually used by runs
  double active_core_hours = 0;  // cores of hosts during their active minutes
  double memory_allocated_gib_hours = 0;
  double memory_used_gib_hours = 0;         // peak memory x run time
  std::vector<uint64_t> runs_by_class;      // successful runs per cluster class
  std::vector<double> host_hours_by_class;  // host_hours per cluster class
  uint64_t cold_starts = 0;  // runs that started a new instance (SimulationInput::cold_start_ms)
  double wall_seconds = 0;   // how long the simulation took
};

PolicyRun Simulate(const SimulationInput& input, models::PlacementPolicy& policy);

// The same standard normal and uniform draws Simulate uses for an invocation.
double InvocationNormal(uint64_t seed, uint64_t invocation);
// The invocation's payload draw (FunctionTruth::PayloadKib), independent of its noise.
double InvocationPayloadNormal(uint64_t seed, uint64_t invocation);
double InvocationUniform(uint64_t seed, uint64_t invocation);

}  // namespace tailor::sim
