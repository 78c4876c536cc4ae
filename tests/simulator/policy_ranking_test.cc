// Tailor's policies against the baselines on the shipped trace, and the lower bound under
// stragglers and shared hosts: whole simulations, seconds each in the Release tree and
// minutes under the sanitizers, so they are labelled `heavy` (scripts/test runs them in the
// Release tree only; the unit tests cover the same code under the sanitizers).
#include <gtest/gtest.h>

#include "bench/simulator/baseline_policies.h"
#include "bench/simulator/comparison.h"
#include "bench/simulator/simulation.h"
#include "models/policy_table.h"
#include "tests/simulator/sim_fixtures.h"

namespace tailor::sim {
namespace {

using fixtures::Bounds;
using fixtures::InputFor;
using fixtures::kSource;
using fixtures::RunPolicy;

TEST(SimulationTest, NoPolicyBeatsTheLowerBoundOnStragglersAndSharedHosts) {
  auto trace = LoadTrace(kSource + "/bench/traces/azure2019");
  ASSERT_TRUE(trace.ok()) << trace.status();
  auto cluster = LoadClusterSpec(kSource + "/bench/clusters/four-way.cluster");
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  TruthOptions options;
  options.multicore_share = 0.3;
  options.interactions = true;
  const auto truth = GenerateTruth(*trace, 5, options);
  const auto arrivals = DrawArrivals(*trace, 5, 5);
  SimulationInput in = InputFor(*cluster, truth, arrivals);
  in.seed = 5;
  in.node_slowness = StragglerSlowness(*cluster, 0.3, 2.0, 5);
  const auto bounds = LowerBounds(in);
  for (const char* name : {"random", "fastest-first", "performance", "efficiency"}) {
    auto policy = IsBaseline(name) ? MakeBaseline(name, *cluster, 5) : models::MakePolicy(name);
    ASSERT_TRUE(policy.ok()) << name;
    const PolicyRun run = Simulate(in, **policy);
    EXPECT_EQ(BoundViolations(run, bounds), 0u) << name;
    EXPECT_GE(Summarize(run, bounds).p50_slowdown, 1.0) << name;
  }
}

std::vector<PolicySummary> Compare(const ClusterSpec& cluster, uint32_t minutes) {
  auto trace = LoadTrace(kSource + "/bench/traces/azure2019");
  EXPECT_TRUE(trace.ok()) << trace.status();
  const auto truth = GenerateTruth(*trace, 3);
  const auto arrivals = DrawArrivals(*trace, 3, minutes);
  const auto bounds = Bounds(cluster, truth, arrivals);
  std::vector<std::string> names = BaselineNames();
  names.insert(names.end(), {"performance", "efficiency"});
  std::vector<PolicySummary> out;
  for (const auto& n : names)
    out.push_back(Summarize(RunPolicy(n, cluster, truth, arrivals), bounds));
  return out;
}

PolicySummary Find(const std::vector<PolicySummary>& s, const std::string& name) {
  for (const auto& x : s) {
    if (x.policy == name) return x;
  }
  ADD_FAILURE() << "no " << name;
  return PolicySummary{};
}

// What holds on every cluster: invocation-weighted, performance is within 2% of the best
// baseline (the busy functions are learned quickly); each function counted once, it beats the
// baselines that know neither speeds nor kinds; efficiency uses fewer hosts than spreading.
// docs/benchmarks.md has the full suite, where static-rules (rules chosen by each function's
// hints) and fastest-first (told every class's speed) are the ones to beat.
void ExpectTailorAhead(const std::vector<PolicySummary>& s) {
  const auto performance = Find(s, "performance");
  for (const auto& baseline : s) {
    if (baseline.policy == "performance" || baseline.policy == "efficiency") continue;
    EXPECT_LE(performance.mean_slowdown, 1.02 * baseline.mean_slowdown) << baseline.policy;
    EXPECT_EQ(baseline.failed, 0u) << baseline.policy;
  }
  for (const char* uninformed :
       {"random", "round-robin", "openwhisk", "least-loaded", "most-allocated"}) {
    const auto b = Find(s, uninformed);
    EXPECT_LT(performance.function_mean_slowdown, b.function_mean_slowdown) << uninformed;
    EXPECT_LT(performance.first_calls_mean_slowdown, b.first_calls_mean_slowdown) << uninformed;
  }
  EXPECT_EQ(performance.failed, 0u);
  EXPECT_LT(Find(s, "efficiency").host_hours, Find(s, "least-loaded").host_hours);
}

TEST(PolicyRankingTest, TailorLeadsOnTheShippedTraceAndCluster) {
  auto cluster = LoadClusterSpec(kSource + "/bench/clusters/mixed.cluster");
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ExpectTailorAhead(Compare(*cluster, 30));
}

TEST(PolicyRankingTest, TailorLeadsWhereTheFastestHostsLackFeatures) {
  auto cluster = LoadClusterSpec(kSource + "/bench/clusters/four-way.cluster");
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const auto s = Compare(*cluster, 30);
  ExpectTailorAhead(s);
  // Here fastest-first sends crypto, hashing and cache-bound functions to the wrong hosts.
  const auto performance = Find(s, "performance");
  for (const char* fastest : {"fastest-first", "first-fit-fastest"}) {
    EXPECT_LT(performance.function_mean_slowdown, Find(s, fastest).function_mean_slowdown);
    EXPECT_LT(performance.first_calls_mean_slowdown, Find(s, fastest).first_calls_mean_slowdown);
  }
}

}  // namespace
}  // namespace tailor::sim
