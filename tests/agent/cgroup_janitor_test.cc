// The janitor's queue and its promises (everything handed over is removed, in the background,
// by Drain and by the destructor, with back pressure beyond its bound). The cgroup here is a
// recording stand-in: real removal is covered by the executor tests on real cgroups.
#include "agent/runtime/cgroup_janitor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "tests/support/process.h"

namespace tailor::agent {
namespace {

struct Counts {
  std::atomic<int> removed{0};
  std::atomic<int> killed{0};
  std::atomic<bool> hold{false};  // TryDestroy blocks while set (for cgroups that heed it)
  std::atomic<int> entered{0};
  std::thread::id last_thread;
};

class RecordingCgroup final : public RunCgroup {
 public:
  RecordingCgroup(Counts& counts, bool busy, bool heed_hold = false)
      : counts_(counts), busy_(busy), heed_hold_(heed_hold) {}
  Status AddProcess(pid_t) override { return OkStatus(); }
  std::vector<std::string> ProcsFiles() const override { return {}; }
  Result<CgroupUsage> ReadUsage(const UsageWanted&) override { return CgroupUsage{}; }
  Status KillAll() override {
    counts_.killed.fetch_add(1);
    busy_ = false;
    return OkStatus();
  }
  Status Destroy() override {
    counts_.removed.fetch_add(1);
    counts_.last_thread = std::this_thread::get_id();
    return OkStatus();
  }
  Status TryDestroy() override {
    counts_.entered.fetch_add(1);
    while (heed_hold_ && counts_.hold.load()) std::this_thread::yield();
    if (busy_) return FailedPreconditionError("busy");
    return Destroy();
  }
  int version() const override { return 1; }

 private:
  Counts& counts_;
  bool busy_;
  bool heed_hold_;
};

TEST(CgroupJanitorTest, RemovesInTheBackgroundAndKillsOnlyWhatIsStillBusy) {
  Counts counts;
  CgroupJanitor janitor;
  janitor.Remove(std::make_unique<RecordingCgroup>(counts, false));
  janitor.Remove(std::make_unique<RecordingCgroup>(counts, true));
  janitor.Drain();
  EXPECT_EQ(counts.removed.load(), 2);
  EXPECT_EQ(counts.killed.load(), 1);  // only the busy one
  EXPECT_NE(counts.last_thread, std::this_thread::get_id());
}

TEST(CgroupJanitorTest, BeyondItsBoundTheCallerCleansUpItself) {
  Counts counts;
  counts.hold = true;
  CgroupJanitor janitor(nullptr, 0, /*max_pending=*/2);
  janitor.Remove(std::make_unique<RecordingCgroup>(counts, false, /*heed_hold=*/true));
  while (counts.entered.load() == 0) std::this_thread::yield();  // the janitor is stuck on it
  janitor.Remove(std::make_unique<RecordingCgroup>(counts, false));
  janitor.Remove(std::make_unique<RecordingCgroup>(counts, false));  // the queue is full now
  EXPECT_EQ(counts.removed.load(), 0);
  janitor.Remove(std::make_unique<RecordingCgroup>(counts, false));
  EXPECT_EQ(counts.removed.load(), 1);  // removed before Remove returned,
  EXPECT_EQ(counts.last_thread, std::this_thread::get_id());  // on this thread
  counts.hold = false;
  janitor.Drain();
  EXPECT_EQ(counts.removed.load(), 4);
}

TEST(CgroupJanitorTest, TheDestructorRemovesEverythingStillQueued) {
  Counts counts;
  {
    CgroupJanitor janitor;
    for (int i = 0; i < 50; ++i) janitor.Remove(std::make_unique<RecordingCgroup>(counts, i % 7 == 0));
  }
  EXPECT_EQ(counts.removed.load(), 50);
  EXPECT_EQ(counts.killed.load(), 8);  // 0, 7, ..., 49
}

class SpareCounter final : public CgroupManager {
 public:
  Result<std::unique_ptr<RunCgroup>> Create(const std::string&, const CgroupLimits&) override {
    return InternalError("not used");
  }
  int version() const override { return 1; }
  Result<int> RemoveLeftovers() override { return 0; }
  void MakeSpares(size_t count) override {
    std::lock_guard lock(mu);
    ready = std::max(ready, count);
    ++fills;
  }
  void RemoveSpares() override {
    std::lock_guard lock(mu);
    ready = 0;
    ++removals;
  }
  std::mutex mu;
  size_t ready = 0;
  int fills = 0;
  int removals = 0;
};

TEST(CgroupJanitorTest, KeepsSparesReadyWhenIdleAndRemovesThemAtTheEnd) {
  SpareCounter manager;
  Counts counts;
  {
    CgroupJanitor janitor(&manager, 3);
    ASSERT_TRUE(tailor::testing::WaitUntil(
        [&] {
          std::lock_guard lock(manager.mu);
          return manager.ready == 3;
        },
        std::chrono::seconds(5)));
    const int fills_before = [&] {
      std::lock_guard lock(manager.mu);
      return manager.fills;
    }();
    janitor.Remove(std::make_unique<RecordingCgroup>(counts, false));
    janitor.Drain();
    // After a removal the janitor tops the spares up again (a run has likely taken one).
    EXPECT_TRUE(tailor::testing::WaitUntil(
        [&] {
          std::lock_guard lock(manager.mu);
          return manager.fills > fills_before;
        },
        std::chrono::seconds(5)));
  }
  EXPECT_EQ(manager.removals, 1);
  EXPECT_EQ(manager.ready, 0u);
  EXPECT_EQ(counts.removed.load(), 1);
}

}  // namespace
}  // namespace tailor::agent
