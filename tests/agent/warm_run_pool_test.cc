// WarmRunPool with a real spawner and, where the test runs as root on a host with cgroups,
// real cgroups: warm runs are made ahead, are inside their cgroup before they are taken, run
// what they are given, and every cgroup is gone when the pool is.
#include "agent/runtime/warm_run_pool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "agent/inventory/cgroup_layout.h"
#include "common/file_util.h"
#include "tests/support/process.h"

namespace tailor::agent {
namespace {

class WarmRunPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto layout = ReadCgroupLayout(HostPaths{});
    if (::geteuid() == 0 && layout.ok() && layout->version != 0) layout_ = *layout;
    cgroups_ = MakeCgroupManager(layout_, HostPaths{}, parent_);
  }
  void TearDown() override {
    for (const auto& [controller, mount] : layout_.v1_mounts) {
      ::rmdir(JoinPath(mount, parent_).c_str());
    }
    if (!layout_.v2_mount.empty()) ::rmdir(JoinPath(layout_.v2_mount, parent_).c_str());
  }
  // The run cgroup directories under the test's parent, in every hierarchy.
  size_t CgroupDirs() const {
    size_t n = 0;
    auto count = [&](const std::string& mount) {
      auto names = ListDirectory(JoinPath(mount, parent_));
      if (!names.ok()) return;
      for (const auto& name : *names) n += name.rfind("run-", 0) == 0 ? 1 : 0;
    };
    for (const auto& [controller, mount] : layout_.v1_mounts) count(mount);
    if (!layout_.v2_mount.empty()) count(layout_.v2_mount);
    return n;
  }
  bool HaveCgroups() const { return cgroups_->version() != 0; }

  const std::string parent_ = "tailor-pool-test-" + std::to_string(::getpid());
  CgroupLayout layout_;
  std::unique_ptr<CgroupManager> cgroups_;
  RunSpawner spawner_{testing::BinaryPath("tailor-run-spawner")};
};

ProcessSpec Shell(const std::string& script) {
  ProcessSpec spec;
  spec.executable = "/bin/sh";
  spec.args = {"-c", script};
  spec.env = {"PATH=/usr/bin:/bin"};
  return spec;
}

TEST_F(WarmRunPoolTest, KeepsRunsReadyInsideTheirCgroupsAndRefillsAfterATake) {
  WarmRunPoolOptions options;
  options.target = 2;
  WarmRunPool pool(*cgroups_, spawner_, options);
  pool.WaitUntilSettledForTest();
  ASSERT_EQ(pool.ready(), 2u);
  const size_t dirs_when_full = CgroupDirs();

  auto warm = pool.Take();
  ASSERT_TRUE(warm.ok()) << warm.status();
  const pid_t pid = warm->process->pid();
  if (HaveCgroups()) {
    // Already a member of its cgroup in each hierarchy, before the run exists.
    for (const std::string& procs : warm->cgroup->ProcsFiles()) {
      auto members = ReadFile(procs);
      ASSERT_TRUE(members.ok()) << members.status();
      EXPECT_EQ(*members, std::to_string(pid) + "\n") << procs;
    }
  }
  pool.WaitUntilSettledForTest();
  EXPECT_EQ(pool.ready(), 2u);  // refilled in the background

  CgroupLimits limits;
  limits.memory_limit_bytes = 64 << 20;
  ASSERT_TRUE(warm->cgroup->SetLimits(limits).ok());
  auto result = RunPrepared(std::move(warm->process), Shell("echo ran in $$"), nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_data, "ran in " + std::to_string(pid) + "\n");
  pool.Retire(std::move(warm->cgroup));
  pool.WaitUntilSettledForTest();
  EXPECT_EQ(CgroupDirs(), dirs_when_full);  // two warm runs' cgroups; the retired one is gone
}

TEST_F(WarmRunPoolTest, RetiredCgroupsAreRemovedAndNothingOutlivesThePool) {
  if (!HaveCgroups()) GTEST_SKIP() << "needs root and a cgroup hierarchy";
  std::vector<pid_t> children;
  {
    WarmRunPoolOptions options;
    options.target = 3;
    WarmRunPool pool(*cgroups_, spawner_, options);
    pool.WaitUntilSettledForTest();
    const size_t per_run = CgroupDirs() / 3;
    ASSERT_GT(per_run, 0u);

    auto warm = pool.Take();
    ASSERT_TRUE(warm.ok()) << warm.status();
    children.push_back(warm->process->pid());
    warm->process.reset();  // never run: its child exits
    pool.Retire(std::move(warm->cgroup));
    pool.WaitUntilSettledForTest();
    EXPECT_EQ(CgroupDirs(), 3 * per_run);  // the retired one removed, a new one made
  }
  EXPECT_EQ(CgroupDirs(), 0u);
  for (pid_t pid : children) EXPECT_FALSE(PathExists("/proc/" + std::to_string(pid)));
}

TEST_F(WarmRunPoolTest, WithoutATargetEveryTakePreparesARunOnTheSpot) {
  WarmRunPoolOptions options;
  options.target = 0;
  WarmRunPool pool(*cgroups_, spawner_, options);
  pool.WaitUntilSettledForTest();
  EXPECT_EQ(pool.ready(), 0u);
  auto warm = pool.Take();
  ASSERT_TRUE(warm.ok()) << warm.status();
  auto result = RunPrepared(std::move(warm->process), Shell("echo on demand"), nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_data, "on demand\n");
  pool.Retire(std::move(warm->cgroup));
}

TEST_F(WarmRunPoolTest, AFailureToPrepareIsTheTakersErrorAndLeavesNothingBehind) {
  {
    WarmRunPoolOptions options;
    options.target = 1;
    RunSpawner missing(testing::BinaryPath("no-such-spawner"));
    WarmRunPool pool(*cgroups_, missing, options);
    pool.WaitUntilSettledForTest();  // the worker tried and failed
    EXPECT_EQ(pool.ready(), 0u);
    auto warm = pool.Take();
    ASSERT_FALSE(warm.ok());
    EXPECT_NE(warm.status().message().find("run spawner"), std::string::npos) << warm.status();
  }
  EXPECT_EQ(CgroupDirs(), 0u);  // every cgroup made for a failed run was removed
}

}  // namespace
}  // namespace tailor::agent
