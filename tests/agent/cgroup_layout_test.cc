#include "agent/inventory/cgroup_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

using ::testing::ElementsAre;

HostPaths Host(const std::string& name) {
  return HostPaths{tailor::testing::FixturePath("hosts/" + name)};
}

TEST(MountsTest, ParsesFieldsAndDecodesEscapes) {
  auto mounts = ParseMounts(
      "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nsdelegate 0 0\n"
      "/dev/sdb1 /srv/tailor\\040data ext4 rw 0 0\n"
      "garbage\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].fs_type, "cgroup2");
  EXPECT_THAT(mounts[0].options, ElementsAre("rw", "nosuid", "nsdelegate"));
  EXPECT_EQ(mounts[1].mount_point, "/srv/tailor data");
  EXPECT_EQ(FindMountByType(mounts, "resctrl"), nullptr);
}

TEST(CgroupLayoutTest, HybridHostIsVersion1WithItsControllers) {
  auto layout = ReadCgroupLayout(Host("amd_epyc_cgroup_v1"));
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->version, 1);
  EXPECT_THAT(layout->controllers, ElementsAre("blkio", "cpu", "cpuacct", "cpuset", "devices",
                                               "freezer", "memory", "pids"));
  EXPECT_EQ(layout->v1_mounts.at("cpu"), "/sys/fs/cgroup/cpu");
  EXPECT_EQ(layout->v1_mounts.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(layout->mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(layout->v2_mount, "/sys/fs/cgroup/unified");
}

TEST(CgroupLayoutTest, UnifiedHostIsVersion2WithRootControllers) {
  auto layout = ReadCgroupLayout(Host("intel_xeon_rdt_cgroup_v2"));
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->version, 2);
  EXPECT_EQ(layout->mount_point, "/sys/fs/cgroup");
  EXPECT_THAT(layout->controllers,
              ElementsAre("cpu", "cpuset", "hugetlb", "io", "memory", "misc", "pids", "rdma"));
}

TEST(CgroupLayoutTest, CoMountedV1Controllers) {
  auto layout = ReadCgroupLayout(Host("intel_core2_no_aesni_cgroup_v1"));
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->version, 1);
  EXPECT_EQ(layout->v1_mounts.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(layout->v1_mounts.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(layout->v1_mounts.count("systemd"), 0u);  // name=systemd is not a controller
}

TEST(CgroupLayoutTest, NoCgroupFilesystem) {
  auto layout = DetectCgroupLayout(ParseMounts("proc /proc proc rw 0 0\n"), "");
  EXPECT_EQ(layout.version, 0);
  EXPECT_TRUE(layout.controllers.empty());
}

}  // namespace
}  // namespace tailor::agent
