#include "scheduler/placer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "scheduler/run_intake.h"
#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::MakeBundle;
using testing::NodeWith;

using testing::kGiB;

class PlacerTest : public testing::SchedulerDbTest {
 protected:
  void SetUp() override {
    SchedulerDbTest::SetUp();
    functions_ = FunctionRegistry::Open(db_path_, dir_.File("data"), {}, clock_).value();
    // 1 GiB memory hint, 60 s timeout.
    ASSERT_TRUE(functions_
                    ->Deploy("default",
                             MakeBundle(dir_, "big", "1",
                                        "memory_hint_bytes = 1073741824\n"
                                        "timeout_ms = 60000\n"),
                             "")
                    .ok());
    auto p = Placer::Create({}, nodes_, *functions_, clock_);
    ASSERT_TRUE(p.ok());
    placer_ = std::move(p).value();
  }
  Result<Placement> Place(const std::string& fn = "big") {
    PlaceInput in;
    in.function_name = fn;
    return placer_->Place(in);
  }

  NodeRegistry nodes_{NodeRegistry::Options{}, clock_, nullptr};
  std::unique_ptr<FunctionRegistry> functions_;
  std::unique_ptr<Placer> placer_;
};

TEST_F(PlacerTest, ReservesCapacityAndNeverPicksAFullNode) {
  ASSERT_TRUE(nodes_.Register(NodeWith("small", 2, 2 * kGiB)).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("large", 4, 3 * kGiB)).ok());
  std::map<std::string, int> placed;
  std::vector<std::string> decisions;
  for (int i = 0; i < 5; ++i) {
    auto p = Place();
    ASSERT_TRUE(p.ok()) << i << ": " << p.status();
    EXPECT_EQ(p->allocation.memory_limit_bytes(), kGiB);
    EXPECT_EQ(p->allocation.cpu_millicores(), 1000u);
    ++placed[p->node_id];
    decisions.push_back(p->decision_id);
  }
  // 2 GiB + 3 GiB of memory: exactly five 1 GiB invocations fit, two on small, three on large.
  EXPECT_EQ(placed["small"], 2);
  EXPECT_EQ(placed["large"], 3);
  EXPECT_EQ(placer_->Held("large").memory_bytes, 3 * kGiB);
  auto full = Place();
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(full.status().reason(), ErrorReason::kNoCapacity);
  EXPECT_THAT(full.status().message(), HasSubstr("2 memory full"));
  // A finished run frees its share; releasing twice is harmless.
  placer_->Release(decisions[0]);
  placer_->Release(decisions[0]);
  EXPECT_TRUE(Place().ok());
  EXPECT_FALSE(Place().ok());
}

// An agent's heartbeat saying it keeps idle instances of `function` (version 1) holding
// `idle_bytes` of memory.
v1::HeartbeatRequest WarmHeartbeat(const std::string& node, const std::string& function,
                                   uint64_t idle_bytes) {
  v1::HeartbeatRequest hb;
  hb.set_node_id(node);
  auto* w = hb.mutable_load()->add_warm_functions();
  w->set_function_name(function);
  w->set_function_version("1");
  w->set_idle_instances(1);
  hb.mutable_load()->set_warm_idle_memory_bytes(idle_bytes);
  return hb;
}

TEST_F(PlacerTest, ACallGoesWhereItsFunctionIsWarmAndIdleInstancesHoldTheirMemory) {
  ASSERT_TRUE(nodes_.Register(NodeWith("a", 2, 4 * kGiB)).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("b", 2, 4 * kGiB)).ok());
  // b holds an idle instance of big: the call goes there, though a is as idle.
  ASSERT_TRUE(nodes_.Heartbeat(WarmHeartbeat("b", "big", kGiB)).ok());
  auto warm = Place();
  ASSERT_TRUE(warm.ok()) << warm.status();
  EXPECT_EQ(warm->node_id, "b");
  // That instance is taken now: the next call has no warm node and goes to the least loaded.
  auto next = Place();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->node_id, "a");
  // Idle instances of another function hold 3.5 GiB of a's 4: no room for a 1 GiB call there,
  // and the reason says why.
  ASSERT_TRUE(nodes_.Heartbeat(WarmHeartbeat("a", "other", 3 * kGiB + kGiB / 2)).ok());
  placer_->Release(next->decision_id);
  auto full = Place();
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->node_id, "b");
  auto explained = placer_->Explain(full->decision_id);
  ASSERT_TRUE(explained.ok());
  EXPECT_THAT(explained->DebugString(), HasSubstr("idle warm instances"));
}

