// The dev machines have no resctrl, so these tests drive ResctrlManager against a fake
// resctrl tree (a copy of the Intel fixture host), writing mon_data files as the kernel would.
#include "agent/runtime/resctrl_run.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/file_util.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

class ResctrlRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(tailor::testing::FixturePath("hosts/intel_xeon_rdt_cgroup_v2"),
                          root_.path(), std::filesystem::copy_options::recursive);
    paths_.root = root_.path();
    auto info = DetectResctrl(paths_);
    ASSERT_TRUE(info.ok()) << info.status();
    manager_ = std::make_unique<ResctrlManager>(*info, paths_);
  }
  std::string Resctrl(const std::string& rel) {
    return JoinPath(paths_.Resolve("/sys/fs/resctrl"), rel);
  }
  // What the kernel would show in a monitoring group.
  void KernelWritesMonData(const std::string& group, uint64_t occupancy, uint64_t mbm) {
    for (const char* dom : {"mon_L3_00", "mon_L3_01"}) {
      root_.Write("sys/fs/resctrl/" + group + "/mon_data/" + dom + "/llc_occupancy",
                  std::to_string(occupancy) + "\n");
      root_.Write("sys/fs/resctrl/" + group + "/mon_data/" + dom + "/mbm_total_bytes",
                  std::to_string(mbm) + "\n");
    }
  }

  tailor::testing::TempDir root_;
  HostPaths paths_;
  std::unique_ptr<ResctrlManager> manager_;
};

TEST_F(ResctrlRunTest, MonitoringGroupPerRun) {
  EXPECT_TRUE(manager_->monitoring_available());
  auto run = manager_->Start("run-1", 0, "");
  ASSERT_TRUE(run.ok()) << run.status();
  KernelWritesMonData("mon_groups/run-1", 1000, 5000);
  EXPECT_EQ((*run)->TasksFile(), Resctrl("mon_groups/run-1/tasks"));
  (*run)->MarkStart();
  KernelWritesMonData("mon_groups/run-1", 3000, 9000);  // the run moved 2 x 4000 bytes
  ResctrlReadings r = (*run)->Finish();
  EXPECT_TRUE(r.monitored);
  EXPECT_FALSE(r.allocated);
  EXPECT_EQ(r.llc_occupancy_bytes, 6000u);
  EXPECT_EQ(r.mbm_total_bytes, 8000u);  // 18000 at the end less 10000 at the start
}

TEST_F(ResctrlRunTest, CacheWaysGetASharedControlGroupWithTheirSchemata) {
  EXPECT_TRUE(manager_->allocation_available());
  EXPECT_EQ(manager_->max_ways(), 11u);
  auto run = manager_->Start("run-2", 4, "");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(*ReadFile(Resctrl("tailor-ways-4/schemata")), "L3:0=f;1=f\n");
  (*run)->MarkStart();
  EXPECT_EQ((*run)->TasksFile(), Resctrl("tailor-ways-4/mon_groups/run-2/tasks"));
  KernelWritesMonData("tailor-ways-4/mon_groups/run-2", 10, 0);
  ResctrlReadings r = (*run)->Finish();
  EXPECT_TRUE(r.allocated);
  EXPECT_EQ(r.cache_ways, 4u);
  EXPECT_EQ(r.llc_occupancy_bytes, 20u);
  // A second run with the same ways reuses the group.
  auto again = manager_->Start("run-3", 4, "");
  ASSERT_TRUE(again.ok());
}

TEST_F(ResctrlRunTest, BadAllocationsAreRefused) {
  EXPECT_EQ(manager_->Start("r", 12, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Start("r", 0, "../etc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Start("r", 0, "no-such-class").status().code(), StatusCode::kNotFound);
  ResctrlManager none(ResctrlInfo{}, paths_);
  EXPECT_EQ(none.Start("r", 2, "").status().code(), StatusCode::kFailedPrecondition);
  auto inactive = none.Start("r", 0, "");
  ASSERT_TRUE(inactive.ok());
  EXPECT_EQ((*inactive)->TasksFile(), "");
  EXPECT_FALSE((*inactive)->Finish().monitored);
}

TEST(ResctrlSchemataTest, L3Domains) {
  EXPECT_EQ(ParseL3Domains("L3:0=7ff;1=7ff\nMB:0=100;1=100\n"),
            (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(ParseL3Domains("MB:0=100\n").empty());
}

}  // namespace
}  // namespace tailor::agent
