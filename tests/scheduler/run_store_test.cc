#include "scheduler/run_store.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

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

// Holds the first group's commit until the test has queued more batches behind it, so that
// what happens to batches that arrive during a commit is seen, not raced.
class HeldCommit {
 public:
  explicit HeldCommit(RunStore& store) : store_(store) {
    store.SetCommitHook([this](size_t batches) {
      std::unique_lock lock(mu_);
      groups_.push_back(batches);
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    });
  }
  void WaitForFirstCommit() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  // Waits for `batches` to queue behind the first commit; then lets it go.
  void ReleaseWhenQueued(size_t batches) {
    while (store_.waiting() < batches) std::this_thread::yield();
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::vector<size_t> groups() {
    std::lock_guard lock(mu_);
    return groups_;
  }

 private:
  RunStore& store_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false, released_ = false;
  std::vector<size_t> groups_;
};

// Inserts `batches` into `store`, each from a thread of its own: the first alone, its commit
// held until the others have queued behind it. Returns each batch's verdicts, in order, and
// the number of batches in each group committed.
struct HeldInserts {
  std::vector<Result<std::vector<bool>>> verdicts;
  std::vector<size_t> groups;
};
HeldInserts InsertBehindAHeldCommit(RunStore& store,
                                    const std::vector<std::vector<RunStore::Incoming>>& batches) {
  HeldCommit held(store);
  std::vector<Result<std::vector<bool>>> verdicts(batches.size(), InternalError(""));
  std::vector<std::thread> threads;
  threads.emplace_back([&] { verdicts[0] = store.Insert(batches[0]); });
  held.WaitForFirstCommit();
  for (size_t i = 1; i < batches.size(); ++i) {
    threads.emplace_back([&, i] { verdicts[i] = store.Insert(batches[i]); });
  }
  held.ReleaseWhenQueued(batches.size() - 1);
  for (std::thread& t : threads) t.join();
  return {std::move(verdicts), held.groups()};
}

TEST_F(RunStoreTest, BatchesThatArriveDuringACommitAreCommittedTogetherEachWithItsVerdicts) {
  auto db = SqliteDb::Open(db_path_);
  RunStore store(**db, clock_);
  std::vector<v1::RunReport> r;
  for (int i = 0; i < 4; ++i) r.push_back(Run(i, 10, 1 << 20));
  // Behind the first: two batches that share a report, and the first's report again.
  HeldInserts done = InsertBehindAHeldCommit(
      store,
      {{{&r[0], "c"}}, {{&r[1], "c"}, {&r[2], "c"}}, {{&r[2], "c"}, {&r[3], "c"}}, {{&r[0], "c"}}});
  const auto& [a, b, c, d] =
      std::tie(done.verdicts[0], done.verdicts[1], done.verdicts[2], done.verdicts[3]);

  EXPECT_EQ(done.groups, (std::vector<size_t>{1, 3})) << "the three queued batches, together";
  EXPECT_EQ(store.commits(), 2u);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(*a, std::vector<bool>{true});
  EXPECT_EQ((*b)[0], true);
  EXPECT_NE((*b)[1], (*c)[0]) << "a report in two batches of one group is new in one of them";
  EXPECT_EQ((*c)[1], true);
  EXPECT_EQ(*d, std::vector<bool>{false}) << "stored by the first commit";
  EXPECT_EQ(*store.Count(), 4u);
}

TEST_F(RunStoreTest, ABatchThatCannotBeStoredFailsAloneAndTheRestOfItsGroupIsStored) {
  auto db = SqliteDb::Open(db_path_);
  // A batch SQLite refuses (as a full disk or a damaged page would refuse one).
  ASSERT_TRUE((*db)
                  ->Exec("CREATE TEMP TRIGGER refuse BEFORE INSERT ON runs "
                         "WHEN NEW.invocation_id = 'inv-2' BEGIN SELECT RAISE(ABORT, 'refused'); "
                         "END")
                  .ok());
  RunStore store(**db, clock_);
  std::vector<v1::RunReport> r;
  for (int i = 0; i < 4; ++i) r.push_back(Run(i, 10, 1 << 20));
  HeldInserts done = InsertBehindAHeldCommit(
      store, {{{&r[0], "c"}}, {{&r[1], "c"}}, {{&r[2], "c"}}, {{&r[3], "c"}}});
  const auto& [a, b, c, d] =
      std::tie(done.verdicts[0], done.verdicts[1], done.verdicts[2], done.verdicts[3]);

  EXPECT_EQ(done.groups, (std::vector<size_t>{1, 3}));
  EXPECT_TRUE(a.ok() && b.ok() && d.ok());
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(*store.Count(), 3u) << "every batch but the refused one";
  EXPECT_FALSE(store.RunsOf("f", 10)->empty());
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
