// Keep-alive on hand-made arrivals: what each policy starts cold and how much idle memory it
// holds, counted as the agent keeps instances.
#include "bench/simulator/keep_alive_sim.h"

#include <gtest/gtest.h>

namespace tailor::sim {
namespace {

Trace OneFunction(double duration_ms, double memory_mib) {
  Trace t;
  TraceFunction f;
  f.name = "f";
  f.has_duration = true;
  f.average_ms = duration_ms;
  f.has_memory = true;
  f.memory_percentiles_mib[3] = memory_mib;
  t.functions.push_back(f);
  return t;
}

std::vector<Arrival> Every(double gap_ms, int n) {
  std::vector<Arrival> a;
  for (int i = 0; i < n; ++i) a.push_back({i * gap_ms, 0});
  return a;
}

KeepAliveSimResult Simulate(KeepAlivePolicy policy, const Trace& trace,
                            const std::vector<Arrival>& arrivals) {
  KeepAliveSimOptions o;
  o.policy = policy;
  o.cold_start_ms = 0;
  return SimulateKeepAlive(trace, arrivals, o);
}

TEST(KeepAliveSimTest, TwelveMinuteGapsDefeatTheFixedWindowButNotTheLearnedOne) {
  const Trace trace = OneFunction(1000, 1024);
  const auto arrivals = Every(12 * 60'000.0, 50);
  const auto none = Simulate(KeepAlivePolicy::kNone, trace, arrivals);
  const auto fixed = Simulate(KeepAlivePolicy::kFixed, trace, arrivals);
  const auto learned = Simulate(KeepAlivePolicy::kLearned, trace, arrivals);
  EXPECT_EQ(none.cold_starts, 50u);
  EXPECT_EQ(none.idle_gib_hours, 0);
  EXPECT_EQ(fixed.cold_starts, 50u) << "every gap is longer than 10 minutes";
  // Each idle instance held 1 GiB for its 10 minutes; the last one's idling falls after the
  // trace's end, which is not counted.
  EXPECT_NEAR(fixed.idle_gib_hours, 49 * 10.0 / 60, 0.01);
  // The learned window covers 12 minutes once it has seen a few gaps.
  EXPECT_LE(learned.cold_starts, 8u);
  EXPECT_LT(learned.cold_starts, fixed.cold_starts);
}

TEST(KeepAliveSimTest, ABurstNeedsAnInstancePerConcurrentCall) {
  const Trace trace = OneFunction(10'000, 128);
  std::vector<Arrival> burst;
  for (int i = 0; i < 4; ++i) burst.push_back({double(i), 0});  // 4 calls within 4 ms
  burst.push_back({20'000, 0});  // after they all ended: one warm instance serves it
  const auto fixed = Simulate(KeepAlivePolicy::kFixed, trace, burst);
  EXPECT_EQ(fixed.invocations, 5u);
  EXPECT_EQ(fixed.cold_starts, 4u);
}

}  // namespace
}  // namespace tailor::sim
