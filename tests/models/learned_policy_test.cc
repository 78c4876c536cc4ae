#include "models/learned_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/models/synthetic_world.h"
#include "tests/models/test_cluster.h"

namespace tailor::models {
namespace {

using testing::MakeWorld;
using testing::NodeOfClass;
using testing::TestClass;

LearnedPolicyOptions Greedy() {
  LearnedPolicyOptions o;
  o.exploration = 0;
  return o;
}

// Adds one node of `cls` to `index`, "<class>0", with 16 GiB and 8 cores.
void AddNodeOf(ClusterIndex& index, const HostClassInfo& cls) {
  index.Upsert(NodeOfClass(cls, cls.name + "0", {16ull << 30, 8000}), cls);
}

// Two classes: "fast" (AES-NI) and "slow" (none), two nodes each.
class LearnedPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fast_.name = "fast";
    fast_.features = {"aes", "avx2"};
    fast_.cores = 4;
    slow_.name = "slow";
    slow_.features = {"avx2"};
    slow_.cores = 4;
    for (const auto* cls : {&fast_, &slow_}) {
      for (int i = 0; i < 2; ++i) {
        index_.Upsert(NodeOfClass(*cls, cls->name + std::to_string(i), {16ull << 30, 4000}), *cls);
      }
    }
  }
  // A successful run of `fn` on a node of `cls` that took `ms` (half of it on the CPU).
  static RunObservation RunOn(const std::string& fn, const HostClassInfo& cls, double ms) {
    RunObservation o;
    o.function = fn;
    o.host_class = cls.name;
    o.class_features = HostFeatureVector(cls);
    o.wall_ms = ms;
    o.cpu_ms = ms * 0.5;
    o.peak_memory_bytes = 100ull << 20;
    o.succeeded = true;
    return o;
  }
  void Teach(PlacementPolicy& p, const std::string& fn, const HostClassInfo& cls, double ms,
             int runs, uint64_t peak = 100ull << 20, bool oom = false) {
    for (int i = 0; i < runs; ++i) {
      RunObservation o = RunOn(fn, cls, ms);
      o.peak_memory_bytes = peak;
      o.oom_killed = oom;
      o.succeeded = !oom;
      p.Observe(o);
    }
  }
  // Adds class "big" (16 cores, 64 GiB, `features`: packed first by efficiency) with two idle
  // nodes, big0 and big1.
  HostClassInfo AddBigClass(std::vector<std::string> features) {
    HostClassInfo big;
    big.name = "big";
    big.features = std::move(features);
    big.cores = 16;
    index_.Upsert(NodeOfClass(big, "big0", {64ull << 30, 16000}), big);
    index_.Upsert(NodeOfClass(big, "big1", {64ull << 30, 16000}), big);
    return big;
  }
  // `runs` runs of `fn` on `cls`, alternately on an idle node (`alone_ms`) and on one whose CPU
  // others fully hold (`busy_ms`): what teaches the function's load sensitivity.
  static void TeachAloneAndBusy(PlacementPolicy& p, const std::string& fn, const HostClassInfo& cls,
                                double alone_ms, double busy_ms, int runs) {
    for (int i = 0; i < runs; ++i) {
      RunObservation o = RunOn(fn, cls, i % 2 ? busy_ms : alone_ms);
      o.cpu_utilization_at_start = i % 2;
      p.Observe(o);
    }
  }
  // Five functions differ on "fast" (three 30% slower there, two 20% faster); `fn` ran `runs`
  // times, only on "slow": whether "fast" is better for it is unknown.
  void TeachOthersAndOnlySlow(PlacementPolicy& p, const std::string& fn, int runs) {
    for (int k = 0; k < 5; ++k) {
      const std::string other = "other" + std::to_string(k);
      ASSERT_TRUE(p.Decide(Req(other), index_).ok());
      Teach(p, other, fast_, k < 3 ? 65 : 40, 20);
      Teach(p, other, slow_, 50, 20);
    }
    ASSERT_TRUE(p.Decide(Req(fn), index_).ok());
    Teach(p, "filler", slow_, 10, 256);  // a population fit happens every 256 observations
    Teach(p, fn, slow_, 50, runs);
  }
  PlacementRequest Req(const std::string& fn) {
    PlacementRequest r;
    r.function.name = fn;
    r.function.memory_hint_bytes = 64 << 20;
    return r;
  }
  // `fn` for a caller that may wait (nullopt: one that cannot, the gRPC Place).
  PlacementRequest ReqWaiting(const std::string& fn,
                              std::optional<PlacementRequest::CallerWait> wait) {
    PlacementRequest r = Req(fn);
    r.caller_wait = wait;
    return r;
  }
  // `fn`, which prefers `hints`, and "plain", which prefers nothing, each decided once (which
  // puts each in its group) and then taught `runs` runs of 100 ms on `ran_on`; then both decided
  // again: whatever differs between the two decisions is the hints' doing.
  void DecideWithAndWithoutHints(LearnedPolicy& p, const std::string& fn,
                                 std::vector<std::string> hints, const HostClassInfo& ran_on,
                                 int runs, PlacementDecision& with_hints,
                                 PlacementDecision& without) {
    PlacementRequest hinted = Req(fn);
    hinted.function.preferred_features = std::move(hints);
    ASSERT_TRUE(p.Decide(hinted, index_).ok());
    ASSERT_TRUE(p.Decide(Req("plain"), index_).ok());
    Teach(p, fn, ran_on, 100, runs);
    Teach(p, "plain", ran_on, 100, runs);
    auto hinted_decision = p.Decide(hinted, index_);
    auto plain_decision = p.Decide(Req("plain"), index_);
    ASSERT_TRUE(hinted_decision.ok());
    ASSERT_TRUE(plain_decision.ok());
    with_hints = *hinted_decision;
    without = *plain_decision;
  }
  HostClassInfo fast_, slow_;
  ClusterIndex index_;
};

TEST_F(LearnedPolicyTest, PerformanceGoesWhereTheFunctionIsFastestAndSaysItExploited) {
  LearnedPolicy p(Objective::kPerformance);
  Teach(p, "aes", fast_, 40, 5);
  Teach(p, "aes", slow_, 240, 5);
  for (int i = 0; i < 20; ++i) {
    auto d = p.Decide(Req("aes"), index_);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(index_.Find(d->node_id)->host_class, "fast");
    EXPECT_FALSE(d->explored);
    EXPECT_NEAR(d->predicted_duration_ms, 40, 4);
    index_.MarkChosen(d->node_id);
  }
}

TEST_F(LearnedPolicyTest, AWarmInstanceOnASlowerClassBeatsAColdStartOnTheFasterOne) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  Teach(p, "lambda", fast_, 40, 10);
  Teach(p, "lambda", slow_, 60, 10);
  // Its cold starts take 300 ms of init on either class.
  for (const auto* cls : {&fast_, &slow_}) {
    RunObservation cold;
    cold.function = "lambda";
    cold.host_class = cls->name;
    cold.class_features = HostFeatureVector(*cls);
    cold.wall_ms = cls == &fast_ ? 40 : 60;
    cold.succeeded = true;
    cold.cold_start_init_ms = 300;
    p.Observe(cold);
  }
  PlacementRequest req = Req("lambda");
  auto cold = p.Decide(req, index_);
  ASSERT_TRUE(cold.ok());
  EXPECT_EQ(index_.Find(cold->node_id)->host_class, "fast") << "cold everywhere: the faster";
  req.warm_node_ids = {"slow1"};
  auto warm = p.Decide(req, index_);
  ASSERT_TRUE(warm.ok());
  EXPECT_EQ(warm->node_id, "slow1") << "60 ms warm against 40 + 300 ms cold";
  bool cold_term = false;
  for (const auto& c : warm->candidates) {
    for (const auto& [name, value] : c.terms) {
      if (std::string_view(name) == "cold_start_ms") cold_term = cold_term || value == 300;
    }
  }
  EXPECT_TRUE(cold_term) << "the cold nodes carry the cold-start term";
  // A function that starts in 5 ms is better off cold on the faster class.
  Teach(p, "quick", fast_, 40, 10);
  Teach(p, "quick", slow_, 60, 10);
  RunObservation quick;
  quick.function = "quick";
  quick.host_class = "fast";
  quick.class_features = HostFeatureVector(fast_);
  quick.wall_ms = 40;
  quick.succeeded = true;
  quick.cold_start_init_ms = 5;
  p.Observe(quick);
  PlacementRequest q = Req("quick");
  q.warm_node_ids = {"slow1"};
  auto d = p.Decide(q, index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(index_.Find(d->node_id)->host_class, "fast");
}

TEST_F(LearnedPolicyTest, OnANewClusterANewFunctionGoesToTheRichestHardware) {
  // Nothing is known about anything: "fast" has one more CPU feature than "slow".
  LearnedPolicy p(Objective::kPerformance);
  for (int i = 0; i < 10; ++i) {
    auto d = p.Decide(Req("new"), index_);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(index_.Find(d->node_id)->host_class, "fast");
    EXPECT_EQ(d->predicted_duration_ms, 0) << "nothing known yet";
    index_.MarkChosen(d->node_id);
  }
}

TEST_F(LearnedPolicyTest, ANewFunctionGoesWhereFunctionsLikeItRunBest) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  // Functions in general run 30% faster on "slow" here; functions that prefer AES-NI (a
  // manifest hint) run 3x faster on "fast". Each group is learned apart.
  for (int k = 0; k < 4; ++k) {
    const std::string plain = "plain" + std::to_string(k), crypto = "crypto" + std::to_string(k);
    PlacementRequest hinted = Req(crypto);
    hinted.function.preferred_features = {"aes"};
    ASSERT_TRUE(p.Decide(Req(plain), index_).ok());  // puts each function in its group
    ASSERT_TRUE(p.Decide(hinted, index_).ok());
    Teach(p, plain, fast_, 130, 20);
    Teach(p, plain, slow_, 100, 20);
    Teach(p, crypto, fast_, 40, 20);
    Teach(p, crypto, slow_, 120, 20);
  }
  // A fit of the populations happens every few hundred observations; force one.
  Teach(p, "filler", slow_, 10, 256);
  auto plain = p.Decide(Req("new-plain"), index_);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(index_.Find(plain->node_id)->host_class, "slow");
  PlacementRequest hinted = Req("new-crypto");
  hinted.function.preferred_features = {"aes"};
  auto crypto = p.Decide(hinted, index_);
  ASSERT_TRUE(crypto.ok());
  EXPECT_EQ(index_.Find(crypto->node_id)->host_class, "fast");
}

