// The simulation engine, the lower bound, the baselines, and Tailor's policies against them on
// the shipped trace and on a cluster whose fastest hosts lack features.
#include "bench/simulator/simulation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "bench/simulator/baseline_policies.h"
#include "bench/simulator/comparison.h"
#include "common/file_util.h"
#include "models/eligibility.h"
#include "models/learned_policy.h"
#include "models/policy_table.h"
#include "tests/simulator/sim_fixtures.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace tailor::sim {
namespace {

using ::testing::HasSubstr;

using fixtures::Bounds;
using fixtures::Cluster;
using fixtures::InputFor;
using fixtures::kSource;
using fixtures::RunPolicy;
using fixtures::Truth;

TEST(SimulationTest, InvocationsWaitForRoomInArrivalOrder) {
  const auto cluster = Cluster("class one count=1 cores=1 memory_gib=1 l3_mib=8 speed=1\n");
  const std::vector<FunctionTruth> truth = {Truth("f", 100)};
  std::vector<Arrival> arrivals(5, Arrival{0.0, 0});
  const PolicyRun run = RunPolicy("round-robin+static", cluster, truth, arrivals);
  ASSERT_EQ(run.latency_ms.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_FLOAT_EQ(run.latency_ms[i], 100.0f * (i + 1));
  EXPECT_EQ(run.waited, 4u);
  EXPECT_EQ(run.failed, 0u);
  EXPECT_NEAR(run.busy_core_hours, 0.5 / 3600, 1e-9);  // 5 x 100 ms of one core
  EXPECT_NEAR(run.host_hours, 1.0 / 60, 1e-9);         // one host, one minute
  ASSERT_EQ(run.host_hours_by_class.size(), 1u);
  EXPECT_NEAR(run.host_hours_by_class[0], 1.0 / 60, 1e-9);
}

TEST(SimulationTest, WarmInstancesSpareTheColdStartAndPoliciesGoWhereTheyAre) {
  // Four identical hosts; calls 5 s apart (each 100 ms): one instance serves them all if the
  // calls keep going to its node.
  const auto cluster = Cluster("class one count=4 cores=2 memory_gib=4 l3_mib=8 speed=1\n");
  const std::vector<FunctionTruth> truth = {Truth("f", 100)};
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 20; ++i) arrivals.push_back({i * 5000.0, 0});
  auto run = [&](const std::string& name, double cold_ms, double keep_alive_s) {
    SimulationInput in = InputFor(cluster, truth, arrivals);
    in.cold_start_ms = cold_ms;
    in.keep_alive_s = keep_alive_s;
    auto policy = MakeBaseline(name, cluster, 1);
    if (!policy.ok()) policy = models::MakePolicy(name, {1.0});
    return Simulate(in, **policy);
  };
  const PolicyRun plain = run("performance", 0, 600);
  EXPECT_EQ(plain.cold_starts, 0u) << "no instances modelled";
  const PolicyRun warm = run("performance", 400, 600);
  EXPECT_EQ(warm.cold_starts, 1u) << "every later call found the first call's instance";
  // The first call paid its cold start on top of its run; the others ran at once.
  EXPECT_FLOAT_EQ(warm.run_ms[0], 100.0f) << "the run's own duration excludes its start";
  EXPECT_FLOAT_EQ(warm.latency_ms[0], warm.run_ms[0] + 400.0f);
  for (size_t i = 1; i < arrivals.size(); ++i) EXPECT_FLOAT_EQ(warm.latency_ms[i], warm.run_ms[i]);
  // Round-robin spreads the calls, and so starts an instance on every host.
  EXPECT_EQ(run("round-robin", 400, 600).cold_starts, 4u);
  // Without keep-alive every call starts cold.
  EXPECT_EQ(run("performance", 400, 0).cold_starts, 20u);
}

// The least loaded eligible node, any class, with the static allocation: what the test policies
// below place with.
Result<models::PlacementDecision> LeastLoadedNode(const models::PlacementRequest& request,
                                                  const models::ClusterIndex& cluster) {
  return models::ChooseByClass(
      request, cluster, models::StaticAllocation(request.function),
      models::WalkOrder::kLeastLoadedFirst,
      [](uint32_t, const models::NodeView&, models::CandidateScore& c) { c.score = 0; });
}

// A policy that places on the least loaded node and records how many run reports it had been
// given when it made each decision.
class CountingPolicy final : public models::PlacementPolicy {
 public:
  std::string_view name() const override { return "counting"; }
  Result<models::PlacementDecision> Decide(const models::PlacementRequest& request,
                                           const models::ClusterIndex& cluster) override {
    reports_at_decision.push_back(reports);
    return LeastLoadedNode(request, cluster);
  }
  void Observe(const models::RunObservation&) override { ++reports; }
  models::Allocation AdviseAllocation(const models::FunctionInfo& function,
                                      const models::ClusterIndex&) const override {
    return models::StaticAllocation(function);
  }
  int reports = 0;
  std::vector<int> reports_at_decision;
};

// A policy that keeps the second call waiting once (RESOURCE_EXHAUSTED with a 30 ms retry
// hint) although there is room, as `performance` keeps a call for its best class, and records
// how long each call it was asked about had waited.
class KeepsTheSecondCallWaiting final : public models::PlacementPolicy {
 public:
  std::string_view name() const override { return "keeps-waiting"; }
  Result<models::PlacementDecision> Decide(const models::PlacementRequest& request,
                                           const models::ClusterIndex& cluster) override {
    waited_ms.push_back(request.caller_wait ? request.caller_wait->waited_ms : -1);
    if (waited_ms.size() == 2) {
      return ResourceExhaustedError("waits for a better node")
          .WithReason(ErrorReason::kNoCapacity)
          .WithRetryAfter(std::chrono::milliseconds(30));
    }
    return LeastLoadedNode(request, cluster);
  }
  void Observe(const models::RunObservation&) override {}
  std::vector<double> waited_ms;
};

TEST(SimulationTest, ACallKeptWaitingIsAskedAgainWhenItsRetryHintPasses) {
  // Two cores, calls of 1 s at 0 and 10 ms: the second is kept waiting with room free. It is
  // asked again 30 ms later, not only when the first run ends (at 1 s).
  const auto cluster = Cluster("class one count=1 cores=2 memory_gib=4 l3_mib=8 speed=1\n");
  const std::vector<FunctionTruth> truth = {Truth("f", 1000)};
  const std::vector<Arrival> arrivals = {{0.0, 0}, {10.0, 0}};
  KeepsTheSecondCallWaiting policy;
  const PolicyRun run = Simulate(InputFor(cluster, truth, arrivals), policy);
  EXPECT_EQ(policy.waited_ms, (std::vector<double>{0, 0, 30}));
  EXPECT_FLOAT_EQ(run.latency_ms[1], 1030.0f);
  EXPECT_EQ(run.waited, 1u);
  EXPECT_EQ(run.failed, 0u);
}

// A policy that keeps calls of function "wait" waiting for their first 110 ms: the refusal at
// its arrival carries a 100 ms retry hint, later ones `later_hint_ms` (0: none). It records how
// long the call had waited at each time it was asked. Other functions go to the least loaded
// node.
class KeepsWaitingFor110Ms final : public models::PlacementPolicy {
 public:
  explicit KeepsWaitingFor110Ms(int later_hint_ms) : later_hint_ms_(later_hint_ms) {}
  std::string_view name() const override { return "keeps-waiting-110"; }
  Result<models::PlacementDecision> Decide(const models::PlacementRequest& request,
                                           const models::ClusterIndex& cluster) override {
    if (request.function.name != "wait") return LeastLoadedNode(request, cluster);
    const double waited = request.caller_wait ? request.caller_wait->waited_ms : -1;
    waited_ms.push_back(waited);
    if (waited >= 110) return LeastLoadedNode(request, cluster);
    return ResourceExhaustedError("waits for a better node")
        .WithReason(ErrorReason::kNoCapacity)
        .WithRetryAfter(std::chrono::milliseconds(waited_ms.size() == 1 ? 100 : later_hint_ms_));
  }
  void Observe(const models::RunObservation&) override {}
  std::vector<double> waited_ms;

