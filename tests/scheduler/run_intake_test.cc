// What a run report must be to be stored and learned from, and what one absurd report can no
// longer do: make a function unplaceable, or give it an allocation no node has.
#include "scheduler/run_intake.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <thread>

#include "models/learned_policy.h"
#include "models/policy_table.h"
#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

using testing::GoodReport;
using ::testing::HasSubstr;
using testing::MakeBundle;
using testing::NodeWith;

using testing::kGiB;

class RunIntakeTest : public testing::SchedulerDbTest {
 protected:
  void SetUp() override {
    SchedulerDbTest::SetUp();
    functions_ = FunctionRegistry::Open(db_path_, dir_.File("data"), {}, clock_).value();
    ASSERT_TRUE(functions_->Deploy("default", MakeBundle(dir_, "f", "1"), "").ok());
    placer_ = Placer::Create({}, nodes_, *functions_, clock_).value();
    db_ = SqliteDb::Open(db_path_).value();
    runs_ = std::make_unique<RunStore>(*db_, clock_);
    intake_ = std::make_unique<RunIntake>(*runs_, nodes_, *placer_, clock_);
    ASSERT_TRUE(nodes_.Register(NodeWith("n", 2, 8 * kGiB)).ok());
  }
  v1::RunReport Good(int i) {
    return GoodReport("inv-" + std::to_string(i), "f", "n", 1'700'000'000'000 + i * 100);
  }

  // What a restarted scheduler's policies would hold: `saved` restored into a new placer, then
  // the runs stored after `rowid` replayed (as SchedulerServer::RestoreModels does).
  std::map<std::string, std::string> StatesAfterRestart(
      const std::map<std::string, std::string>& saved, int64_t rowid) {
    NodeRegistry nodes(NodeRegistry::Options{}, clock_, nullptr);
    auto placer = Placer::Create({}, nodes, *functions_, clock_).value();
    EXPECT_TRUE(nodes.Register(NodeWith("n", 2, 8 * kGiB)).ok());
    for (const auto& [policy, state] : saved) {
      EXPECT_TRUE(placer->RestoreState(policy, state).ok()) << policy;
    }
    auto replayed = runs_->Recent(1000, rowid);
    EXPECT_TRUE(replayed.ok()) << replayed.status();
    for (const auto& run : *replayed) placer->Learn(run.report, run.host_class);
    return placer->SaveStates();
  }
  // How many runs of `f` each policy's saved state counts.
  static std::map<std::string, uint64_t> RunsCounted(
      const std::map<std::string, std::string>& states) {
    std::map<std::string, uint64_t> counted;
    for (const auto& [name, state] : states) {
      auto policy = models::MakePolicy(name, {});
      EXPECT_TRUE(policy.ok()) << policy.status();
      if (!policy.ok()) continue;
      EXPECT_TRUE((*policy)->RestoreState(state).ok()) << name;
      const auto* learned = dynamic_cast<const models::LearnedPolicy*>(policy->get());
      EXPECT_NE(learned, nullptr) << name;
      if (learned != nullptr) counted[name] = learned->model().Runs("f");
    }
    return counted;
  }
  static std::map<std::string, uint64_t> Each(const std::map<std::string, std::string>& states,
                                              uint64_t runs) {
    std::map<std::string, uint64_t> expected;
    for (const auto& [name, state] : states) expected[name] = runs;
    return expected;
  }
  void AcceptOne(int i) {
    v1::RunReport r = Good(i);
    r.set_wall_time_us(10'000 + 1'000 * (i % 7));  // each run moves what is learned
    ASSERT_TRUE(intake_->Accept({&r}).ok());
  }

  NodeRegistry nodes_{NodeRegistry::Options{}, clock_, nullptr};
  std::unique_ptr<FunctionRegistry> functions_;
  std::unique_ptr<Placer> placer_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<RunStore> runs_;
  std::unique_ptr<RunIntake> intake_;
};

TEST_F(RunIntakeTest, AbsurdReportsAreRejectedOneByOneAndTheRestOfTheBatchIsStored) {
  struct Case {
    const char* what;
    std::function<void(v1::RunReport&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"INT64_MAX CPU", [](auto& r) { r.set_user_cpu_us(std::numeric_limits<int64_t>::max()); },
       "report.user_cpu_us"},
      {"more CPU than wall x cores",
       [](auto& r) {
         r.set_wall_time_us(2'000'000);
         r.set_start_unix_ms(r.end_unix_ms() - 2000);
         r.set_user_cpu_us(6'000'000);  // three cores' worth on a two-core node
       },
       "report.user_cpu_us"},
      {"2^64-1 bytes of memory", [](auto& r) { r.set_peak_memory_bytes(UINT64_MAX); },
       "report.peak_memory_bytes"},
      {"1 TiB on an 8 GiB node", [](auto& r) { r.set_peak_memory_bytes(1ull << 40); },
       "report.peak_memory_bytes"},
      {"NaN load", [](auto& r) { r.mutable_node_load_at_start()->set_cpu_utilization(NAN); },
       "report.node_load_at_start.cpu_utilization"},
      {"outcome 99", [](auto& r) { r.set_outcome(static_cast<v1::RunOutcome>(99)); },
       "report.outcome"},
      {"end before start", [](auto& r) { r.set_end_unix_ms(r.start_unix_ms() - 1000); },
       "report.end_unix_ms"},
      {"an unknown node", [](auto& r) { r.set_node_id("ghost"); }, "report.node_id"},
      {"an unknown decision", [](auto& r) { r.set_decision_id("deadbeef"); }, "report.decision_id"},
  };
  std::vector<v1::RunReport> batch;
  for (size_t i = 0; i < cases.size(); ++i) {
    batch.push_back(Good(static_cast<int>(i)));
    cases[i].spoil(batch.back());
  }
  batch.push_back(Good(100));
  std::vector<const v1::RunReport*> pointers;
  for (const auto& r : batch) pointers.push_back(&r);
  auto verdicts = intake_->Accept(pointers);
  ASSERT_TRUE(verdicts.ok()) << verdicts.status();
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_FALSE((*verdicts)[i].rejected.ok()) << cases[i].what;
    EXPECT_EQ((*verdicts)[i].rejected.field(), cases[i].field)
        << cases[i].what << ": " << (*verdicts)[i].rejected;
  }
  EXPECT_TRUE(verdicts->back().rejected.ok()) << verdicts->back().rejected;
  EXPECT_TRUE(verdicts->back().fresh);
  EXPECT_EQ(*runs_->Count(), 1u) << "only the good report is stored";
}