// A term of the candidate on a node of `host_class`.
double TermOn(const PlacementDecision& d, const ClusterIndex& index, const std::string& host_class,
              std::string_view term) {
  for (const auto& c : d.candidates) {
    if (index.Find(c.node_id)->host_class != host_class) continue;
    for (const auto& [name, value] : c.terms) {
      if (std::string_view(name) == term) return value;
    }
  }
  return -1;
}

double PredictedMsOn(const PlacementDecision& d, const ClusterIndex& index,
                     const std::string& host_class) {
  return TermOn(d, index, host_class, "predicted_ms");
}

// A new cluster: a newest class with every feature, and an oldest one with almost none, on
// which no function has run yet. A function's two runs on the newest, the first the shorter,
// extrapolate (by its regression alone) to the oldest class near the first run's time, shorter
// than its level on the newest: what the hardware said before its first run must still count.
TEST_F(LearnedPolicyTest, TwoRunsOnTheNewestClassLeaveTheOldestPredictedSlower) {
  HostClassInfo newest =
      TestClass("newest", {"aes", "vaes", "pclmulqdq", "sha_ni", "avx2", "avx512f", "fma", "bmi2"});
  newest.l3_bytes = 40ull << 20;
  HostClassInfo oldest = TestClass("oldest", {});
  oldest.l3_bytes = 6ull << 20;
  ClusterIndex index;
  for (const auto* cls : {&newest, &oldest}) {
    index.Upsert(NodeOfClass(*cls, cls->name + "0", {64ull << 30, 16000}), *cls);
  }
  LearnedPolicy p(Objective::kPerformance);  // exploring, as it runs by default
  const PlacementRequest req = Req("f");
  auto first = p.Decide(req, index);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(index.Find(first->node_id)->host_class, "newest");
  for (double ms : {700.0, 1800.0}) p.Observe(RunOn("f", newest, ms));
  auto next = p.Decide(req, index);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(index.Find(next->node_id)->host_class, "newest");
  EXPECT_GT(PredictedMsOn(*next, index, "oldest"), PredictedMsOn(*next, index, "newest"));
}

