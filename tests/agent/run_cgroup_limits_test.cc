// The limits a run cgroup gets, written into fixture trees that stand for the cgroup mounts of
// a v2 host and a v1 host (plain folders: the manager writes the same files the kernel has).
#include <gtest/gtest.h>

#include <algorithm>

#include "agent/runtime/run_cgroup.h"
#include "common/file_util.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

CgroupLimits Limits() {
  CgroupLimits limits;
  limits.memory_limit_bytes = 64 << 20;
  limits.cpu_millicores = 500;
  limits.pids_max = 256;
  return limits;
}

// A v2 host: one unified mount, an empty folder under `dir`.
CgroupLayout V2Layout(const tailor::testing::TempDir& dir) {
  CgroupLayout layout;
  layout.version = 2;
  layout.v2_mount = dir.File("cgroup2");
  EXPECT_TRUE(MakeDirectories(layout.v2_mount).ok());
  return layout;
}

TEST(RunCgroupLimitsTest, OnCgroupV2TheRunGetsMemoryCpuAndPidsLimits) {
  tailor::testing::TempDir dir;
  auto manager = MakeCgroupManager(V2Layout(dir), HostPaths{}, "tailor", "node");
  auto cg = manager->Create("run-1", Limits());
  ASSERT_TRUE(cg.ok()) << cg.status();
  const std::string run = dir.File("cgroup2/tailor/node.run-1");
  EXPECT_EQ(ReadFile(JoinPath(run, "memory.max")).value(), "67108864");
  EXPECT_EQ(ReadFile(JoinPath(run, "cpu.max")).value(), "50000 100000");
  EXPECT_EQ(ReadFile(JoinPath(run, "pids.max")).value(), "256");
}

TEST(RunCgroupLimitsTest, OnCgroupV2TheRunsCpuWaitComesFromItsCpuPressure) {
  tailor::testing::TempDir dir;
  auto manager = MakeCgroupManager(V2Layout(dir), HostPaths{}, "tailor", "node");
  auto cg = manager->Create("run-1", Limits());
  ASSERT_TRUE(cg.ok()) << cg.status();
  const std::string run = dir.File("cgroup2/tailor/node.run-1");
  ASSERT_TRUE(
      WriteFile(JoinPath(run, "cpu.stat"), "usage_usec 90000\nuser_usec 80000\nsystem_usec 10000\n")
          .ok());
  // Without pressure stall information the kernel has no cpu.pressure: not measured.
  auto without = (*cg)->ReadUsage(UsageWanted{});
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_TRUE(without->cpu_valid);
  EXPECT_FALSE(without->cpu_waiting_valid);
  ASSERT_TRUE(WriteFile(JoinPath(run, "cpu.pressure"),
                        "some avg10=1.00 avg60=0.50 avg300=0.10 total=42000\n"
                        "full avg10=0.00 avg60=0.00 avg300=0.00 total=7000\n")
                  .ok());
  auto with = (*cg)->ReadUsage(UsageWanted{});
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_TRUE(with->cpu_waiting_valid);
  EXPECT_EQ(with->cpu_waiting_us, 42000) << "the 'some' line's total, not the 'full' one";
}

TEST(RunCgroupLimitsTest, OnCgroupV1ThePidsHierarchyHoldsTheRunToo) {
  tailor::testing::TempDir dir;
  CgroupLayout layout;
  layout.version = 1;
  for (const char* c : {"memory", "cpu", "cpuacct", "pids"}) {
    layout.v1_mounts[c] = dir.File(std::string("v1/") + c);
    ASSERT_TRUE(MakeDirectories(layout.v1_mounts[c]).ok());
  }
  auto manager = MakeCgroupManager(layout, HostPaths{}, "tailor", "node");
  auto cg = manager->Create("run-1", Limits());
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(ReadFile(dir.File("v1/pids/tailor/node.run-1/pids.max")).value(), "256");
  EXPECT_EQ(ReadFile(dir.File("v1/memory/tailor/node.run-1/memory.limit_in_bytes")).value(),
            "67108864");
  // The run joins every hierarchy, pids included.
  const auto files = (*cg)->ProcsFiles();
  EXPECT_NE(
      std::find(files.begin(), files.end(), dir.File("v1/pids/tailor/node.run-1/cgroup.procs")),
      files.end());
}

TEST(RunCgroupLimitsTest, APidsLimitWithoutAPidsHierarchyIsAnError) {
  tailor::testing::TempDir dir;
  CgroupLayout layout;
  layout.version = 1;
  layout.v1_mounts["memory"] = dir.File("v1/memory");
  ASSERT_TRUE(MakeDirectories(layout.v1_mounts["memory"]).ok());
  auto manager = MakeCgroupManager(layout, HostPaths{}, "tailor", "node");
  CgroupLimits limits;
  limits.pids_max = 10;
  auto cg = manager->Create("run-1", limits);
  ASSERT_FALSE(cg.ok());
  EXPECT_EQ(cg.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tailor::agent