TEST_F(PlacerTest, ACallWaitsForARunSlotOnlyBeyondTheRunsTheAgentStartsAtOnce) {
  ASSERT_TRUE(nodes_.Register(NodeWith("a", 8, 16 * kGiB)).ok());
  // Three runs on "a"; the queue_ms term of the decision, by what the agent says it starts.
  auto queue_ms_with = [&](uint32_t max_concurrent_runs) -> double {
    v1::HeartbeatRequest hb;
    hb.set_node_id("a");
    hb.mutable_load()->set_running_invocations(3);
    hb.mutable_load()->set_max_concurrent_runs(max_concurrent_runs);
    EXPECT_TRUE(nodes_.Heartbeat(hb).ok());
    auto placed = Place();
    EXPECT_TRUE(placed.ok()) << placed.status();
    if (!placed.ok()) return -1;
    auto explained = placer_->Explain(placed->decision_id);
    placer_->Release(placed->decision_id);
    EXPECT_TRUE(explained.ok());
    if (!explained.ok() || explained->candidates_size() != 1) return -1;
    const auto& terms = explained->candidates(0).terms();
    return terms.contains("queue_ms") ? terms.at("queue_ms") : -1;
  };
  EXPECT_GT(queue_ms_with(2), 0) << "two at once, three running: a call waits";
  EXPECT_EQ(queue_ms_with(8), 0);
  EXPECT_EQ(queue_ms_with(0), 0) << "not said: one per core (8)";
}

TEST_F(PlacerTest, UnhealthyNodesAndMissingFeaturesAreNeverChosen) {
  ASSERT_TRUE(nodes_.Register(NodeWith("old", 8, 64 * kGiB, {"sse2"})).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("new", 8, 64 * kGiB, {"aes", "avx512f"})).ok());
  PlaceInput in;
  in.function_name = "big";
  in.required_features = {"aes"};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(placer_->Place(in)->node_id, "new");
  // "new" misses its heartbeats; only "old" keeps its lease.
  clock_.Advance(3s);
  ASSERT_TRUE(nodes_
                  .Heartbeat([] {
                    v1::HeartbeatRequest h;
                    h.set_node_id("old");
                    return h;
                  }())
                  .ok());
  clock_.Advance(3s);
  nodes_.Sweep();
  auto none = placer_->Place(in);
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable) << "the unhealthy one may return";
  EXPECT_THAT(none.status().message(), HasSubstr("1 lacks aes"));
  EXPECT_THAT(none.status().message(), HasSubstr("1 unhealthy"));
  in.required_features.clear();
  EXPECT_EQ(placer_->Place(in)->node_id, "old");
}

TEST_F(PlacerTest, AManifestsPreferredFeaturesGuideANewFunctionsFirstCalls) {
  // "wide" has more of the features the models know; "aes" has AES-NI alone.
  ASSERT_TRUE(nodes_.Register(NodeWith("wide", 8, 64 * kGiB, {"avx2", "bmi2", "fma"})).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("aes", 8, 64 * kGiB, {"aes"})).ok());
  ASSERT_TRUE(
      functions_->Deploy("default", MakeBundle(dir_, "crypto", "1", "prefers = ['aes']\n"), "")
          .ok());
  ASSERT_TRUE(functions_->Deploy("default", MakeBundle(dir_, "plain", "1"), "").ok());
  // A fresh placer reads the deployed functions as they are now.
  placer_ = Placer::Create({}, nodes_, *functions_, clock_).value();
  EXPECT_EQ(Place("crypto")->node_id, "aes");
  EXPECT_EQ(Place("plain")->node_id, "wide");
}