TEST_F(LearnedPolicyTest, TheBestClassGetsNoExplorationCreditForItsLead) {
  // "f" is known well on both classes and "fast" is 6x better. Learning more about "fast" is
  // worth only the chance that it turns out worse than "slow" (none): it decides on about its
  // prediction. Crediting it with its lead, times a horizon of 200 calls, would make it
  // unbeatable by any class that merely might be better.
  LearnedPolicy p(Objective::kPerformance);
  Teach(p, "f", fast_, 40, 200);
  Teach(p, "f", slow_, 240, 20);
  auto d = p.Decide(Req("f"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(index_.Find(d->node_id)->host_class, "fast");
  const double predicted = PredictedMsOn(*d, index_, "fast");
  EXPECT_NEAR(TermOn(*d, index_, "fast", "decided_ms") / predicted, 1.0, 0.05);
}

TEST_F(LearnedPolicyTest, AHintNoClassOffersCountsAgainstNoClass) {
  // "vector" prefers AVX-512, which no class here has, and AES-NI, which only "fast" has. It
  // ran once on "fast". A hint is a prior for classes it has not run on: "slow" lacks AES-NI
  // and counts that against it once; AVX-512, lacking everywhere, must not count against
  // "slow" only because the function has not run there yet (it would never go there).
  LearnedPolicy p(Objective::kPerformance, Greedy());
  PlacementDecision with_hints, without;
  ASSERT_NO_FATAL_FAILURE(
      DecideWithAndWithoutHints(p, "vector", {"aes", "avx512f"}, fast_, 1, with_hints, without));
  EXPECT_NEAR(PredictedMsOn(with_hints, index_, "fast"), PredictedMsOn(without, index_, "fast"),
              1e-6);
  EXPECT_NEAR(PredictedMsOn(with_hints, index_, "slow") / PredictedMsOn(without, index_, "slow"),
              2.0, 0.05)
      << "one missing feature that a class offers: about 2x; both would be 4x";
}

TEST_F(LearnedPolicyTest, AHintedFeatureCountsForAClassThatHasItWhenRunsWereWhereItIsMissing) {
  // "crypto" prefers AES-NI and has run only on "slow", which lacks it; "plain", with no hints,
  // ran the same. Those runs measured "crypto" without AES-NI: "fast" has it and must be
  // expected about 2x faster for "crypto" than for "plain", or it never gets a call.
  LearnedPolicy p(Objective::kPerformance, Greedy());
  PlacementDecision with_hints, without;
  ASSERT_NO_FATAL_FAILURE(
      DecideWithAndWithoutHints(p, "crypto", {"aes"}, slow_, 5, with_hints, without));
  EXPECT_NEAR(PredictedMsOn(with_hints, index_, "slow"), PredictedMsOn(without, index_, "slow"),
              1e-6);
  EXPECT_NEAR(PredictedMsOn(with_hints, index_, "fast") / PredictedMsOn(without, index_, "fast"),
              0.5, 0.05);
  EXPECT_EQ(index_.Find(with_hints.node_id)->host_class, "fast");
}

// Where a new function without hints and a new one with `hints` start, by host class, on a new
// cluster of one 8-core node of each of `a` and `b` (performance, greedy), `a_held_millicores`
// of a's node's CPU held. A failed decision reads as its error.
std::pair<std::string, std::string> FirstClassesWithoutAndWithHints(
    HostClassInfo a, HostClassInfo b, std::vector<std::string> hints,
    uint32_t a_held_millicores = 0) {
  a.cores = b.cores = 8;
  ClusterIndex index;
  for (const auto* cls : {&a, &b}) AddNodeOf(index, *cls);
  if (a_held_millicores > 0) index.SetAllocated(a.name + "0", {1ull << 30, a_held_millicores});
  LearnedPolicy p(Objective::kPerformance, Greedy());
  PlacementRequest plain;
  plain.function.name = "plain";
  PlacementRequest hinted = plain;
  hinted.function.name = "hinted";
  hinted.function.preferred_features = std::move(hints);
  auto class_of = [&](const PlacementRequest& req) -> std::string {
    auto d = p.Decide(req, index);
    return d.ok() ? index.Find(d->node_id)->host_class : d.status().ToString();
  };
  std::string without = class_of(plain);
  return {without, class_of(hinted)};
}

TEST(LearnedPolicyHintTest, ACacheBoundFunctionStartsOnTheLargestL3) {
  // "rich" has more CPU features, "big" four times the L3. A new function without hints goes
  // to the richer hardware; one that says it is bound by its cache (kLargeL3Hint) to the
  // largest L3, and counts the other class as slower until it has run there.
  HostClassInfo rich = TestClass("rich", {"aes", "avx2", "sha_ni"});
  rich.l3_bytes = 8ull << 20;
  HostClassInfo big = TestClass("big", {"avx2"});
  big.l3_bytes = 32ull << 20;
  const auto [plain, cache] =
      FirstClassesWithoutAndWithHints(rich, big, {std::string(kLargeL3Hint)});
  EXPECT_EQ(plain, "rich");
  EXPECT_EQ(cache, "big");
}

TEST(LearnedPolicyHintTest, OnANewClusterAHintedFunctionCountsItsHintsAndL3NotOtherFeatures) {
  // Both classes have AES-NI. "rich" has five more CPU features, "lean" twice the L3 (as on a
  // cluster whose feature-rich class is its oldest). A new function without hints goes to the
  // richer hardware; one whose manifest names AES-NI has said what its code uses, and the
  // features it did not name do not make "rich" look faster: the larger L3 decides.
  HostClassInfo rich = TestClass("rich", {"aes", "avx2", "avx512f", "bmi2", "fma", "sha_ni"});
  rich.l3_bytes = 16ull << 20;
  HostClassInfo lean = TestClass("lean", {"aes"});
  lean.l3_bytes = 32ull << 20;
  const auto [plain, crypto] = FirstClassesWithoutAndWithHints(rich, lean, {"aes"});
  EXPECT_EQ(plain, "rich");
  EXPECT_EQ(crypto, "lean");
}

TEST(LearnedPolicyHintTest, OnANewClusterL3DrawsACacheBoundFunctionButNotABandwidthBoundOne) {
  // "big" has 16 times the L3 of "small" and a sixteenth of its CPU held; "small" is idle. A
  // new cache-bound function goes to the large L3; a bandwidth-bound one, whose data streams
  // through memory, to the idle node.
  HostClassInfo big = TestClass("big", {"aes"});
  big.l3_bytes = 64ull << 20;
  HostClassInfo small = TestClass("small", {"aes"});
  small.l3_bytes = 4ull << 20;
  auto hinted_class = [&](std::string_view hint) {
    return FirstClassesWithoutAndWithHints(big, small, {std::string(hint)}, 500).second;
  };
  EXPECT_EQ(hinted_class(kLargeL3Hint), "big");
  EXPECT_EQ(hinted_class(kMemoryBandwidthHint), "small");
}

// The first calls of a new function without hints and of one hinted memory_bandwidth, decided
// by `p` on one node of "rich" (`rich_features`; `rich_held_millicores` of its 8 cores held)
// and one idle node of "plain" (AES-NI only).
struct FirstCalls {
  Result<PlacementDecision> unhinted;
  Result<PlacementDecision> bound;
};
FirstCalls FirstCallsOnRichBusyAndPlainIdle(LearnedPolicy& p,
                                            std::vector<std::string> rich_features,
                                            uint32_t rich_held_millicores) {
  HostClassInfo rich, plain;
  rich.name = "rich";
  rich.features = std::move(rich_features);
  plain.name = "plain";
  plain.features = {"aes"};
  rich.cores = plain.cores = 8;
  ClusterIndex index;
  for (const auto* cls : {&rich, &plain}) AddNodeOf(index, *cls);
  index.SetAllocated("rich0", {1ull << 30, rich_held_millicores});
  PlacementRequest unhinted;
  unhinted.function.name = "unhinted";
  PlacementRequest bound = unhinted;
  bound.function.name = "bound";
  bound.function.preferred_features = {std::string(kMemoryBandwidthHint)};
  auto d_unhinted = p.Decide(unhinted, index);
  auto d_bound = p.Decide(bound, index);
  return {std::move(d_unhinted), std::move(d_bound)};
}

TEST(LearnedPolicyHintTest, AMemoryBoundFunctionStartsOnAnIdleNodeOverRicherBusyHardware) {
  // "rich" has two more CPU features, but its only node has three fifths of its CPU held (not
  // yet so full that the class charges for its room); "plain" is idle. A new function without
  // hints goes to the richer hardware; one that says it is bound by memory bandwidth
  // (kMemoryBandwidthHint) is taken as load-sensitive before any function like it has run, and
  // goes to the idle node.
  LearnedPolicy p(Objective::kPerformance, Greedy());
  const FirstCalls d = FirstCallsOnRichBusyAndPlainIdle(p, {"aes", "avx2", "sha_ni"}, 4800);
  ASSERT_TRUE(d.unhinted.ok());
  ASSERT_TRUE(d.bound.ok());
  EXPECT_EQ(d.unhinted->node_id, "rich0");
  EXPECT_EQ(d.bound->node_id, "plain0");
  EXPECT_GT(p.model().LoadSensitivity("bound"), p.model().LoadSensitivity("unhinted"));
}

TEST(LearnedPolicyHintTest, ForAMemoryBoundFunctionNewerHardwareWeighsLessThanAQuarterBusyNode) {
  // "rich" has six more of the model's CPU features and a quarter of its CPU held; "plain" is
  // idle. Six features make a new function without hints expect "rich" to be about a third
  // faster, more than a quarter-busy node costs it; a function hinted memory_bandwidth has named
  // what bounds it, and features it did not name do not count for it.
  LearnedPolicy p(Objective::kPerformance, Greedy());
  const FirstCalls d = FirstCallsOnRichBusyAndPlainIdle(
      p, {"aes", "avx2", "avx512f", "bmi2", "fma", "sha_ni", "vaes"}, 2000);
  ASSERT_TRUE(d.unhinted.ok());
  ASSERT_TRUE(d.bound.ok());
  EXPECT_EQ(d.unhinted->node_id, "rich0");
  EXPECT_EQ(d.bound->node_id, "plain0");
}

TEST(LearnedPolicyHintTest, AClassNoFunctionRanOnIsNotTakenAsFarSlower) {
  // Functions ran on "a" and "b" only; "c" is new to all of them. For a new function, "c" is
  // unknown relative to "a" by about a factor of two either way, not by the 7x that the
  // uncertainty of the function's own level (the same on every class) would make it.
  ClusterIndex index;
  std::map<std::string, HostClassInfo> classes;
  for (const char* name : {"a", "b", "c"}) {
    HostClassInfo& cls = classes[name];
    cls.name = name;
    cls.features = {"avx2"};
    cls.cores = 8;
    AddNodeOf(index, cls);
  }
  LearnedPolicy p(Objective::kPerformance, Greedy());
  auto teach = [&](const std::string& fn, const HostClassInfo& cls, double ms) {
    for (int i = 0; i < 20; ++i) {
      RunObservation o;
      o.function = fn;
      o.host_class = cls.name;
      o.class_features = HostFeatureVector(cls);
      o.wall_ms = ms;
      o.cpu_ms = ms;
      o.peak_memory_bytes = 64 << 20;
      o.succeeded = true;
      p.Observe(o);
    }
  };
  for (int k = 0; k < 4; ++k) {
    const std::string fn = "f" + std::to_string(k);
    teach(fn, classes["a"], 100.0 * (k + 1));
    teach(fn, classes["b"], 120.0 * (k + 1));
  }
  // A fit of the populations happens every few hundred observations; force one.
  for (int i = 0; i < 13; ++i) teach("filler", classes["a"], 10);
  PlacementRequest fresh;
  fresh.function.name = "new";
  auto d = p.Decide(fresh, index);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(index.Find(d->node_id)->host_class, "a");
  const double ratio = TermOn(*d, index, "c", "decided_ms") / TermOn(*d, index, "a", "decided_ms");
  EXPECT_GT(ratio, 1.0);
  EXPECT_LT(ratio, 1.5);
}

TEST_F(LearnedPolicyTest, PerformanceWaitsForARunSlotOnlyBeyondTheAgentsConcurrentRuns) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  Teach(p, "f", fast_, 100, 5);
  Teach(p, "f", slow_, 120, 5);
  auto set_agents = [&](uint32_t max_concurrent_runs) {
    for (const char* id : {"fast0", "fast1"}) {
      NodeView n = *index_.Find(id);
      n.max_concurrent_runs = max_concurrent_runs;
      index_.Upsert(n, fast_);
      index_.SetUsage(id, {}, 2);  // two runs on each "fast" node
    }
  };
  auto chosen_class = [&] {
    auto d = p.Decide(Req("f"), index_);
    EXPECT_TRUE(d.ok());
    return d.ok() ? index_.Find(d->node_id)->host_class : std::string();
  };
  set_agents(2);  // their agents start two runs at once: a third waits about half a run
  EXPECT_EQ(chosen_class(), "slow");
  set_agents(16);
  EXPECT_EQ(chosen_class(), "fast");
  set_agents(0);  // not said: one per core (four)
  EXPECT_EQ(chosen_class(), "fast");
}

TEST_F(LearnedPolicyTest, PerformanceLeavesANearlyFullClassToTheFunctionsThatGainMostThere) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  Teach(p, "little-gain", fast_, 100, 5);  // 1.1x faster on "fast"
  Teach(p, "little-gain", slow_, 110, 5);
  Teach(p, "big-gain", fast_, 100, 5);  // 3x faster on "fast"
  Teach(p, "big-gain", slow_, 300, 5);
  auto chosen_class = [&](const std::string& fn) {
    auto d = p.Decide(Req(fn), index_);
    EXPECT_TRUE(d.ok());
    return d.ok() ? index_.Find(d->node_id)->host_class : std::string();
  };
  // With room to spare on "fast", both go there.
  EXPECT_EQ(chosen_class("little-gain"), "fast");
  EXPECT_EQ(chosen_class("big-gain"), "fast");
  // Both "fast" nodes 85% allocated (a half-core call still fits): the last room is kept for
  // the function that gains 3x there.
  index_.SetAllocated("fast0", {0, 3400});
  index_.SetAllocated("fast1", {0, 3400});
  EXPECT_EQ(chosen_class("little-gain"), "slow");
  EXPECT_EQ(chosen_class("big-gain"), "fast");
  // The price is in the explanation.
  auto d = p.Decide(Req("big-gain"), index_);
  ASSERT_TRUE(d.ok());
  bool priced = false;
  for (const auto& c : d->candidates) {
    for (const auto& [term, value] : c.terms) {
      if (std::string_view(term) == "class_price_log" && c.host_class == "fast") {
        priced = value > 0;
      }
    }
  }
  EXPECT_TRUE(priced);
}

// Each function runs alternately on an idle node and on one whose CPU others fully hold:
// "steady" takes as long on both, "touchy" 1.6x as long on the busy one. Once its own runs show
// it (50 of them), steady fills the fuller node of its class and leaves the emptier one to
// functions co-runners slow down; touchy, a function with few runs (its sensitivity still
// mostly its group's guess) and one that keeps warm instances take the emptier node.
TEST_F(LearnedPolicyTest, AFunctionCoRunnersDoNotSlowFillsTheFullerNodeOnceItsRunsShowIt) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  auto teach = [&](const std::string& fn, double busy_ms, int runs) {
    for (int i = 0; i < runs; ++i) {
      RunObservation o = RunOn(fn, fast_, i % 2 ? busy_ms : 100);
      o.cpu_utilization_at_start = i % 2;
      if (fn == "lambda" && i == 0) o.cold_start_init_ms = 300;
      p.Observe(o);
    }
  };
  teach("steady", 100, 60);
  teach("touchy", 160, 60);
  teach("young", 100, 20);
  teach("lambda", 100, 60);
  EXPECT_LT(p.model().LoadSensitivity("steady"), 0.1);
  EXPECT_GT(p.model().LoadSensitivity("touchy"), 0.1);
  EXPECT_LT(p.model().LoadSensitivity("lambda"), 0.1);
  index_.SetAllocated("fast0", {0, 2000});  // half held; fast1 idle
  index_.SetAllocated("slow0", {0, 4000});  // the slow class full: the choice is within fast
  index_.SetAllocated("slow1", {0, 4000});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"steady", "fast0"}, {"touchy", "fast1"}, {"young", "fast1"}, {"lambda", "fast1"}};
  for (const auto& [fn, node] : expected) {
    auto d = p.Decide(Req(fn), index_);
    ASSERT_TRUE(d.ok()) << fn << ": " << d.status();
    EXPECT_EQ(d->node_id, node) << fn;
  }
}

