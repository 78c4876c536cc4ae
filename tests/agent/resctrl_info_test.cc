#include "agent/inventory/resctrl_info.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

TEST(ResctrlInfoTest, ParsesHexMasks) {
  EXPECT_EQ(*ParseHexMask("7ff\n"), 0x7ffu);
  EXPECT_EQ(*ParseHexMask("0xfffff"), 0xfffffu);
  EXPECT_FALSE(ParseHexMask("").ok());
  EXPECT_FALSE(ParseHexMask("7fg").ok());
}

TEST(ResctrlInfoTest, IntelServerTree) {
  HostPaths paths{tailor::testing::FixturePath("hosts/intel_xeon_rdt_cgroup_v2")};
  auto info = DetectResctrl(paths);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->mounted);
  EXPECT_EQ(info->mount_point, "/sys/fs/resctrl");
  ASSERT_TRUE(info->l3.has_value());
  EXPECT_EQ(info->l3->cbm_mask, 0x7ffu);
  EXPECT_EQ(info->l3->ways, 11u);
  EXPECT_EQ(info->l3->num_closids, 16u);
  EXPECT_EQ(info->l3->min_cbm_bits, 1u);
  EXPECT_EQ(info->l3->shareable_bits, 0x600u);
  ASSERT_TRUE(info->mb.has_value());
  EXPECT_EQ(info->mb->bandwidth_gran, 10u);
  EXPECT_TRUE(info->mb->delay_linear);
  ASSERT_TRUE(info->l3_mon.has_value());
  EXPECT_EQ(info->l3_mon->num_rmids, 224u);
  EXPECT_TRUE(info->HasMonFeature("llc_occupancy"));
  EXPECT_TRUE(info->HasMonFeature("mbm_local_bytes"));
  EXPECT_FALSE(info->HasMonFeature("mbm_magic"));
}

TEST(ResctrlInfoTest, NotMountedIsNotAnError) {
  HostPaths paths{tailor::testing::FixturePath("hosts/amd_epyc_cgroup_v1")};
  auto info = DetectResctrl(paths);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->mounted);
  EXPECT_FALSE(info->l3.has_value());
}

TEST(ResctrlInfoTest, MonitoringOnlyHost) {
  tailor::testing::TempDir root;
  root.Write("proc/self/mounts", "resctrl /sys/fs/resctrl resctrl rw 0 0\n");
  root.Write("sys/fs/resctrl/info/L3_MON/num_rmids", "32\n");
  root.Write("sys/fs/resctrl/info/L3_MON/mon_features", "llc_occupancy\n");
  auto info = DetectResctrl(HostPaths{root.path()});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->l3.has_value());
  EXPECT_FALSE(info->mb.has_value());
  EXPECT_TRUE(info->HasMonFeature("llc_occupancy"));
}

TEST(ResctrlInfoTest, MalformedFileIsAnErrorNamingIt) {
  tailor::testing::TempDir root;
  root.Write("proc/self/mounts", "resctrl /sys/fs/resctrl resctrl rw 0 0\n");
  root.Write("sys/fs/resctrl/info/L3/cbm_mask", "zz\n");
  root.Write("sys/fs/resctrl/info/L3/num_closids", "16\n");
  root.Write("sys/fs/resctrl/info/L3/min_cbm_bits", "1\n");
  auto info = DetectResctrl(HostPaths{root.path()});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(info.status().message().find("cbm_mask"), std::string::npos);
}

}  // namespace
}  // namespace tailor::agent