TEST_F(PlacerTest, UnderOverloadACallerThatWaitsIsKeptForTheBestClassWithARetryHint) {
  // "crypto" runs 100 ms on "fast" (AES-NI, one core) and 300 ms on "slow" (five cores).
  ASSERT_TRUE(nodes_.Register(NodeWith("fast", 1, 64 * kGiB, {"aes"})).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("slow", 5, 64 * kGiB, {"avx2"})).ok());
  ASSERT_TRUE(
      functions_->Deploy("default", MakeBundle(dir_, "crypto", "1", "prefers = ['aes']\n"), "")
          .ok());
  placer_ = Placer::Create({}, nodes_, *functions_, clock_).value();
  auto runs_db = SqliteDb::Open(db_path_);
  ASSERT_TRUE(runs_db.ok());
  RunStore runs(**runs_db, clock_);
  RunIntake intake(runs, nodes_, *placer_, clock_);
  for (int i = 0; i < 10; ++i) {
    const bool on_fast = i % 2 == 0;
    v1::RunReport r =
        testing::GoodReport("inv-" + std::to_string(i), "crypto", on_fast ? "fast" : "slow",
                            ToUnixMillis(clock_.WallNow()), on_fast ? 100'000 : 300'000);
    auto accepted = intake.Accept({&r});
    ASSERT_TRUE(accepted.ok() && (*accepted)[0].rejected.ok());
  }
  // An overload: "fast" full (two half-core calls), "slow" 80% held, with room for one more.
  for (int i = 0; i < 2; ++i) ASSERT_EQ(Place("crypto")->node_id, "fast");
  for (int i = 0; i < 4; ++i) ASSERT_EQ(Place("big")->node_id, "slow");
  PlaceInput waits;
  waits.function_name = "crypto";
  waits.caller_wait = models::PlacementRequest::CallerWait{.waited_ms = 0};
  auto kept = placer_->Place(waits);
  ASSERT_FALSE(kept.ok());
  EXPECT_EQ(kept.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(kept.status().reason(), ErrorReason::kNoCapacity);
  EXPECT_GT(kept.status().retry_after().count(), 0) << "when the wait stops being worth it";
  // A caller that does not wait (the gRPC Place) gets the room there is.
  EXPECT_EQ(Place("crypto")->node_id, "slow");
}

TEST_F(PlacerTest, WhatReportsTeachAboutClassesInGeneralReachesANewFunction) {
  // The hardware prior ranks "wide" (more features the models know) first; every function
  // reported runs three times as fast on "narrow".
  ASSERT_TRUE(nodes_.Register(NodeWith("wide", 8, 64 * kGiB, {"avx2", "bmi2", "fma"})).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("narrow", 8, 64 * kGiB, {"avx2"})).ok());
  ASSERT_TRUE(functions_->Deploy("default", MakeBundle(dir_, "fresh", "1"), "").ok());
  placer_ = Placer::Create({}, nodes_, *functions_, clock_).value();
  ASSERT_EQ(Place("fresh")->node_id, "wide");
  auto runs_db = SqliteDb::Open(db_path_);
  ASSERT_TRUE(runs_db.ok());
  RunStore runs(**runs_db, clock_);
  RunIntake intake(runs, nodes_, *placer_, clock_);
  // 40 reports: the population is fitted with the factorization once 32 have come, in the
  // policies' deferred learning (Placer::Learn runs it off their locks and installs it).
  for (int i = 0; i < 40; ++i) {
    const std::string function = "fn-" + std::to_string(i % 4);
    const bool narrow = (i / 4) % 2 == 0;
    v1::RunReport r = testing::GoodReport(
        "inv-" + std::to_string(i), function, narrow ? "narrow" : "wide",
        ToUnixMillis(clock_.WallNow()), (narrow ? 100'000 : 300'000) * (1 + i % 4));
    auto accepted = intake.Accept({&r});
    ASSERT_TRUE(accepted.ok() && (*accepted)[0].rejected.ok());
  }
  EXPECT_EQ(Place("fresh")->node_id, "narrow");
}