TEST_F(LearnedPolicyTest, UnderOverloadACallThatMayWaitWaitsForItsBestClassForABoundedTime) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  Teach(p, "big-gain", fast_, 100, 5);  // 3x faster on "fast"
  Teach(p, "big-gain", slow_, 300, 5);
  Teach(p, "little-gain", fast_, 100, 5);  // 1.1x
  Teach(p, "little-gain", slow_, 110, 5);
  auto decide = [&](const std::string& fn, std::optional<PlacementRequest::CallerWait> wait) {
    return p.Decide(ReqWaiting(fn, wait), index_);
  };
  auto class_of = [&](const Result<PlacementDecision>& d) {
    return d.ok() ? index_.Find(d->node_id)->host_class : std::string(d.status().message());
  };
  // "fast" is full; "slow" is crowded (80% allocated) but has room for the call.
  index_.SetAllocated("fast0", {0, 4000});
  index_.SetAllocated("fast1", {0, 4000});
  index_.SetAllocated("slow0", {0, 3200});
  index_.SetAllocated("slow1", {0, 3200});
  // A caller that cannot wait (the gRPC Place) gets the room there is.
  EXPECT_EQ(class_of(decide("big-gain", std::nullopt)), "slow");
  // One that can is told to wait for "fast", for up to twice the ~200 ms it would save.
  for (const double waited_ms : {0.0, 300.0}) {
    auto d = decide("big-gain", PlacementRequest::CallerWait{.waited_ms = waited_ms});
    ASSERT_FALSE(d.ok()) << "waited " << waited_ms << " ms";
    EXPECT_EQ(d.status().code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(d.status().reason(), ErrorReason::kNoCapacity);
    EXPECT_NE(d.status().message().find("'fast'"), std::string_view::npos) << d.status().message();
    // How much longer the wait is worth: when the caller should ask again even if no run ends.
    EXPECT_GT(d.status().retry_after().count(), 360 - waited_ms);
    EXPECT_LT(d.status().retry_after().count(), 480 - waited_ms);
  }
  EXPECT_EQ(class_of(decide("big-gain", PlacementRequest::CallerWait{.waited_ms = 600})), "slow");
  // Nor does it wait when its caller would give up first, or when the gain is small.
  EXPECT_EQ(class_of(decide("big-gain", PlacementRequest::CallerWait{.left_ms = 100})), "slow");
  EXPECT_EQ(class_of(decide("little-gain", PlacementRequest::CallerWait{})), "slow");
  // Not an overload: "slow" has room to spare, so taking some of it costs nobody.
  index_.SetAllocated("slow0", {0, 1000});
  index_.SetAllocated("slow1", {0, 1000});
  EXPECT_EQ(class_of(decide("big-gain", PlacementRequest::CallerWait{})), "slow");
  // "fast" gone rather than full: waiting would not make room.
  index_.SetAllocated("slow0", {0, 3200});
  index_.SetAllocated("slow1", {0, 3200});
  index_.SetAllocated("fast0", {});
  index_.SetAllocated("fast1", {});
  index_.SetHealthy("fast0", false);
  index_.SetHealthy("fast1", false);
  EXPECT_EQ(class_of(decide("big-gain", PlacementRequest::CallerWait{})), "slow");
}

// A call waits for its best class only to run faster there: a class that is full now will
// be nearly full when room frees, so a function co-runners slow down is compared at that load
// on both classes. "touchy" is 1.1x faster on "fast" alone and twice as slow on a busy node of
// either class; "steady" is 1.5x faster on "fast" and co-runners do not slow it.
TEST_F(LearnedPolicyTest, AWaitForTheBestClassCountsTheLoadTheCallWouldMeetThere) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  TeachAloneAndBusy(p, "touchy", fast_, 100, 200, 40);
  TeachAloneAndBusy(p, "touchy", slow_, 110, 220, 40);
  TeachAloneAndBusy(p, "steady", fast_, 100, 100, 40);
  TeachAloneAndBusy(p, "steady", slow_, 150, 150, 40);
  ASSERT_GT(p.model().LoadSensitivity("touchy"), 0.5);
  // "fast" is full; "slow" is crowded (80% allocated) but has room.
  index_.SetAllocated("fast0", {0, 4000});
  index_.SetAllocated("fast1", {0, 4000});
  index_.SetAllocated("slow0", {0, 3200});
  index_.SetAllocated("slow1", {0, 3200});
  auto decide = [&](const std::string& fn) {
    return p.Decide(ReqWaiting(fn, PlacementRequest::CallerWait{}), index_);
  };
  auto steady = decide("steady");
  ASSERT_FALSE(steady.ok());
  EXPECT_EQ(steady.status().reason(), ErrorReason::kNoCapacity);
  // Idle, "fast" would run touchy 1.9x faster than crowded "slow"; as full as it is, no faster.
  auto touchy = decide("touchy");
  ASSERT_TRUE(touchy.ok()) << touchy.status();
  EXPECT_EQ(index_.Find(touchy->node_id)->host_class, "slow");
}

// In a crunch every node's CPU is allocated but for a fraction of a core here and there, and
// calls queue for whole cores. A short call that may wait takes such a fraction, stretched by
// advice / what is left, once it has waited as long as the stretch would add; a long one does
// not (it would hold the fraction the short ones pass through).
TEST_F(LearnedPolicyTest, InACrunchAShortCallTakesAFractionOfACoreOnceWaitingWouldCostMore) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  auto teach = [&](const std::string& fn, const HostClassInfo& cls, double ms) {
    for (int i = 0; i < 5; ++i) {
      RunObservation o = RunOn(fn, cls, ms);
      o.cpu_ms = ms;  // a whole core: advised 1000 millicores
      p.Observe(o);
    }
  };
  teach("short", fast_, 2);
  teach("short", slow_, 3);
  teach("long", fast_, 10'000);
  teach("long", slow_, 12'000);
  index_.SetAllocated("fast0", {0, 4000});
  index_.SetAllocated("fast1", {0, 4000});
  index_.SetAllocated("slow0", {0, 4000});
  index_.SetAllocated("slow1", {0, 3600});  // 400 millicores left
  auto decide = [&](const std::string& fn, std::optional<PlacementRequest::CallerWait> wait) {
    return p.Decide(ReqWaiting(fn, wait), index_);
  };
  // On 400 of its 1000 millicores a ~3 ms run takes 2.5x as long: ~4.5 ms more. Before it has
  // waited that long it is refused, told when squeezing will be worth it.
  auto early = decide("short", PlacementRequest::CallerWait{});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(early.status().reason(), ErrorReason::kNoCapacity);
  EXPECT_GE(early.status().retry_after().count(), 3);
  EXPECT_LE(early.status().retry_after().count(), 8);
  auto squeezed = decide("short", PlacementRequest::CallerWait{.waited_ms = 20});
  ASSERT_TRUE(squeezed.ok()) << squeezed.status();
  EXPECT_EQ(squeezed->node_id, "slow1");
  EXPECT_EQ(squeezed->allocation.cpu_millicores, 400u);
  EXPECT_GT(squeezed->predicted_duration_ms, 2 * 3.0) << "the stretch is in the prediction";
  // A caller that cannot wait, or one that would give up first, is refused as before.
  EXPECT_FALSE(decide("short", std::nullopt).ok());
  auto giving_up = decide("short", PlacementRequest::CallerWait{.left_ms = 1});
  ASSERT_FALSE(giving_up.ok());
  EXPECT_EQ(giving_up.status().retry_after().count(), 0);
  // A long call waits for a whole core, however long it has waited.
  auto long_call = decide("long", PlacementRequest::CallerWait{.waited_ms = 1e6});
  ASSERT_FALSE(long_call.ok());
  EXPECT_EQ(long_call.status().retry_after().count(), 0);
  // Nor is a call squeezed into less than a tenth of a core, or out of a caller's own quota.
  index_.SetAllocated("slow1", {0, 3950});
  EXPECT_FALSE(decide("short", PlacementRequest::CallerWait{.waited_ms = 1e6}).ok());
  index_.SetAllocated("slow1", {0, 3600});
  PlacementRequest fixed = ReqWaiting("short", PlacementRequest::CallerWait{.waited_ms = 1e6});
  fixed.fixed_allocation = Allocation{64 << 20, 1000, 0};
  EXPECT_FALSE(p.Decide(fixed, index_).ok());
}

// A function that never ran may be short or long: in a crunch its call is squeezed whatever
// length the prior guesses, but into no less than half the CPU it is advised.
TEST_F(LearnedPolicyTest, InACrunchAFirstCallTakesNoLessThanHalfItsAdvisedCpu) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  index_.SetAllocated("fast0", {0, 4000});
  index_.SetAllocated("fast1", {0, 4000});
  index_.SetAllocated("slow0", {0, 4000});
  index_.SetAllocated("slow1", {0, 3400});  // 600 of its default 1000 millicores left
  auto decide = [&](double waited_ms) {
    return p.Decide(ReqWaiting("new", PlacementRequest::CallerWait{.waited_ms = waited_ms}),
                    index_);
  };
  // On 600 millicores a run guessed at 100-150 ms takes some 100 ms more. Not knowing how
  // long the call is, it waits three times that; until then it is refused, told when squeezing
  // will be worth it.
  auto early = decide(0);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), StatusCode::kResourceExhausted);
  EXPECT_GE(early.status().retry_after().count(), 150);
  EXPECT_LE(early.status().retry_after().count(), 500);
  auto squeezed = decide(1000);
  ASSERT_TRUE(squeezed.ok()) << squeezed.status();
  EXPECT_EQ(squeezed->node_id, "slow1");
  EXPECT_EQ(squeezed->allocation.cpu_millicores, 600u);
  // 400 millicores would make it 2.5x as long: it waits for more, however long it has waited.
  index_.SetAllocated("slow1", {0, 3600});
  auto deep = decide(1e6);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().retry_after().count(), 0);
}