 private:
  const int later_hint_ms_;
};

TEST(SimulationTest, AWaitingCallIsAskedAgainOnlyAtItsLastRefusalsRetryHint) {
  // "short" runs 0-20 ms; "wait" arrives at 5 ms and is refused (retry at 105 ms). The run's end
  // at 20 ms asks it again: refused with a 100 ms hint, it is asked next at 120 ms, not also at
  // 105 ms (the gateway keeps only a waiter's last hint).
  const auto cluster = Cluster("class one count=1 cores=2 memory_gib=4 l3_mib=8 speed=1\n");
  const std::vector<FunctionTruth> truth = {Truth("short", 20), Truth("wait", 50)};
  std::vector<Arrival> arrivals = {{0.0, 0}, {5.0, 1}};
  KeepsWaitingFor110Ms moved(100);
  const PolicyRun run = Simulate(InputFor(cluster, truth, arrivals), moved);
  EXPECT_EQ(moved.waited_ms, (std::vector<double>{0, 15, 115}));
  EXPECT_FLOAT_EQ(run.latency_ms[1], 165.0f);

  // Refused at 20 ms without a hint: the retry at 105 ms is cancelled, and the call is asked
  // again only when the next run ends ("long", 1-301 ms).
  const std::vector<FunctionTruth> truth_long = {Truth("short", 20), Truth("wait", 50),
                                                 Truth("long", 300)};
  arrivals = {{0.0, 0}, {1.0, 2}, {5.0, 1}};
  KeepsWaitingFor110Ms cancelled(0);
  const PolicyRun after = Simulate(InputFor(cluster, truth_long, arrivals), cancelled);
  EXPECT_EQ(cancelled.waited_ms, (std::vector<double>{0, 15, 296}));
  EXPECT_EQ(after.failed, 0u);
}

TEST(SimulationTest, LaggingReportsReachThePolicyOnlyWhenTheyArrive) {
  const auto cluster = Cluster("class one count=2 cores=2 memory_gib=4 l3_mib=8 speed=1\n");
  const std::vector<FunctionTruth> truth = {Truth("f", 100)};
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 10; ++i) arrivals.push_back({i * 1000.0, 0});
  auto decisions_with = [&](double lag_ms) {
    SimulationInput in = InputFor(cluster, truth, arrivals);
    in.report_lag_ms = lag_ms;
    CountingPolicy policy;
    Simulate(in, policy);
    return policy.reports_at_decision;
  };
  // At once: the k-th call (at k s) knows the k runs before it (each over at k s + 100 ms).
  EXPECT_EQ(decisions_with(0), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // 2.5 s late: a run ending at j s + 100 ms is known from j s + 2.6 s on.
  EXPECT_EQ(decisions_with(2500), (std::vector<int>{0, 0, 0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(SimulationTest, EveryCallAndItsBoundPayTheDispatch) {
  const auto cluster = Cluster("class one count=1 cores=1 memory_gib=1 l3_mib=8 speed=1\n");
  const std::vector<FunctionTruth> truth = {Truth("f", 100)};
  const std::vector<Arrival> arrivals(2, Arrival{0.0, 0});  // the second waits for the first
  SimulationInput in = InputFor(cluster, truth, arrivals);
  in.dispatch_ms = 4;
  auto policy = MakeBaseline("round-robin+static", cluster, 1);
  ASSERT_TRUE(policy.ok());
  const PolicyRun run = Simulate(in, **policy);
  EXPECT_FLOAT_EQ(run.latency_ms[0], 104);
  EXPECT_FLOAT_EQ(run.latency_ms[1], 204);
  EXPECT_FLOAT_EQ(run.run_ms[1], 100);
  const auto bounds = LowerBounds(in);
  EXPECT_FLOAT_EQ(bounds[0], 104);
  EXPECT_FLOAT_EQ(bounds[1], 104);
}

TEST(SimulationTest, OutOfMemoryRunsAreKilledAndRetriedUntilTheyGiveUp) {
  const auto cluster = Cluster("class one count=2 cores=4 memory_gib=8 l3_mib=8 speed=1\n");
  std::vector<FunctionTruth> truth = {Truth("hungry", 50, /*max_mib=*/300)};
  truth[0].memory_mib = {{0.0, 290}, {1.0, 300}};  // every run peaks above its 128 MiB
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 20; ++i) arrivals.push_back({i * 1000.0, 0});
  // Static allocation: the declared 128 MiB, every time.
  const PolicyRun fixed = RunPolicy("round-robin+static", cluster, truth, arrivals);
  EXPECT_EQ(fixed.failed, 20u);
  EXPECT_EQ(fixed.oom_kills, 80u);  // four attempts each
  // Tailor raises the limit after an OOM kill (and then sizes from the peaks it saw).
  const PolicyRun learned = RunPolicy("performance", cluster, truth, arrivals);
  EXPECT_EQ(learned.failed, 0u);
  EXPECT_LE(learned.oom_kills, 4u);
  for (float latency : learned.latency_ms) EXPECT_FALSE(std::isnan(latency));
}

TEST(SimulationTest, TailorLearnsTheHostsAFunctionNeedsWithoutBeingToldSpeeds) {
  // The faster class lacks AES-NI; policies see both at speed 1.0, as real hosts report.
  const auto cluster = Cluster(
      "class plain count=4 cores=4 memory_gib=16 l3_mib=16 speed=1.2\n"
      "class aes count=4 cores=4 memory_gib=16 l3_mib=16 speed=1 features=aes\n");
  std::vector<FunctionTruth> truth = {Truth("crypto", 40), Truth("wait", 40)};
  truth[0].without = {{"aes", 4.0}};
  truth[0].noise_sd_log = 0.1;
  truth[1].clock_exponent = 0;
  truth[1].cpu_cores = 0.1;
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 4000; ++i) arrivals.push_back({i * 50.0, static_cast<uint32_t>(i % 2)});
  const auto bounds = Bounds(cluster, truth, arrivals);
  for (size_t i = 0; i < arrivals.size(); i += 2) {
    // The bound runs crypto with AES-NI: 40 ms (noise aside), never 133 ms.
    ASSERT_LT(bounds[i], 80.0f) << "crypto invocation " << i;
  }
  const PolicyRun tailor = RunPolicy("performance", cluster, truth, arrivals);
  const PolicyRun rr = RunPolicy("round-robin", cluster, truth, arrivals);
  const PolicyRun fastest = RunPolicy("fastest-first", cluster, truth, arrivals);
  const auto t = Summarize(tailor, bounds), r = Summarize(rr, bounds),
             f = Summarize(fastest, bounds);
  EXPECT_LT(t.mean_slowdown, 1.05);
  EXPECT_GT(r.mean_slowdown, 1.5);  // half of round-robin's crypto runs lack AES-NI
  EXPECT_GT(f.mean_slowdown, 1.5);  // all of fastest-first's do: the fast class lacks it
  EXPECT_GT(t.within_target_share, 0.99);
  EXPECT_EQ(t.failed, 0u);
  for (const auto* run : {&tailor, &rr, &fastest}) EXPECT_EQ(BoundViolations(*run, bounds), 0u);
}

TEST(SimulationTest, StaticRulesFollowTheManifestHintsAndSpreadWithoutThem) {
  // Eight overlapping crypto calls; the first class lacks AES-NI and is 4x slower for them.
  const auto cluster = Cluster(
      "class plain count=2 cores=4 memory_gib=16 l3_mib=16 speed=1\n"
      "class aes count=2 cores=4 memory_gib=16 l3_mib=16 speed=1 features=aes\n");
  std::vector<FunctionTruth> truth = {Truth("crypto", 1000)};
  truth[0].kind = FunctionKind::kCrypto;
  truth[0].without = {{"aes", 4.0}};
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 8; ++i) arrivals.push_back({i * 10.0, 0});
  auto runs_without_aes = [&](bool hints) {
    SimulationInput in = InputFor(cluster, truth, arrivals);
    in.hints = hints;
    auto policy = MakeBaseline("static-rules", cluster, 1);
    EXPECT_TRUE(policy.ok());
    const PolicyRun run = Simulate(in, **policy);
    return std::count_if(run.run_ms.begin(), run.run_ms.end(), [](float ms) { return ms > 2000; });
  };
  EXPECT_EQ(runs_without_aes(true), 0);   // hinted aes: the rule requires it
  EXPECT_GT(runs_without_aes(false), 0);  // no hint, no rule: spread over every host
}

TEST(SimulationTest, AFunctionThatNeedsTwoCoresGetsThem) {
  const auto cluster = Cluster("class one count=2 cores=8 memory_gib=16 l3_mib=16 speed=1\n");
  std::vector<FunctionTruth> truth = {Truth("parallel", 100)};
  truth[0].cpu_cores = 2;
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 60; ++i) arrivals.push_back({i * 1000.0, 0});
  // One core halves its speed; the quota it is given must grow from the throttling reports.
  const PolicyRun fixed = RunPolicy("round-robin+static", cluster, truth, arrivals);
  const PolicyRun learned = RunPolicy("performance", cluster, truth, arrivals);
  EXPECT_NEAR(fixed.run_ms.back(), 200.0f, 1.0f);
  for (size_t i = 50; i < arrivals.size(); ++i) EXPECT_NEAR(learned.run_ms[i], 100.0f, 1.0f) << i;
}

TEST(SimulationTest, AClassThatDegradesMidRunIsLeftAndTheBoundFollowsIt) {
  const auto cluster = Cluster(
      "class fast count=4 cores=4 memory_gib=16 l3_mib=16 speed=1.5\n"
      "class mid count=4 cores=4 memory_gib=16 l3_mib=16 speed=1\n");
  std::vector<FunctionTruth> truth = {Truth("f", 60)};
  truth[0].noise_sd_log = 0.1;
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 24'000; ++i) arrivals.push_back({i * 50.0, 0});  // 20 minutes
  // From minute 5 the fast class runs everything 3x slower: 2x the mid class's time.
  const auto degradations = ParseDegradations("fast:5:3", cluster);
  ASSERT_TRUE(degradations.ok()) << degradations.status();
  SimulationInput in = InputFor(cluster, truth, arrivals);
  in.degradations = *degradations;
  const auto bounds = LowerBounds(in);
  EXPECT_NEAR(bounds[0], 40.0f, 15.0f) << "the fast class, before";
  EXPECT_NEAR(bounds.back(), 60.0f, 20.0f) << "the mid class, after";
  auto median_run_ms = [&](const PolicyRun& run, double from_minute, double to_minute) {
    std::vector<float> ms;
    for (size_t i = 0; i < arrivals.size(); ++i) {
      const double minute = arrivals[i].time_ms / 60'000;
      if (minute >= from_minute && minute < to_minute) ms.push_back(run.run_ms[i]);
    }
    std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
    return ms[ms.size() / 2];
  };
  for (const char* name : {"performance", "fastest-first"}) {
    auto policy = IsBaseline(name) ? MakeBaseline(name, cluster, 1) : models::MakePolicy(name);
    ASSERT_TRUE(policy.ok()) << name;
    const PolicyRun run = Simulate(in, **policy);
    EXPECT_EQ(BoundViolations(run, bounds), 0u) << name;
    EXPECT_LT(median_run_ms(run, 2, 5), 45.0f) << name << " before: the fast class";
    if (std::string(name) == "performance") {
      EXPECT_LT(median_run_ms(run, 10, 20), 70.0f) << "learned to leave it";
    } else {
      EXPECT_GT(median_run_ms(run, 10, 20), 100.0f) << "told the speeds once";
    }
  }
}

TEST(SimulationTest, DegradationsNameAClassAWholeMinuteAndAFactorOfAtLeastOne) {
  const auto cluster = Cluster("class fast count=1 cores=4 memory_gib=16 l3_mib=16 speed=1\n");
  const auto two = ParseDegradations("fast:5:3, fast:10:1.5", cluster);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_DOUBLE_EQ(DegradationFactor(*two, 0, 4 * 60'000.0), 1.0);
  EXPECT_DOUBLE_EQ(DegradationFactor(*two, 0, 5 * 60'000.0), 3.0);
  EXPECT_DOUBLE_EQ(DegradationFactor(*two, 0, 11 * 60'000.0), 4.5);
  EXPECT_TRUE(ParseDegradations("", cluster).ok());
  for (const char* bad : {"slow:5:3", "fast:5", "fast:-1:3", "fast:2.5:3", "fast:5:0.5",
                          "fast:5:nan", "fast:5:1000"}) {
    const auto r = ParseDegradations(bad, cluster);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr(bad)) << bad;
  }
}

TEST(SimulationTest, PayloadsAreDrawnPerInvocationTheBoundUsesThemAndTailorLearnsThem) {
  const auto cluster = Cluster("class one count=2 cores=8 memory_gib=16 l3_mib=16 speed=1\n");
  std::vector<FunctionTruth> truth = {Truth("compress", 50)};
  truth[0].payload_median_kib = 100;
  truth[0].payload_sd_log = 1.0;
  truth[0].payload_elasticity = 1.0;  // twice the input, twice the time
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 600; ++i) arrivals.push_back({i * 200.0, 0});
  SimulationInput in = InputFor(cluster, truth, arrivals);
  const auto bounds = LowerBounds(in);
  auto policy = models::MakePolicy("performance");
  ASSERT_TRUE(policy.ok());
  const PolicyRun run = Simulate(in, **policy);
  EXPECT_EQ(BoundViolations(run, bounds), 0u);
  double smallest = 1e9, largest = 0;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    // No noise, an idle cluster: each run is its payload's duration, as its bound says.
    const double payload_kib = truth[0].PayloadKib(InvocationPayloadNormal(in.seed, i));
    EXPECT_NEAR(run.run_ms[i], 50 * payload_kib / 100, 0.01 * run.run_ms[i]) << i;
    EXPECT_NEAR(run.run_ms[i], bounds[i], 0.01 * bounds[i]) << i;
    smallest = std::min(smallest, payload_kib);
    largest = std::max(largest, payload_kib);
  }
  EXPECT_GT(largest / smallest, 20) << "payloads spread over more than an order of magnitude";
  // The policy was told each payload and learned what it does (d log ms / d log1p(KiB) ~ 1).
  const auto* learned = dynamic_cast<const models::LearnedPolicy*>(policy->get());
  ASSERT_NE(learned, nullptr);
  EXPECT_GT(learned->model().PayloadSensitivity("compress"), 0.6);
}

TEST(SimulationTest, UnderProcessorSharingARunStretchesWhenAnotherStartsAndSpeedsUpWhenItEnds) {
  const auto cluster = Cluster("class one count=1 cores=2 memory_gib=16 l3_mib=16 speed=1\n");
  std::vector<FunctionTruth> truth = {Truth("f", 100)};
  truth[0].interference = 1.0;  // a co-runner holding half the CPU: 1.5x as long
  const std::vector<Arrival> arrivals = {{0, 0}, {50, 0}};
  SimulationInput in = InputFor(cluster, truth, arrivals);
  auto policy = MakeBaseline("round-robin+static", cluster, 1);  // one core each
  ASSERT_TRUE(policy.ok());
  const PolicyRun fixed = Simulate(in, **policy);
  // Fixed at the start: the first ran alone (100 ms), the second beside it throughout (150).
  EXPECT_NEAR(fixed.run_ms[0], 100, 1e-3);
  EXPECT_NEAR(fixed.run_ms[1], 150, 1e-3);
  in.processor_sharing = true;
  const PolicyRun shared = Simulate(in, **policy);
  // The first: 50 ms alone, then its last 50 ms of work at 1/1.5 (75 ms): ends at 125. The
  // second: 75 ms beside it (50 ms of work), then 50 alone: ends at 175, 125 after it started.
  EXPECT_NEAR(shared.run_ms[0], 125, 1e-3);
  EXPECT_NEAR(shared.run_ms[1], 125, 1e-3);
  EXPECT_EQ(BoundViolations(shared, LowerBounds(in)), 0u);
}

TEST(SimulationTest, HostsInACorePoolShareItsCoresAndAHostOutsideKeepsItsOwn) {
  // Two one-core hosts sharing one core (as emulated hosts on one machine do), and one with
  // a core of its own; no interference within a host, so only the pool slows a run.
  const auto cluster = Cluster(
      "pool vm cores=1\n"
      "class shared count=2 cores=1 memory_gib=16 l3_mib=16 speed=1 pool=vm\n"
      "class own count=1 cores=1 memory_gib=16 l3_mib=16 speed=1\n");
  std::vector<FunctionTruth> truth = {Truth("f", 100)};  // keeps one core busy
  truth[0].interference = 0;
  const std::vector<Arrival> arrivals = {{0, 0}, {50, 0}, {60, 0}};
  SimulationInput in = InputFor(cluster, truth, arrivals);
  in.processor_sharing = true;
  auto policy = MakeBaseline("round-robin+static", cluster, 1);  // one core each, in turn
  ASSERT_TRUE(policy.ok());
  const PolicyRun run = Simulate(in, **policy);
  // The first: 50 ms alone on the pool's core, then its last 50 ms of work at half speed
  // beside the second (100 ms): ends at 150. The second: 50 ms of work by then, the rest
  // alone: ends at 200, 150 after it started. The third, on the host with its own core: 100.
  EXPECT_NEAR(run.run_ms[0], 150, 1e-3);
  EXPECT_NEAR(run.run_ms[1], 150, 1e-3);
  EXPECT_NEAR(run.run_ms[2], 100, 1e-3);
  EXPECT_EQ(BoundViolations(run, LowerBounds(in)), 0u);
  // A shared run had the core for 100 of its 150 ms, as a real one's CPU time would say: 100
  // ms of CPU each, and the third's 100 (not 150 + 150 + 100).
  EXPECT_NEAR(run.busy_core_hours * 3'600'000, 300, 1e-3);
}

TEST(SimulationTest, AClassThatFailsLosesItsRunsToTheOthersAndNothingMoreRunsThere) {
  const auto cluster = Cluster(
      "class fast count=2 cores=4 memory_gib=16 l3_mib=16 speed=2\n"
      "class slow count=4 cores=4 memory_gib=16 l3_mib=16 speed=1\n");
  std::vector<FunctionTruth> truth = {Truth("f", 2000)};  // 1 s on fast, 2 s on slow
  std::vector<Arrival> arrivals;
  for (int i = 0; i < 2400; ++i) arrivals.push_back({i * 100.0, 0});  // 4 minutes
  const auto failures = ParseFailures("fast:2", cluster);
  ASSERT_TRUE(failures.ok()) << failures.status();
  SimulationInput in = InputFor(cluster, truth, arrivals);
  in.failures = *failures;
  const auto bounds = LowerBounds(in);
  EXPECT_NEAR(bounds.front(), 1000.0f, 1.0f) << "the fast class, before";
  EXPECT_NEAR(bounds.back(), 2000.0f, 1.0f) << "only the slow class is left";
  for (const char* name : {"fastest-first", "performance"}) {
    auto policy = IsBaseline(name) ? MakeBaseline(name, cluster, 1) : models::MakePolicy(name);
    ASSERT_TRUE(policy.ok()) << name;
    const PolicyRun run = Simulate(in, **policy);
    EXPECT_EQ(BoundViolations(run, bounds), 0u) << name;
    EXPECT_GT(run.lost_runs, 0u) << name << ": runs were in flight on the fast hosts at minute 2";
    EXPECT_EQ(run.failed, 0u) << name << ": every lost run was placed again and finished";
    for (size_t i = 1300; i < arrivals.size(); ++i) {
      ASSERT_NEAR(run.run_ms[i], 2000.0f, 1.0f) << name << " " << i << ": only slow hosts left";
    }
  }
  EXPECT_EQ(ParseFailures("fast:2,slow:3", cluster).status().code(), StatusCode::kInvalidArgument)
      << "every class failing leaves nothing to run on";
  EXPECT_THAT(ParseFailures("medium:2", cluster).status().message(), HasSubstr("medium:2"));
  EXPECT_THAT(ParseFailures("fast:2:3", cluster).status().message(), HasSubstr("class:minute"));
}

// scripts/sim-suite runs each line of the scenario files with tailor-sim: a name once, and
// every cluster and trace a line names where the repository has it.
TEST(ScenarioFilesTest, EveryScenarioHasOneNameAndNamesClustersAndTracesThatExist) {
  std::set<std::string> names;
  for (const char* file : {"/bench/scenarios/suite.txt", "/bench/scenarios/unseen.txt",
                           "/bench/scenarios/overloads.txt"}) {
    auto text = ReadFile(kSource + file);
    ASSERT_TRUE(text.ok()) << file;
    size_t scenarios = 0;
    for (const auto line : SplitString(*text, '\n')) {
      if (line.empty() || line.front() == '#') continue;
      std::vector<std::string> words;
      for (const auto w : SplitString(line, ' ')) {
        if (!w.empty()) words.emplace_back(w);
      }
      if (words.empty()) continue;  // blanks only
      ++scenarios;
      EXPECT_TRUE(names.insert(words[0]).second) << "scenario named twice: " << words[0];
      for (size_t i = 1; i + 1 < words.size(); ++i) {
        if (words[i] == "--cluster") {
          auto cluster = LoadClusterSpec(kSource + "/" + words[i + 1]);
          EXPECT_TRUE(cluster.ok()) << line << ": " << cluster.status();
        } else if (words[i] == "--trace") {
          EXPECT_TRUE(PathExists(kSource + "/" + words[i + 1])) << line;
        }
      }
    }
    EXPECT_GE(scenarios, 5u) << file;
  }
}

TEST(TailorSimTest, WritesTableJsonAndCharts) {
  testing::TempDir dir;
  int exit_code = -1;
  const std::string out = testing::RunCommand(
      {std::string(TAILOR_BIN_DIR) + "/tailor-sim", "--trace", kSource + "/bench/traces/azure2019",
       "--cluster", kSource + "/bench/clusters/mixed.cluster", "--minutes", "3", "--json",
       dir.File("r.json"), "--plot-dir", dir.File("plots"), "--write-functions",
       dir.File("functions.txt"), "--per-function", dir.File("functions.csv")},
      &exit_code);
  ASSERT_EQ(exit_code, 0) << out;
  EXPECT_THAT(out, HasSubstr("performance"));
  auto json = ReadFile(dir.File("r.json"));
  ASSERT_TRUE(json.ok());
  const auto doc = nlohmann::json::parse(*json);
  EXPECT_EQ(doc["policies"].size(), 11u);  // eight baselines and Tailor's three
  EXPECT_EQ(doc["seeds"].size(), 1u);
  EXPECT_EQ(doc["across_seeds"].size(), 11u);
  EXPECT_EQ(doc["hosts"], 18);
  for (const auto& p : doc["policies"]) {
    EXPECT_GT(p["decisions_per_second"].get<double>(), 0) << p["policy"];
    EXPECT_GT(p["runs_by_class"].size(), 0u);
    double by_class = 0;  // the host-hours of the classes add up to the policy's
    for (const auto& [cls, hours] : p["host_hours_by_class"].items())
      by_class += hours.get<double>();
    EXPECT_NEAR(by_class, p["host_hours"].get<double>(), 1e-9) << p["policy"];
  }
  auto svg = ReadFile(dir.File("plots/comparison.svg"));
  ASSERT_TRUE(svg.ok());
  EXPECT_THAT(*svg, HasSubstr("<svg"));
  EXPECT_THAT(*svg, HasSubstr("static-rules"));
  auto png = ReadFile(dir.File("plots/comparison.png"));
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(png->substr(1, 3), "PNG");
  // The written ground truth reads back as a function file.
  auto functions = ReadFile(dir.File("functions.txt"));
  ASSERT_TRUE(functions.ok());
  auto parsed = ParseFunctionFile(*functions);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), 500u);
  // One row per policy and function that was called, naming the function and its kind.
  auto csv = ReadFile(dir.File("functions.csv"));
  ASSERT_TRUE(csv.ok());
  const auto lines = SplitString(*csv, '\n');
  ASSERT_GT(lines.size(), 12u);
  EXPECT_EQ(lines[0],
            "seed,policy,function,kind,calls,failed,mean_slowdown,first_calls_slowdown,"
            "mean_latency_ms,median_latency_ms,mean_run_ms");
  std::set<std::string> names, policies;
  for (const auto& f : *parsed) names.insert(f.name);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const auto fields = SplitString(lines[i], ',');
    ASSERT_EQ(fields.size(), 11u) << lines[i];
    policies.insert(std::string(fields[1]));
    EXPECT_TRUE(names.contains(std::string(fields[2]))) << lines[i];
    EXPECT_TRUE(ParseKind(fields[3]).ok()) << lines[i];
    EXPECT_GE(std::stod(std::string(fields[6])), 1.0) << lines[i];
    // A latency includes the run it ended with.
    EXPECT_GE(std::stod(std::string(fields[8])), std::stod(std::string(fields[10]))) << lines[i];
  }
  EXPECT_EQ(policies.size(), 11u);
}

TEST(TailorSimTest, BadInputIsAUsageErrorNamingTheLine) {
  testing::TempDir dir;
  dir.Write("bad.cluster", "class a count=1 cores=4 memory_gib=8 l3_mib=8 speed=fast\n");
  int exit_code = -1;
  const std::string sim =
      std::string(TAILOR_BIN_DIR) + "/tailor-sim --trace " + kSource + "/bench/traces/azure2019 ";
  // The errors go to stderr.
  std::string out = testing::RunCommand(
      {"/bin/sh", "-c", sim + "--cluster " + dir.File("bad.cluster") + " 2>&1"}, &exit_code);
  EXPECT_EQ(exit_code, 2);
  EXPECT_THAT(out, HasSubstr("cluster file line 1: speed=fast is not a number"));
  out = testing::RunCommand(
      {"/bin/sh", "-c",
       sim + "--cluster " + kSource + "/bench/clusters/mixed.cluster --policies fastest 2>&1"},
      &exit_code);
  EXPECT_EQ(exit_code, 2);
  EXPECT_THAT(out, HasSubstr("unknown policy 'fastest' (known: random, round-robin"));
  const std::string cluster = "--cluster " + kSource + "/bench/clusters/mixed.cluster ";
  out = testing::RunCommand({"/bin/sh", "-c", sim + cluster + "--stragglers 0.2:0.5 2>&1"},
                            &exit_code);
  EXPECT_EQ(exit_code, 2);
  EXPECT_THAT(out, HasSubstr("--stragglers: expected share:factor"));
  out = testing::RunCommand({"/bin/sh", "-c", sim + cluster + "--kinds crypto:1,quantum:2 2>&1"},
                            &exit_code);
  EXPECT_EQ(exit_code, 2);
  EXPECT_THAT(out, HasSubstr("kind 'quantum'"));
}

TEST(TailorSimTest, SeveralSeedsGiveMeansWithConfidenceIntervals) {
  testing::TempDir dir;
  int exit_code = -1;
  const std::string out = testing::RunCommand(
      {std::string(TAILOR_BIN_DIR) + "/tailor-sim", "--trace", kSource + "/bench/traces/azure2019",
       "--cluster", kSource + "/bench/clusters/mixed.cluster", "--minutes", "2", "--seeds", "3",
       "--policies", "fastest-first,performance", "--json", dir.File("r.json")},
      &exit_code);
  ASSERT_EQ(exit_code, 0) << out;
  EXPECT_THAT(out, HasSubstr("across 3 seeds (mean ± 95% CI half-width)"));
  auto json = ReadFile(dir.File("r.json"));
  ASSERT_TRUE(json.ok());
  const auto doc = nlohmann::json::parse(*json);
  ASSERT_EQ(doc["seeds"].size(), 3u);
  ASSERT_EQ(doc["across_seeds"].size(), 2u);
  const auto& perf = doc["across_seeds"][1];
  EXPECT_EQ(perf["policy"], "performance");
  EXPECT_EQ(perf["seeds"], 3);
  double sum = 0;
  for (const auto& seed : doc["seeds"])
    sum += seed["policies"][1]["slowdown"]["function_mean"].get<double>();
  EXPECT_NEAR(perf["slowdown"]["function_mean"]["mean"].get<double>(), sum / 3, 1e-9);
  EXPECT_GT(perf["slowdown"]["function_mean"]["ci95_half_width"].get<double>(), 0);
}

}  // namespace
}  // namespace tailor::sim