TEST_F(PlacerTest, WhatThePoliciesLearnedIsSavedAPartAtATimeAndRestores) {
  // More functions than one part holds (Placer::kSaveFunctionsPerPart).
  const int functions = 2 * static_cast<int>(Placer::kSaveFunctionsPerPart) + 7;
  for (int i = 0; i < 3 * functions; ++i) {
    v1::RunReport r =
        testing::GoodReport("inv-" + std::to_string(i), "fn-" + std::to_string(i % functions), "n",
                            ToUnixMillis(clock_.WallNow()), 100'000 + 1'000 * i);
    placer_->Learn(r, i % 2 ? "class-a" : "class-b");
  }
  const std::map<std::string, std::string> states = placer_->SaveStates();
  ASSERT_EQ(states.size(), 1u) << "one state: the learned policies share performance's";
  EXPECT_TRUE(states.contains("performance"));
  auto restored = Placer::Create({}, nodes_, *functions_, clock_).value();
  for (const auto& [policy, state] : states) {
    ASSERT_TRUE(restored->RestoreState(policy, state).ok()) << policy;
  }
  EXPECT_TRUE(restored->SaveStates() == states);
}

TEST_F(PlacerTest, ReservationsOfUnreportedDecisionsExpireAfterTimeoutPlusGrace) {
  ASSERT_TRUE(nodes_.Register(NodeWith("n", 1, 1 * kGiB)).ok());
  // Time passes with the node heartbeating: only the reservation may expire.
  auto pass = [&](std::chrono::seconds d) {
    v1::HeartbeatRequest beat;
    beat.set_node_id("n");
    for (auto t = 0s; t < d; t += 1s) {
      clock_.Advance(1s);
      ASSERT_TRUE(nodes_.Heartbeat(beat).ok());
    }
    nodes_.Sweep();
    placer_->Sweep();
  };
  ASSERT_TRUE(Place().ok());
  EXPECT_FALSE(Place().ok());
  pass(60s + 29s);
  auto still_full = Place();
  EXPECT_THAT(still_full.status().message(), HasSubstr("memory full"))
      << "not before the timeout plus the 30 s grace";
  pass(2s);
  EXPECT_TRUE(Place().ok());
}