// A squeezed run is throttled and slow for its quota, not for its class or its function.
TEST_F(LearnedPolicyTest, ARunSqueezedBelowItsAdviceTeachesNeitherItsDurationNorItsCpuDemand) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  for (int i = 0; i < 5; ++i) {
    RunObservation o = RunOn("short", slow_, 3);
    o.cpu_ms = 3;
    o.cpu_quota_millicores = 1000;
    p.Observe(o);
  }
  const auto before = p.model().Predict("short", "slow", HostFeatureVector(slow_), std::nullopt, 0);
  RunObservation squeezed = RunOn("short", slow_, 7.5);
  squeezed.cpu_ms = 3;
  squeezed.cpu_quota_millicores = 400;
  squeezed.cpu_throttled_fraction = 1.0;
  p.Observe(squeezed);
  EXPECT_EQ(p.model().Runs("short"), 5u);
  const auto after = p.model().Predict("short", "slow", HostFeatureVector(slow_), std::nullopt, 0);
  EXPECT_DOUBLE_EQ(after.mean_log_ms, before.mean_log_ms);
  auto d = p.Decide(Req("short"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->allocation.cpu_millicores, 1000u) << "neither doubled nor averaged down";
  // Its memory still counts.
  RunObservation heavy = squeezed;
  heavy.oom_killed = true;
  heavy.succeeded = false;
  p.Observe(heavy);
  auto after_oom = p.Decide(Req("short"), index_);
  ASSERT_TRUE(after_oom.ok());
  EXPECT_GT(after_oom->allocation.memory_limit_bytes, d->allocation.memory_limit_bytes);
}