// A peak as large as the node (possible: a platform that set no limit) must not make the
// function unplaceable: the advice stops at the largest node.
TEST_F(RunIntakeTest, OneHugeButPossiblePeakLeavesTheFunctionPlaceable) {
  v1::RunReport whole_node = Good(1);
  whole_node.set_peak_memory_bytes(8 * kGiB);  // no limit, all of the node
  auto v = intake_->Accept({&whole_node});
  ASSERT_TRUE(v.ok() && (*v)[0].rejected.ok());
  PlaceInput in;
  in.function_name = "f";
  auto p = placer_->Place(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_LE(p->allocation.memory_limit_bytes(), 8 * kGiB);
  EXPECT_LE(p->allocation.cpu_millicores(), 2000u);
  placer_->Release(p->decision_id);
  // Ordinary runs bring the advice back down.
  for (int i = 2; i < 80; ++i) {
    v1::RunReport r = Good(i);
    ASSERT_TRUE(intake_->Accept({&r}).ok());
  }
  auto after = placer_->Place(in);
  ASSERT_TRUE(after.ok());
  EXPECT_LT(after->allocation.memory_limit_bytes(), 1 * kGiB) << "64 MiB peaks: a sane limit";
}

TEST_F(RunIntakeTest, AReportOfARemovedNodeIsRefusedAndNotLearned) {
  int learned = 0;
  intake_->SetLagHook([&](double, const v1::RunReport&) { ++learned; });
  ASSERT_TRUE(nodes_.Deregister("n").ok());
  v1::RunReport r = Good(1);
  auto v = intake_->Accept({&r});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0].rejected.code(), StatusCode::kNotFound);
  EXPECT_THAT((*v)[0].rejected.message(), HasSubstr("not registered"));
  EXPECT_EQ(learned, 0);
}

// Reports keep arriving while the models are saved; a restart restores the save and replays the
// runs stored after its row id. Each run must count once: runs learned while the save was
// taken and also replayed would count twice.
TEST_F(RunIntakeTest, RunsReportedWhileTheModelsAreSavedCountOnceAfterARestart) {
  for (int i = 0; i < 10; ++i) AcceptOne(i);
  auto rowid = intake_->BeginModelSave();
  ASSERT_TRUE(rowid.ok()) << rowid.status();
  for (int i = 10; i < 20; ++i) AcceptOne(i);
  const std::map<std::string, std::string> saved = placer_->SaveStates();
  intake_->EndModelSave();
  for (int i = 20; i < 25; ++i) AcceptOne(i);

  ASSERT_FALSE(saved.empty());
  EXPECT_EQ(RunsCounted(saved), Each(saved, 10)) << "the runs stored before the save's point";
  EXPECT_EQ(runs_->Recent(1000, *rowid)->size(), 15u);
  EXPECT_EQ(RunsCounted(StatesAfterRestart(saved, *rowid)), Each(saved, 25));
  EXPECT_EQ(RunsCounted(placer_->SaveStates()), Each(saved, 25));
}

// A batch that is stored but not yet learned when a save starts: the save waits for it, so its
// runs are in the saved models and not replayed (rather than replayed nowhere and lost).
TEST_F(RunIntakeTest, AModelSaveWaitsForABatchStoredButNotYetLearned) {
  for (int i = 0; i < 5; ++i) AcceptOne(i);
  std::thread save;
  Result<int64_t> rowid = InternalError("no save");
  std::map<std::string, std::string> saved;
  std::atomic<bool> began = false;
  intake_->SetLagHook([&](double, const v1::RunReport& r) {
    if (r.invocation_id() != "inv-5") return;  // the first of the batch is learned, not the next
    save = std::thread([&] {
      rowid = intake_->BeginModelSave();
      began = true;
      saved = placer_->SaveStates();
      intake_->EndModelSave();
    });
    // Until the save waits for this batch (or, were it not to wait, has begun).
    while (!intake_->ModelSaveStarting() && !began) std::this_thread::yield();
  });
  std::vector<v1::RunReport> batch = {Good(5), Good(6)};
  batch[1].set_wall_time_us(30'000);
  ASSERT_TRUE(intake_->Accept({&batch[0], &batch[1]}).ok());
  save.join();
  ASSERT_TRUE(rowid.ok()) << rowid.status();

  EXPECT_TRUE(runs_->Recent(1000, *rowid)->empty()) << "both runs are before the save's point";
  ASSERT_FALSE(saved.empty());
  EXPECT_EQ(RunsCounted(saved), Each(saved, 7)) << "a run of the batch is missing";
  EXPECT_EQ(RunsCounted(StatesAfterRestart(saved, *rowid)), Each(saved, 7));
}

}  // namespace
}  // namespace tailor::scheduler