TEST_F(PlacerTest, ExplainShowsEveryCandidateAndUnknownIdsAreNotFound) {
  ASSERT_TRUE(nodes_.Register(NodeWith("a", 4, 8 * kGiB)).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("b", 4, 8 * kGiB, {"sse2"})).ok());
  PlaceInput in;
  in.function_name = "big";
  in.required_features = {"aes"};
  auto p = placer_->Place(in);
  ASSERT_TRUE(p.ok());
  auto e = placer_->Explain(p->decision_id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->chosen_node_id(), "a");
  EXPECT_EQ(e->policy(), "performance");
  ASSERT_EQ(e->candidates_size(), 2);
  for (const auto& c : e->candidates()) {
    if (c.node_id() == "a") {
      EXPECT_TRUE(c.eligible());
      EXPECT_TRUE(c.terms().contains("allocated_cpu_share"));
      EXPECT_FALSE(c.host_class().empty());
    } else {
      EXPECT_FALSE(c.eligible());
      EXPECT_EQ(c.reason(), "lacks aes");
    }
  }
  EXPECT_EQ(placer_->Explain("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Place("unknown").status().code(), StatusCode::kNotFound);
  in.policy = "clairvoyant";
  EXPECT_EQ(placer_->Place(in).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PlacerTest, ReportsAreIdempotentAndFreeTheirDecision) {
  ASSERT_TRUE(nodes_.Register(NodeWith("n", 1, 1 * kGiB)).ok());
  auto runs_db = SqliteDb::Open(db_path_);
  ASSERT_TRUE(runs_db.ok());
  RunStore runs(**runs_db, clock_);
  RunIntake intake(runs, nodes_, *placer_, clock_);
  int learned = 0;
  intake.SetLagHook([&](double, const v1::RunReport&) { ++learned; });
  auto p = Place();
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(Place().ok());
  v1::RunReport r = testing::GoodReport("inv-1", "big", "n", ToUnixMillis(clock_.WallNow()), 1000);
  r.set_decision_id(p->decision_id);
  auto first = intake.Accept({&r});
  auto second = intake.Accept({&r});
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE((*first)[0].rejected.ok()) << (*first)[0].rejected;
  EXPECT_TRUE((*first)[0].fresh);
  EXPECT_FALSE((*second)[0].fresh);
  EXPECT_EQ(*runs.Count(), 1u);
  EXPECT_EQ(learned, 1) << "a replayed report is not learned twice";
  EXPECT_TRUE(Place().ok()) << "the report freed the decision's capacity";
  auto stored = runs.RunsOf("big", 10);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_FALSE((*stored)[0].host_class.empty());
  v1::RunReport bad;
  bad.set_function_name("big");
  auto refused = intake.Accept({&bad});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ((*refused)[0].rejected.code(), StatusCode::kInvalidArgument);
}

TEST_F(PlacerTest, ADrainingNodeTakesNoPlacementsAndARemovedOneIsForgottenWithItsReservations) {
  ASSERT_TRUE(nodes_.Register(NodeWith("a", 4, 8 * kGiB)).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("b", 4, 8 * kGiB)).ok());
  ASSERT_TRUE(nodes_.SetDraining("a", true).ok());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Place()->node_id, "b");
  ASSERT_TRUE(nodes_.SetDraining("b", true).ok());
  auto none = Place();
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(none.status().message(), HasSubstr("2 draining"));
  ASSERT_TRUE(nodes_.SetDraining("a", false).ok());
  EXPECT_EQ(Place()->node_id, "a");
  ASSERT_TRUE(nodes_.Register(NodeWith("a", 4, 8 * kGiB)).ok());
  EXPECT_EQ(nodes_.Get("b")->draining(), true) << "registering again keeps a drain";

  EXPECT_EQ(placer_->Held("b").memory_bytes, 4 * kGiB);
  ASSERT_TRUE(nodes_.Deregister("b").ok());
  EXPECT_EQ(placer_->DropReservationsOf("b"), 4u);
  EXPECT_EQ(nodes_.Get("b").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(nodes_.List().size(), 1u);
  EXPECT_EQ(nodes_.Deregister("b").code(), StatusCode::kNotFound);
  ASSERT_TRUE(nodes_.Deregister("a").ok());
  EXPECT_EQ(Place().status().code(), StatusCode::kUnavailable) << "no nodes at all";
}

TEST_F(PlacerTest, AnIdempotencyKeyReplaysTheDecisionWithoutASecondReservation) {
  ASSERT_TRUE(nodes_.Register(NodeWith("n", 4, 8 * kGiB)).ok());
  PlaceInput in;
  in.function_name = "big";
  in.idempotency_key = "req-1";
  auto first = placer_->Place(in);
  auto again = placer_->Place(in);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_FALSE(first->replayed);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->decision_id, first->decision_id);
  EXPECT_EQ(placer_->Held("n").memory_bytes, kGiB) << "one reservation, not two";
  in.idempotency_key = "req-2";
  EXPECT_NE(placer_->Place(in)->decision_id, first->decision_id);
  EXPECT_EQ(placer_->Held("n").memory_bytes, 2 * kGiB);
}

TEST_F(PlacerTest, CancellingGivesTheReservationBackOnceAndTeachesNothing) {
  ASSERT_TRUE(nodes_.Register(NodeWith("n", 1, 1 * kGiB)).ok());
  auto p = Place();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Place().status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(placer_->Release(p->decision_id));
  EXPECT_FALSE(placer_->Release(p->decision_id)) << "nothing held the second time";
  EXPECT_TRUE(Place().ok());
  auto listed = placer_->ListDecisions(10, "");
  for (const auto& d : listed.decisions()) EXPECT_FALSE(d.reported());
}

TEST_F(PlacerTest, OnlyDecisionIdsThisSchedulerIssuedForTheSameRunAreTrusted) {
  ASSERT_TRUE(nodes_.Register(NodeWith("a", 4, 8 * kGiB)).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("b", 4, 8 * kGiB)).ok());
  ASSERT_TRUE(functions_->Deploy("default", MakeBundle(dir_, "other", "1"), "").ok());
  auto p = Place();
  ASSERT_TRUE(p.ok());
  v1::RunReport r = testing::GoodReport("i1", "big", p->node_id, 1'700'000'000'000);
  r.set_decision_id(p->decision_id);
  EXPECT_TRUE(placer_->CheckReportDecision(r).ok());
  v1::RunReport other_node = r;
  other_node.set_node_id(p->node_id == "a" ? "b" : "a");
  EXPECT_EQ(placer_->CheckReportDecision(other_node).field(), "report.decision_id");
  v1::RunReport other_function = r;
  other_function.set_function_name("other");
  EXPECT_EQ(placer_->CheckReportDecision(other_function).code(), StatusCode::kInvalidArgument);
  v1::RunReport forged = r;
  forged.set_decision_id(std::string(32, 'a') + "-" + std::string(16, 'b'));
  EXPECT_THAT(placer_->CheckReportDecision(forged).message(), HasSubstr("not issued"));
}