// The Kubernetes extender scores every node and reads the candidates by slot (they carry no
// node id or class name): the policy still tells a chosen node it predicts best from one it
// explores, and a full best class from a missing one.
TEST_F(LearnedPolicyTest, CandidatesReadBySlotWaitAndExploreAsNamedOnesDo) {
  auto by_slot = [&](const std::string& fn) {
    PlacementRequest r = Req(fn);
    r.score_every_node = true;
    r.candidates_by_slot = true;
    return r;
  };
  LearnedPolicy greedy(Objective::kPerformance, Greedy());
  Teach(greedy, "f", fast_, 100, 5);
  Teach(greedy, "f", slow_, 300, 5);
  auto d = greedy.Decide(by_slot("f"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(index_.Find(d->node_id)->host_class, "fast");
  EXPECT_FALSE(d->explored) << "the node it predicts best";
  // "fast" full, "slow" crowded: a caller that may wait waits for "fast".
  index_.SetAllocated("fast0", {0, 4000});
  index_.SetAllocated("fast1", {0, 4000});
  index_.SetAllocated("slow0", {0, 3200});
  index_.SetAllocated("slow1", {0, 3200});
  PlacementRequest waiting = by_slot("f");
  waiting.caller_wait = PlacementRequest::CallerWait{};
  auto wait = greedy.Decide(waiting, index_);
  ASSERT_FALSE(wait.ok());
  EXPECT_EQ(wait.status().reason(), ErrorReason::kNoCapacity);
  EXPECT_NE(wait.status().message().find("'fast'"), std::string_view::npos)
      << wait.status().message();
  // A busy function that may be faster on a class it never ran on tries it, and says so.
  index_.SetAllocated("fast0", {});
  index_.SetAllocated("fast1", {});
  index_.SetAllocated("slow0", {});
  index_.SetAllocated("slow1", {});
  LearnedPolicy p(Objective::kPerformance);
  TeachOthersAndOnlySlow(p, "g", 400);
  int explored = 0, on_fast = 0;
  for (int i = 0; i < 10; ++i) {
    auto e = p.Decide(by_slot("g"), index_);
    ASSERT_TRUE(e.ok());
    const bool fast = index_.Find(e->node_id)->host_class == "fast";
    on_fast += fast;
    explored += e->explored;
    EXPECT_EQ(e->explored, fast) << "explored exactly when it went to the class it does not know";
  }
  EXPECT_EQ(on_fast, 1);
  EXPECT_EQ(explored, 1);
}

TEST_F(LearnedPolicyTest, ABusyFunctionExploresAClassThatMayBeBetterOneCallAtATime) {
  // Functions differ on "fast": three run 30% slower there, two 20% faster; "f" ran only on
  // "slow". Whether "fast" is better for "f" is unknown (slightly worse on average): worth a
  // try for a busy function, not for a rare one; and one try at a time: the calls that come
  // before the try's report stay where "f" is known.
  for (const int runs : {2, 400}) {
    LearnedPolicy p(Objective::kPerformance);
    TeachOthersAndOnlySlow(p, "f", runs);
    std::map<std::string, int> classes;
    bool explored = false;
    for (int i = 0; i < 10; ++i) {
      auto d = p.Decide(Req("f"), index_);
      ASSERT_TRUE(d.ok());
      ++classes[index_.Find(d->node_id)->host_class];
      explored = explored || d->explored;
    }
    if (runs == 2) {
      EXPECT_EQ(classes["fast"], 0) << "a rare function stays where it is known";
      EXPECT_FALSE(explored);
    } else {
      EXPECT_EQ(classes["fast"], 1) << "a busy function tries the class it does not know, once";
      EXPECT_TRUE(explored);
      // A try whose report never comes is given up on after 64 more runs elsewhere.
      Teach(p, "f", slow_, 50, 63);
      EXPECT_EQ(index_.Find(p.Decide(Req("f"), index_)->node_id)->host_class, "slow");
      Teach(p, "f", slow_, 50, 1);
      auto again = p.Decide(Req("f"), index_);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(index_.Find(again->node_id)->host_class, "fast");
      // Once it ran there and was slower, it goes back.
      Teach(p, "f", fast_, 80, 5);
      EXPECT_EQ(index_.Find(p.Decide(Req("f"), index_)->node_id)->host_class, "slow");
    }
  }
  // Greedy (no exploration) always takes the best-known class.
  LearnedPolicy greedy(Objective::kPerformance, Greedy());
  Teach(greedy, "f", fast_, 50, 3);
  Teach(greedy, "f", slow_, 55, 3);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(index_.Find(greedy.Decide(Req("f"), index_)->node_id)->host_class, "fast");
  }
}

// The scheduler's learned policies decide on what one of them learns (MakeEveryPolicy): each
// must decide as it would had it learned every run itself, explorations, new classes and
// efficiency's packing order included.
TEST_F(LearnedPolicyTest, PoliciesThatShareATeachersLearningDecideAsTheyWouldAlone) {
  const Objective objectives[] = {Objective::kPerformance, Objective::kEfficiency,
                                  Objective::kBalanced};
  std::vector<std::unique_ptr<LearnedPolicy>> alone, shared;
  auto start_over = [&] {
    alone.clear();
    shared.clear();
    for (Objective o : objectives) alone.push_back(std::make_unique<LearnedPolicy>(o));
    shared.push_back(std::make_unique<LearnedPolicy>(Objective::kPerformance));
    shared.push_back(std::make_unique<LearnedPolicy>(Objective::kEfficiency, *shared[0]));
    shared.push_back(std::make_unique<LearnedPolicy>(Objective::kBalanced, *shared[0]));
  };
  start_over();
  auto observe_all = [&](const RunObservation& run) {
    for (auto* policies : {&alone, &shared}) {
      for (auto& p : *policies) p->Observe(run);
    }
  };
  int decisions = 0, explored = 0;
  std::vector<std::string> chosen;  // by each policy alone, in `objectives` order
  auto decide_all = [&](const std::string& fn) {
    chosen.clear();
    for (size_t i = 0; i < alone.size(); ++i) {
      auto a = alone[i]->Decide(Req(fn), index_);
      auto b = shared[i]->Decide(Req(fn), index_);
      ASSERT_TRUE(a.ok() && b.ok());
      chosen.push_back(index_.Find(a->node_id)->host_class);
      explored += a->explored;
      EXPECT_EQ(a->node_id, b->node_id) << alone[i]->name() << " " << fn;
      EXPECT_EQ(a->predicted_duration_ms, b->predicted_duration_ms)
          << alone[i]->name() << " " << fn;
      EXPECT_EQ(a->explored, b->explored) << alone[i]->name() << " " << fn;
      EXPECT_EQ(a->allocation.memory_limit_bytes, b->allocation.memory_limit_bytes);
      ++decisions;
    }
  };
  std::optional<HostClassInfo> big;
  for (int round = 0; round < 400; ++round) {
    if (round == 200) big = AddBigClass({"aes", "avx2", "avx512f"});
    const std::string fn = "fn-" + std::to_string(round % 7);
    decide_all(fn);
    const HostClassInfo& cls = big && round % 3 == 0 ? *big : round % 2 ? fast_ : slow_;
    // Each function runs differently on each class, with some noise.
    const double ms = (20.0 + 10.0 * (round % 7)) * (&cls == &fast_ ? 0.7 : 1.0) *
                      (1.0 + 0.05 * ((round * 37) % 11 - 5) / 5.0);
    observe_all(RunOn(fn, cls, ms));
  }
  EXPECT_EQ(decisions, 1200);
  EXPECT_EQ(shared[0]->SaveState(), alone[0]->SaveState());

  // A busy function known only on "slow", where whether "fast" or "big" is better is unknown
  // (others differ there both ways), tries one of them, and the other only once the first
  // try's report has come: each policy keeps its own tries
  // (ABusyFunctionExploresAClassThatMayBeBetterOneCallAtATime).
  start_over();
  for (int k = 0; k < 5; ++k) {
    const std::string other = "other" + std::to_string(k);
    decide_all(other);
    for (int i = 0; i < 20; ++i) observe_all(RunOn(other, fast_, k < 3 ? 65 : 40));
    for (int i = 0; i < 20; ++i) observe_all(RunOn(other, *big, k < 2 ? 40 : 65));
    for (int i = 0; i < 20; ++i) observe_all(RunOn(other, slow_, 50));
  }
  decide_all("busy");
  for (int i = 0; i < 256; ++i) observe_all(RunOn("filler", slow_, 10));
  for (int i = 0; i < 400; ++i) observe_all(RunOn("busy", slow_, 50));
  const int explored_before = explored;
  for (int i = 0; i < 30; ++i) {
    decide_all("busy");
    // Its run where balanced sent it, every third call (the others' reports come later).
    const HostClassInfo& ran_on = chosen[2] == "fast" ? fast_ : chosen[2] == "big" ? *big : slow_;
    if (i % 3 == 0) observe_all(RunOn("busy", ran_on, 50));
  }
  EXPECT_GT(explored, explored_before) << "the test must see explorations";
  EXPECT_EQ(shared[1]->SaveState(), "") << "a policy that shares its teacher's learning saves none";
  EXPECT_TRUE(shared[1]->RestoreState("not a state").ok()) << "and drops an old one";
}

TEST_F(LearnedPolicyTest,
       EfficiencyPacksTheFirstClassInItsOrderThenTheFullestNodeThatMeetsTheTarget) {
  LearnedPolicy p(Objective::kEfficiency, Greedy());
  // "io" runs as fast on both classes: both meet its target. Every function packs the classes
  // in one order (same cores; "fast" has the richer hardware), so "fast" fills first, its
  // fullest node first, although a "slow" node is fuller.
  Teach(p, "io", fast_, 20, 5);
  Teach(p, "io", slow_, 21, 5);
  index_.SetAllocated("slow1", {0, 3000});
  index_.SetAllocated("fast0", {0, 1000});
  index_.SetAllocated("fast1", {0, 2000});
  auto d = p.Decide(Req("io"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "fast1");
  // A fuller node where the call would miss its target (ten calls already in flight on four
  // cores: it would queue) passes the walk on to the class's next node, not to another class.
  index_.SetUsage("fast1", {0, 2000}, 10);
  d = p.Decide(Req("io"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "fast0");
  // A class the target rules out is not packed, however full its nodes.
  index_.SetUsage("fast1", {0, 2000}, 0);
  index_.SetAllocated("fast0", {0, 0});
  index_.SetAllocated("fast1", {0, 0});
  Teach(p, "crypto", fast_, 20, 5);
  Teach(p, "crypto", slow_, 200, 5);
  auto c = p.Decide(Req("crypto"), index_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(index_.Find(c->node_id)->host_class, "fast");
  // Performance spreads to the least loaded instead.
  LearnedPolicy perf(Objective::kPerformance, Greedy());
  Teach(perf, "io", fast_, 20, 5);
  Teach(perf, "io", slow_, 20, 5);
  EXPECT_NE(perf.Decide(Req("io"), index_)->node_id, "slow1");
}

TEST_F(LearnedPolicyTest, AllocationFollowsObservedPeaksAndGrowsAfterAnOomKill) {
  LearnedPolicy p(Objective::kBalanced);
  auto first = p.Decide(Req("mem"), index_);
  EXPECT_EQ(first->allocation.memory_limit_bytes, 64u << 20) << "the hint before any run";
  EXPECT_EQ(first->allocation.cpu_millicores, 1000u);
  Teach(p, "mem", fast_, 10, 10, 100ull << 20);
  auto sized = p.Decide(Req("mem"), index_);
  EXPECT_NEAR(double(sized->allocation.memory_limit_bytes), 125.0 * (1 << 20), 8.0 * (1 << 20));
  EXPECT_EQ(sized->allocation.cpu_millicores, 500u);
  Teach(p, "mem", fast_, 10, 1, 0, /*oom=*/true);
  auto grown = p.Decide(Req("mem"), index_);
  EXPECT_GE(grown->allocation.memory_limit_bytes,
            2 * sized->allocation.memory_limit_bytes - (1 << 20));
}

// "explored" means the policy chose something other than what it predicts best among the
// nodes that can take the run: a registered but unhealthy node of a class the function never
// ran on (and so looks promising to the prior) does not make every decision "explored".
TEST_F(LearnedPolicyTest, ExploredIsAboutEligibleNodesOnly) {
  HostClassInfo gone;
  gone.name = "gone";
  gone.features = {"aes", "avx2", "avx512f"};
  gone.cores = 4;
  NodeView n;
  n.node_id = "gone0";
  n.host_class = "gone";
  n.features = gone.features;
  n.capacity = {16ull << 30, 4000};
  n.healthy = false;
  index_.Upsert(n, gone);
  LearnedPolicy greedy(Objective::kPerformance, Greedy());
  Teach(greedy, "slowfn", fast_, 400, 5);  // slower than the unknown prior of 100 ms
  Teach(greedy, "slowfn", slow_, 900, 5);
  for (int i = 0; i < 20; ++i) {
    auto d = greedy.Decide(Req("slowfn"), index_);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(index_.Find(d->node_id)->host_class, "fast");
    EXPECT_FALSE(d->explored) << "greedy never explores";
    index_.MarkChosen(d->node_id);
  }
  // With sampling, exploring is the exception once the classes are well known.
  LearnedPolicy sampling(Objective::kPerformance);
  Teach(sampling, "slowfn", fast_, 400, 30);
  Teach(sampling, "slowfn", slow_, 900, 30);
  int explored = 0;
  for (int i = 0; i < 50; ++i) explored += sampling.Decide(Req("slowfn"), index_)->explored;
  EXPECT_LT(explored, 10);
}

TEST_F(LearnedPolicyTest, NoSingleRunCanPushTheAllocationPastTheLargestNode) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  // A peak of 2^64-1 bytes, if one ever got through, and then OOM kill after OOM kill.
  Teach(p, "hog", fast_, 10, 1, UINT64_MAX);
  Teach(p, "hog", fast_, 10, 12, 0, /*oom=*/true);
  auto d = p.Decide(Req("hog"), index_);
  ASSERT_TRUE(d.ok()) << d.status() << ": still placeable";
  EXPECT_EQ(d->allocation.memory_limit_bytes, 16ull << 30) << "the largest node's memory";
  EXPECT_TRUE(d->memory_at_ceiling);
  // The manifest's ceiling is lower still.
  PlacementRequest capped = Req("hog");
  capped.function.max_memory_bytes = 1ull << 30;
  auto c = p.Decide(capped, index_);
  EXPECT_EQ(c->allocation.memory_limit_bytes, 1ull << 30);
  EXPECT_TRUE(c->memory_at_ceiling);
  EXPECT_LE(d->allocation.cpu_millicores, 4000u);
}

TEST(ResourceProfilesTest, AThrottledRunRaisesTheQuotaAndAnUnthrottledOneSizesIt) {
  ResourceProfiles profiles;
  FunctionInfo fn;
  fn.name = "spin";
  auto run = [&](double cpu_ms, uint32_t quota, double throttled) {
    RunObservation o;
    o.function = "spin";
    o.wall_ms = 100;
    o.cpu_ms = cpu_ms;
    o.succeeded = true;
    o.cpu_quota_millicores = quota;
    o.cpu_throttled_fraction = throttled;
    profiles.Observe(o);
  };
  // A pure-CPU, two-thread function held to 850m uses all of it and is throttled most periods:
  // the quota must grow, never shrink toward what it was allowed.
  uint32_t quota = 850;
  for (int i = 0; i < 10; ++i) {
    run(quota / 10.0, quota, 0.9);
    const uint32_t next = profiles.Advise(fn, {0, 4000}).cpu_millicores;
    EXPECT_GE(next, quota) << "run " << i;
    quota = next;
  }
  EXPECT_GE(quota, 2000u);
  EXPECT_LE(quota, 4000u) << "never more than the largest node";
  // A single-threaded function that is not throttled is sized from what it uses.
  ResourceProfiles single;
  FunctionInfo one;
  one.name = "one";
  for (int i = 0; i < 20; ++i) {
    RunObservation o;
    o.function = "one";
    o.wall_ms = 100;
    o.cpu_ms = 97;
    o.succeeded = true;
    o.cpu_quota_millicores = 1000;
    o.cpu_throttled_fraction = 0.02;
    single.Observe(o);
  }
  EXPECT_EQ(single.Advise(one).cpu_millicores, 1000u);
}

TEST(ResourceProfilesTest, RunsThatWaitedForCoresOthersHeldDoNotShrinkTheQuota) {
  // A function that keeps 1.5 cores busy, on a host whose co-runners hold the cores: its runs
  // are stretched by waiting (not by its quota) and show less CPU over their wall time.
  auto size_after = [](bool waiting_measured) {
    ResourceProfiles profiles;
    FunctionInfo fn;
    fn.name = "pipeline";
    for (int i = 0; i < 20; ++i) {
      RunObservation o;
      o.function = fn.name;
      o.wall_ms = 200;  // 100 ms of work at 1.5 cores, and 100 ms kept waiting
      o.cpu_ms = 150;   // 0.75 cores over the wall time
      o.succeeded = true;
      o.cpu_quota_millicores = 2000;
      o.cpu_throttled_fraction = 0;  // its quota did not hold it back
      if (waiting_measured) o.cpu_waiting_ms = 100;
      profiles.Observe(o);
    }
    return profiles.Advise(fn).cpu_millicores;
  };
  EXPECT_EQ(size_after(false), 800u) << "without the wait, the starved runs read as 0.75 cores";
  EXPECT_EQ(size_after(true), 1500u) << "its CPU over the time it ran";
  // Never more than its quota allowed: a run that waited its whole wall time says only that.
  ResourceProfiles profiles;
  FunctionInfo fn;
  fn.name = "starved";
  RunObservation o;
  o.function = fn.name;
  o.wall_ms = 100;
  o.cpu_ms = 1;
  o.succeeded = true;
  o.cpu_quota_millicores = 500;
  o.cpu_throttled_fraction = 0;
  o.cpu_waiting_ms = 250;  // more than its wall time (several tasks waiting)
  profiles.Observe(o);
  EXPECT_EQ(profiles.Advise(fn).cpu_millicores, 500u);
}

TEST(ResourceProfilesTest, AFunctionThatNeedsFourCoresGetsThemAfterTwoThrottledRuns) {
  // Each throttled run doubles the quota from the one it had, whatever earlier runs showed;
  // once the function has what it needs it is sized from what it uses and never throttled.
  ResourceProfiles profiles;
  FunctionInfo fn;
  fn.name = "four-threads";
  const Resources largest_node{0, 16'000};
  const double need_cores = 4;
  std::vector<uint32_t> quotas;
  for (int i = 0; i < 60; ++i) {
    const uint32_t quota = profiles.Advise(fn, largest_node).cpu_millicores;
    quotas.push_back(quota);
    const double cores = std::min(need_cores, quota / 1000.0);
    RunObservation o;
    o.function = fn.name;
    o.wall_ms = 100 * need_cores / cores;  // a throttled run is stretched
    o.cpu_ms = o.wall_ms * cores;
    o.succeeded = true;
    o.cpu_quota_millicores = quota;
    o.cpu_throttled_fraction = cores < need_cores ? 0.9 : 0.0;
    profiles.Observe(o);
  }
  EXPECT_EQ(quotas[0], 1000u) << "one core before any run";
  EXPECT_EQ(quotas[1], 2000u);
  EXPECT_EQ(quotas[2], 4000u);
  for (size_t i = 2; i < quotas.size(); ++i) {
    EXPECT_GE(quotas[i], 4000u) << "run " << i << " was throttled again";
  }
  EXPECT_EQ(quotas.back(), 4000u) << "sized down to what it uses";
}

TEST(ResourceProfilesTest, ReportsThatMeasuredNeitherCpuNorMemoryLeaveTheAllocationAlone) {
  // A platform's report may carry only the required fields: wall time, no CPU time, no peak.
  ResourceProfiles profiles;
  FunctionInfo fn;
  fn.name = "platform-fn";
  fn.memory_hint_bytes = 512ull << 20;
  const Allocation before = profiles.Advise(fn);
  for (int i = 0; i < 40; ++i) {
    RunObservation o;
    o.function = "platform-fn";
    o.wall_ms = 120;
    o.succeeded = true;
    profiles.Observe(o);
  }
  EXPECT_EQ(profiles.Advise(fn).cpu_millicores, before.cpu_millicores);
  EXPECT_EQ(profiles.Advise(fn).memory_limit_bytes, before.memory_limit_bytes);
}

TEST(ResourceProfilesTest, APeakAtItsLimitWithoutAnOomKillHoldsTheLimitInsteadOfRatchetingUp) {
  ResourceProfiles profiles;
  FunctionInfo fn;
  fn.name = "reader";
  uint64_t limit = 256ull << 20;
  for (int i = 0; i < 30; ++i) {
    RunObservation o;
    o.function = "reader";
    o.wall_ms = 10;
    o.succeeded = true;
    o.memory_limit_bytes = limit;
    o.peak_memory_bytes = limit;  // page cache fills whatever limit it has
    profiles.Observe(o);
    limit = profiles.Advise(fn).memory_limit_bytes;
  }
  EXPECT_EQ(limit, 256ull << 20);
  // A peak above the limit the run had (impossible under a cgroup) counts as the limit.
  RunObservation over;
  over.function = "other";
  over.succeeded = true;
  over.wall_ms = 10;
  over.memory_limit_bytes = 100ull << 20;
  over.peak_memory_bytes = 50ull << 30;
  profiles.Observe(over);
  FunctionInfo other;
  other.name = "other";
  EXPECT_LE(profiles.Advise(other).memory_limit_bytes, 100ull << 20);
}

TEST_F(LearnedPolicyTest, KeepsDecayedStatisticsPerFunctionAndClass) {
  LearnedPolicy p(Objective::kEfficiency);
  for (int i = 1; i <= 100; ++i) {
    RunObservation o;
    o.function = "f";
    o.host_class = "fast";
    o.class_features = HostFeatureVector(fast_);
    o.wall_ms = i;
    o.cpu_ms = 5;
    o.read_bytes = 1000;
    o.peak_memory_bytes = 10ull << 20;
    o.succeeded = true;
    p.Observe(o);
  }
  const RunStatistics* st = p.Statistics("f", "fast");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(p.Statistics("f", "slow"), nullptr);
  // Decay favours recent runs: the p50 sits above the plain median of 1..100.
  EXPECT_GT(st->DurationQuantileMs(0.5), 60);
  EXPECT_GE(st->DurationQuantileMs(0.99), st->DurationQuantileMs(0.95));
  EXPECT_GT(st->DurationQuantileMs(0.95), st->DurationQuantileMs(0.5));
  EXPECT_NEAR(st->mean_cpu_ms(), 5, 1e-9);
  EXPECT_NEAR(st->mean_read_bytes(), 1000, 1e-6);
  EXPECT_NEAR(st->PeakMemoryQuantileBytes(0.95), 10.0 * (1 << 20), 0.05 * (10 << 20));
  EXPECT_EQ(st->llc_miss_ratio(), -1) << "never measured";
  RunStatistics copy;
  ASSERT_TRUE(copy.Restore(st->Save()));
  EXPECT_DOUBLE_EQ(copy.DurationQuantileMs(0.95), st->DurationQuantileMs(0.95));
  EXPECT_DOUBLE_EQ(copy.mean_cpu_ms(), st->mean_cpu_ms());
  EXPECT_FALSE(copy.Restore("garbage"));
}

TEST_F(LearnedPolicyTest, SavedStateRestoresTheSamePredictionsAndAllocations) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  Teach(p, "aes", fast_, 40, 5, 30ull << 20);
  Teach(p, "aes", slow_, 240, 5, 30ull << 20);
  Teach(p, "other", slow_, 70, 4);
  const auto before = p.Decide(Req("aes"), index_);
  const std::string saved = p.SaveState();

  LearnedPolicy restored(Objective::kPerformance, Greedy());
  ASSERT_TRUE(restored.RestoreState(saved).ok());
  const auto after = restored.Decide(Req("aes"), index_);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(index_.Find(after->node_id)->host_class, "fast");
  EXPECT_NEAR(after->predicted_duration_ms, before->predicted_duration_ms, 1e-6);
  EXPECT_EQ(after->allocation.memory_limit_bytes, before->allocation.memory_limit_bytes);
  ASSERT_NE(restored.Statistics("other", "slow"), nullptr);
  EXPECT_NEAR(restored.Statistics("other", "slow")->DurationQuantileMs(0.5), 70, 4);
  for (const std::string& bad : {std::string("nonsense"), saved.substr(0, saved.size() / 2)}) {
    LearnedPolicy untouched(Objective::kPerformance, Greedy());
    EXPECT_EQ(untouched.RestoreState(bad).code(), StatusCode::kInvalidArgument);
  }
}

// A noisy function, well known on the class packed first, and three quiet runs on another:
// judged by those runs' p95 (a noisy threshold), the packed class looked too slow and the
// function went to an idle host; judged by medians, both meet the target and it packs.
TEST_F(LearnedPolicyTest, EfficiencyJudgesClassesByMediansNotAFewRunsTail) {
  LearnedPolicy p(Objective::kEfficiency, Greedy());
  for (int i = 0; i < 20; ++i) Teach(p, "noisy", fast_, i % 2 ? 50 : 200, 1);
  Teach(p, "noisy", slow_, 60, 3);
  index_.SetAllocated("fast0", {1ull << 30, 2000});  // the packed class is in use
  const auto d = p.Decide(Req("noisy"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "fast0") << "the fullest node of the class packed first";
}

// "crypto" meets its target only on "fast", whose nodes are full: the call overflows to
// "slow", where it misses the target on every node. It still packs: the fuller "slow" node,
// not the idle one (which would be a little faster, and one more host running). Only a node
// whose load or queue would stretch the call past twice its class's own median is passed
// over for the idle one.
TEST_F(LearnedPolicyTest, EfficiencyOverflowingPastItsTargetStillPacksTheFullestNode) {
  LearnedPolicy p(Objective::kEfficiency, Greedy());
  Teach(p, "crypto", fast_, 20, 5);
  // Load-sensitive: 1.6x as long on a node whose CPU is fully held by others.
  TeachAloneAndBusy(p, "crypto", slow_, 200, 330, 20);
  index_.SetAllocated("fast0", {0, 4000});
  index_.SetAllocated("fast1", {0, 4000});
  index_.SetAllocated("slow0", {0, 1000});
  auto d = p.Decide(Req("crypto"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "slow0");
  // Eight calls in flight on slow0's four cores: a call there would wait a whole run.
  index_.SetUsage("slow0", {0, 1000}, 8);
  d = p.Decide(Req("crypto"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "slow1");
}

// "f" is fastest on "fast", whose nodes are full, and meets its default target (twice that
// median) on an idle "slow" node, but not on slow0, whose load stretches it a little. slow0 is
// running: efficiency packs it there rather than start slow1 (one more host running for a call
// that would make its target only on an empty one). A manifest that declares the target keeps
// it: that call starts slow1. So does a call that would miss it on slow0 by more than a
// quarter.
TEST_F(LearnedPolicyTest, EfficiencyPacksARunningHostBeforeStartingOneUnlessTheTargetIsDeclared) {
  LearnedPolicy p(Objective::kEfficiency, Greedy());
  Teach(p, "f", fast_, 20, 10);
  // Load-sensitive on "slow": 30 ms alone, 90 ms on a node whose CPU is fully held by others.
  TeachAloneAndBusy(p, "f", slow_, 30, 90, 20);
  index_.SetAllocated("fast0", {0, 4000});
  index_.SetAllocated("fast1", {0, 4000});
  index_.SetAllocated("slow0", {0, 2000});  // about 43 ms expected there: over 40, under 50
  auto d = p.Decide(Req("f"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "slow0") << "the running host, not a new one";
  // A p95 of at most 100 ms: slow1 keeps it (its runs' p95, about 90 ms), slow0 does not.
  PlacementRequest declared = Req("f");
  declared.function.latency_target_ms = 100;
  d = p.Decide(declared, index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "slow1") << "a declared target starts a host";
  // Busier, its four cores taken (the call would queue): about 62 ms, a miss by over a quarter.
  index_.SetUsage("slow0", {0, 3000}, 4);
  d = p.Decide(Req("f"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "slow1") << "too far past the target to save a host";
  // Once slow1 runs something too (a little: it still meets the default target there), the
  // call goes where it meets it.
  index_.SetAllocated("slow1", {0, 200});
  d = p.Decide(Req("f"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "slow1");
}

// "crypto" prefers AES-NI and has run 2,000 times on "fast" only, where fast0 is full. "big"
// (16 cores, packed first) lacks AES-NI and has never run it: expected 4x slower there, past
// the default target. Exploring, a function that busy would try "big" (what it may save over
// its next calls is worth the risk); efficiency does not explore: it starts fast1, where the
// call is expected to meet its target, and does so even when a "big" node is running already
// (a try there keeps that host running for a call expected to miss).
TEST_F(LearnedPolicyTest, EfficiencyDecidesOnTheMeansWhereExplorationWouldTryAnotherClass) {
  AddBigClass({"sse4_2"});
  LearnedPolicy p(Objective::kEfficiency);  // exploration at its default scale, 1
  PlacementRequest crypto = Req("crypto");
  crypto.function.preferred_features = {"aes", "avx2"};
  ASSERT_TRUE(p.Decide(crypto, index_).ok());
  Teach(p, "crypto", fast_, 30, 2000);
  index_.SetAllocated("fast0", {0, 4000});
  auto d = p.Decide(crypto, index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "fast1");
  EXPECT_FALSE(d->explored);
  index_.SetUsage("big0", {0, 2000}, 1);
  d = p.Decide(crypto, index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "fast1");
  EXPECT_FALSE(d->explored);
}

// "crypto" meets its target only on "fast", whose nodes are full, and misses it on "slow"
// and on "big" (16 cores, packed first) alike. The overflow keeps the packing order: big0,
// already busy, though "slow" is expected a little faster (where it was drawn before, onto
// idle hosts of a smaller class).
TEST_F(LearnedPolicyTest, EfficiencyOverflowsInThePackingOrderNotToTheFastestClass) {
  const HostClassInfo big = AddBigClass({"avx2"});
  LearnedPolicy p(Objective::kEfficiency, Greedy());
  Teach(p, "crypto", fast_, 20, 10);
  Teach(p, "crypto", slow_, 60, 10);
  Teach(p, "crypto", big, 70, 10);
  index_.SetAllocated("fast0", {0, 4000});
  index_.SetAllocated("fast1", {0, 4000});
  index_.SetAllocated("big0", {0, 4000});
  const auto d = p.Decide(Req("crypto"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "big0") << "the busy node of the class packed first";
}

// "fast" has failed (its nodes unhealthy): it runs "f" in 100 ms but can take no call. Judged
// against it, slow0, running already, misses the default target (300 ms against 2x 100) and
// an idle "big" node (180 ms) would be started; judged against "big", the best class that can
// run the call, slow0 meets it and no host is started.
TEST_F(LearnedPolicyTest, EfficiencysTargetComesFromAClassThatCanTakeTheCall) {
  const HostClassInfo big = AddBigClass({"avx2"});
  LearnedPolicy p(Objective::kEfficiency, Greedy());
  Teach(p, "f", fast_, 100, 10);
  Teach(p, "f", slow_, 300, 10);
  Teach(p, "f", big, 180, 10);
  index_.SetHealthy("fast0", false);
  index_.SetHealthy("fast1", false);
  index_.SetUsage("slow0", {0, 1000}, 1);
  const auto d = p.Decide(Req("f"), index_);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->node_id, "slow0");
}

// A cold start is no reason to leave the class efficiency packs first: a warm instance on a
// slower class would keep a host running for one function. Within the class, a warm node wins.
TEST_F(LearnedPolicyTest, EfficiencyPacksThroughAColdStartAndPrefersAWarmNodeInTheClass) {
  LearnedPolicy p(Objective::kEfficiency, Greedy());
  Teach(p, "lambda", fast_, 40, 10);
  Teach(p, "lambda", slow_, 60, 10);
  RunObservation cold = RunOn("lambda", fast_, 40);
  cold.cold_start_init_ms = 300;
  p.Observe(cold);
  index_.SetAllocated("fast0", {0, 1000});
  PlacementRequest req = Req("lambda");
  req.warm_node_ids = {"slow1"};
  auto d = p.Decide(req, index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "fast0") << "cold on the packed class, its fullest node";
  req.warm_node_ids = {"slow1", "fast1"};
  d = p.Decide(req, index_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "fast1") << "warm before fuller within the class";
}

// A successful run of "f" on `node` of `cls` that took `wall_ms`, all of it on the CPU.
RunObservation NodeRun(const HostClassInfo& cls, const std::string& node, double wall_ms) {
  RunObservation o;
  o.function = "f";
  o.node_id = node;
  o.host_class = cls.name;
  o.class_features = HostFeatureVector(cls);
  o.wall_ms = wall_ms;
  o.cpu_ms = wall_ms;
  o.peak_memory_bytes = 64ull << 20;
  o.succeeded = true;
  return o;
}

// Round `round`'s spread of run times: 0.9 .. 1.1, in a cycle of five.
double Jitter(int round) { return 1 + 0.1 * ((round % 5) - 2) / 2; }

// Class "x": four nodes, "x0" of them a straggler that runs everything 3x slower; class "y":
// four nodes, 2x slower than x's normal ones. Decisions keep off x0 (though it is the least
// loaded), and x's prediction is its normal nodes' duration, not a blend with the straggler's.
// "rare" ran on both classes before eight busy functions did, and is faster on "fast"; then
// "fast" becomes three times slower for everyone, which only the busy functions' runs show.
TEST_F(LearnedPolicyTest, AClassThatSlowsForEveryoneLosesAFunctionThatLastRanThereLongAgo) {
  LearnedPolicy p(Objective::kPerformance, Greedy());
  Teach(p, "rare", fast_, 50, 3);
  Teach(p, "rare", slow_, 70, 3);
  auto teach_busy = [&](double fast_factor, int rounds) {
    for (int r = 0; r < rounds; ++r) {
      for (int i = 0; i < 8; ++i) {
        const std::string fn = "busy" + std::to_string(i);
        const double ms = 40.0 + 5.0 * i + (r % 3);
        Teach(p, fn, fast_, ms * fast_factor, 1);
        Teach(p, fn, slow_, ms * 1.4, 1);
      }
    }
  };
  // More runs than a class's shift window: the next window starts with every busy function.
  teach_busy(1.0, static_cast<int>(DurationModel::kMaxShiftWindowRuns) / 8 + 8);
  auto before = p.Decide(Req("rare"), index_);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(index_.Find(before->node_id)->host_class, "fast");
  teach_busy(3.0, 40);
  ASSERT_GE(p.model().class_shifts(), 1u);
  auto after = p.Decide(Req("rare"), index_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(index_.Find(after->node_id)->host_class, "slow")
      << "predicted " << after->predicted_duration_ms << " ms";
}

TEST(LearnedPolicyStragglerTest, AStragglerIsPassedOverAndDoesNotSlowItsClassDown) {
  const HostClassInfo x = TestClass("x", {"aes"}), y = TestClass("y", {});
  ClusterIndex index;
  for (const auto* cls : {&x, &y}) {
    for (int i = 0; i < 4; ++i) {
      index.Upsert(NodeOfClass(*cls, cls->name + std::to_string(i), {16ull << 30, 4000}), *cls);
    }
  }
  for (const char* busy : {"x1", "x2", "x3"}) index.SetAllocated(busy, {1ull << 30, 1000});
  LearnedPolicy p(Objective::kPerformance, Greedy());
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 4; ++i) {
      for (const auto* cls : {&x, &y}) {
        const double ms = cls == &x ? (i == 0 ? 300 : 100) : 200;
        p.Observe(NodeRun(*cls, cls->name + std::to_string(i), ms * Jitter(round)));
      }
    }
  }
  PlacementRequest req;
  req.function.name = "f";
  req.function.memory_hint_bytes = 64 << 20;
  const auto d = p.Decide(req, index);
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->node_id, "x0");
  EXPECT_EQ(index.Find(d->node_id)->host_class, "x");
  EXPECT_NEAR(d->predicted_duration_ms, 100, 15) << "the straggler's runs blended in: ~144";
  const auto straggler = std::find_if(d->candidates.begin(), d->candidates.end(),
                                      [](const CandidateScore& c) { return c.node_id == "x0"; });
  ASSERT_NE(straggler, d->candidates.end());
  const auto apart =
      std::find_if(straggler->terms.begin(), straggler->terms.end(),
                   [](const auto& t) { return std::string_view(t.name) == "node_apart_log"; });
  ASSERT_NE(apart, straggler->terms.end());
  EXPECT_NEAR(apart->value, std::log(3.0), 0.2);

  // What was learned of the nodes survives a restart.
  LearnedPolicy restored(Objective::kPerformance, Greedy());
  ASSERT_TRUE(restored.RestoreState(p.SaveState()).ok());
  const auto again = restored.Decide(req, index);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->node_id, "x0");
}

// Idle nodes of a class score alike (the policy reuses the last node's score when nothing it
// reads differs), but a straggler walked between them is scored as itself, and so is the node
// after it.
TEST(LearnedPolicyStragglerTest, IdleNodesScoreAlikeAndAStragglerAmongThemApart) {
  const HostClassInfo x = TestClass("x", {"aes"});
  ClusterIndex index;
  for (int i = 0; i < 4; ++i) {
    index.Upsert(NodeOfClass(x, "x" + std::to_string(i), {16ull << 30, 4000}), x);
  }
  LearnedPolicy p(Objective::kPerformance, Greedy());
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 4; ++i) {
      p.Observe(NodeRun(x, "x" + std::to_string(i), (i == 1 ? 300 : 100) * Jitter(round)));
    }
  }
  PlacementRequest req;
  req.function.name = "f";
  req.function.memory_hint_bytes = 64 << 20;
  req.score_every_node = true;
  const auto d = p.Decide(req, index);
  ASSERT_TRUE(d.ok());
  std::map<std::string, double> score;
  for (const auto& c : d->candidates) score[c.node_id] = c.score;
  ASSERT_EQ(score.size(), 4u);
  EXPECT_GT(score["x1"], 2 * score["x0"]) << "the straggler, 3x slower";
  EXPECT_EQ(score["x2"], score["x0"]);
  EXPECT_EQ(score["x3"], score["x0"]);
  EXPECT_NE(d->node_id, "x1");
}

}  // namespace
}  // namespace tailor::models
