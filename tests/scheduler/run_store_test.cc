#include "scheduler/run_store.h"

#include <gtest/gtest.h>

#include "scheduler/function_profile.h"
#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

using namespace std::chrono_literals;

class RunStoreTest : public testing::SchedulerDbTest {
 protected:
  v1::RunReport Run(int i, int64_t wall_ms, uint64_t peak, bool ok = true) {
    v1::RunReport r;
    r.set_invocation_id("inv-" + std::to_string(i));
    r.set_function_name("f");
    r.set_node_id("n");
    r.set_wall_time_us(wall_ms * 1000);
    r.set_user_cpu_us(wall_ms * 500);
    r.set_peak_memory_bytes(peak);
    r.set_end_unix_ms(1000 + i);
    r.set_outcome(ok ? v1::RUN_OUTCOME_SUCCEEDED : v1::RUN_OUTCOME_FUNCTION_ERROR);
    r.set_oom_killed(!ok);
    r.mutable_allocation()->set_memory_limit_bytes(uint64_t(i) << 21);
    return r;
  }
};

TEST_F(RunStoreTest, KeepsAtMostMaxRunsDroppingTheOldest) {
  auto db = SqliteDb::Open(db_path_);
  RunStore store(**db, clock_, RunStore::Options{.max_runs = 100});
  for (int i = 0; i < 250; ++i) {
    auto r = Run(i, 10, 1 << 20);
    clock_.Advance(1ms);
    ASSERT_TRUE(store.Insert({{&r, "c"}}).ok());
  }
  EXPECT_LE(*store.Count(), 101u);
  EXPECT_GE(*store.Count(), 100u);
  auto newest = store.RunsOf("f", 1);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].report.invocation_id(), "inv-249");
}

TEST_F(RunStoreTest, ProfileHasQuantilesPerClassAndTheAllocationUsedThere) {
  auto db = SqliteDb::Open(db_path_);
  RunStore store(**db, clock_);
  std::vector<v1::RunReport> runs;
  for (int i = 1; i <= 100; ++i) runs.push_back(Run(i, i, uint64_t(i) << 20));
  runs.push_back(Run(101, 5, 200ull << 20, /*ok=*/false));  // an OOM kill on class "slow"
  std::vector<RunStore::Incoming> in;
  for (size_t i = 0; i < runs.size(); ++i) in.push_back({&runs[i], i < 100 ? "fast" : "slow"});
  ASSERT_TRUE(store.Insert(in).ok());
  auto p = ComputeProfile("f", *store.RunsOf("f", 1000));
  EXPECT_EQ(p.runs(), 101u);
  ASSERT_EQ(p.classes_size(), 2);
  const auto& fast = p.classes(0);
  EXPECT_EQ(fast.host_class(), "fast");
  EXPECT_DOUBLE_EQ(fast.duration_p50_ms(), 50);
  EXPECT_DOUBLE_EQ(fast.duration_p95_ms(), 95);
  EXPECT_DOUBLE_EQ(fast.duration_p99_ms(), 99);
  EXPECT_NEAR(fast.cpu_per_wall(), 0.5, 1e-9);
  EXPECT_EQ(fast.peak_memory_p95_bytes(), 95ull << 20);
  EXPECT_EQ(p.classes(1).oom_kills(), 1u);
  EXPECT_EQ(p.classes(1).failures(), 1u);
  // The newest run of each class (RunsOf returns newest first): run 100 on "fast".
  EXPECT_EQ(fast.allocation_used().memory_limit_bytes(), 100ull << 21);
  EXPECT_EQ(p.classes(1).allocation_used().memory_limit_bytes(), 101ull << 21);
  EXPECT_FALSE(p.has_recommended_allocation()) << "the placer's advice, not computed here";
}

}  // namespace
}  // namespace tailor::scheduler