TEST_F(PlacerTest, DecisionIdsStayTrustedAcrossARestartWithTheSameKeyOnly) {
  auto make = [&](NodeRegistry& nodes, const std::string& key) {
    Placer::Options options;
    options.decision_key = key;
    return Placer::Create(options, nodes, *functions_, clock_).value();
  };
  NodeRegistry before_nodes(NodeRegistry::Options{}, clock_, nullptr);
  ASSERT_TRUE(before_nodes.Register(NodeWith("n", 4, 8 * kGiB)).ok());
  auto before = make(before_nodes, "the-key");
  PlaceInput in;
  in.function_name = "big";
  auto p = before->Place(in);
  ASSERT_TRUE(p.ok());
  v1::RunReport r = testing::GoodReport("i1", "big", "n", 1'700'000'000'000);
  r.set_decision_id(p->decision_id);
  NodeRegistry after_nodes(NodeRegistry::Options{}, clock_, nullptr);
  EXPECT_TRUE(make(after_nodes, "the-key")->CheckReportDecision(r).ok())
      << "a restarted scheduler no longer keeps the decision, but knows it issued it";
  NodeRegistry other_nodes(NodeRegistry::Options{}, clock_, nullptr);
  EXPECT_FALSE(make(other_nodes, "another-key")->CheckReportDecision(r).ok());
}

TEST_F(PlacerTest, TheRecommendedAllocationIsWhatPlaceGives) {
  ASSERT_TRUE(nodes_.Register(NodeWith("n", 4, 8 * kGiB)).ok());
  auto advice = placer_->Advise("big");
  auto p = Place();
  ASSERT_TRUE(advice.ok() && p.ok());
  EXPECT_EQ(advice->memory_limit_bytes(), p->allocation.memory_limit_bytes());
  EXPECT_EQ(advice->cpu_millicores(), p->allocation.cpu_millicores());
  EXPECT_EQ(placer_->Advise("unknown").status().code(), StatusCode::kNotFound);
}

// Places, releases, cancellations, heartbeats and drains from several threads at once: the
// capacity ledger ends exact (nothing held once every decision is given back) and no decision
// ever lands on a node without room. Run under TSan by scripts/test --sanitize=thread.
TEST_F(PlacerTest, ConcurrentPlacesReleasesAndNodeChangesKeepTheLedgerExact) {
  ASSERT_TRUE(nodes_.Register(NodeWith("a", 8, 4 * kGiB)).ok());
  ASSERT_TRUE(nodes_.Register(NodeWith("b", 8, 4 * kGiB)).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> placed{0}, over_capacity{0};
  std::vector<std::thread> placers;
  for (int t = 0; t < 4; ++t) {
    placers.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        PlaceInput in;
        in.function_name = "big";
        if (i % 3 == 0) in.idempotency_key = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto p = placer_->Place(in);
        if (!p.ok()) continue;
        ++placed;
        if (placer_->Held(p->node_id).memory_bytes > 4 * kGiB) ++over_capacity;
        placer_->Release(p->decision_id);
      }
    });
  }
  std::thread churn([&] {
    v1::HeartbeatRequest beat;
    for (int i = 0; !stop; ++i) {
      beat.set_node_id(i % 2 ? "a" : "b");
      (void)nodes_.Heartbeat(beat);
      (void)nodes_.SetDraining("b", i % 4 == 0);
      (void)nodes_.List();
    }
  });
  for (auto& t : placers) t.join();
  stop = true;
  churn.join();
  EXPECT_GT(placed.load(), 100);
  EXPECT_EQ(over_capacity.load(), 0);
  EXPECT_EQ(placer_->Held("a").memory_bytes, 0u);
  EXPECT_EQ(placer_->Held("b").memory_bytes, 0u);
  EXPECT_EQ(placer_->Held("a").cpu_millicores, 0u);
}

}  // namespace
}  // namespace tailor::scheduler
