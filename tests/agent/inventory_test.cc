#include "agent/inventory/inventory.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/inventory/cpuinfo.h"
#include "common/file_util.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

// A fixture host whose CPUID cannot be executed here: the inventory falls back to the host's
// /proc/cpuinfo for identity and features, and the topology probe answers for that host.
InventorySources FixtureHost(const std::string& name, HostTopology topology) {
  InventorySources s;
  s.paths.root = tailor::testing::FixturePath("hosts/" + name);
  s.read_cpuid = [] { return CpuidSnapshot{}; };
  s.probe_topology = [topology]() -> Result<HostTopology> { return topology; };
  s.probe_hw_perf = [] { return true; };
  return s;
}

TEST(InventoryTest, IntelServerWithRdtAndCgroupV2) {
  HostTopology topo;
  topo.sockets = 2;
  topo.physical_cores = 40;
  topo.logical_cores = 80;
  topo.numa_nodes = 2;
  topo.l1d_bytes = 32 << 10;
  topo.l2_bytes = 1 << 20;
  topo.l3_bytes = 28160ull << 10;
  topo.l3_domains = 2;
  auto inv = CollectInventory(FixtureHost("intel_xeon_rdt_cgroup_v2", topo));
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->hostname(), "xeon-rdt-01");
  EXPECT_EQ(inv->kernel_version(), "6.1.0-26-amd64");
  EXPECT_EQ(inv->cpu().vendor(), "GenuineIntel");
  EXPECT_EQ(inv->cpu().model(), 85u);
  EXPECT_EQ(inv->topology().sockets(), 2u);
  EXPECT_EQ(inv->cache().l3_domains(), 2u);
  EXPECT_EQ(inv->memory_bytes(), 394893828ull * 1024);
  EXPECT_TRUE(inv->cpu_features().at("aes"));
  EXPECT_TRUE(inv->cpu_features().at("avx512f"));
  EXPECT_FALSE(inv->cpu_features().at("sha_ni"));
  EXPECT_FALSE(inv->cpu_features().at("vaes"));
  EXPECT_EQ(inv->cgroup().version(), 2u);
  EXPECT_TRUE(inv->rdt().resctrl_mounted());
  EXPECT_EQ(inv->rdt().l3_cat_ways(), 11u);  // from resctrl's cbm_mask
  EXPECT_TRUE(inv->hw_perf_counters());
  // Every known feature is present in the map, true or false.
  EXPECT_EQ(static_cast<size_t>(inv->cpu_features_size()), KnownCpuFeatures().size());
}

TEST(InventoryTest, OldHostWithoutAesNi) {
  HostTopology topo;
  topo.sockets = 1;
  topo.physical_cores = 2;
  topo.logical_cores = 2;
  auto inv = CollectInventory(FixtureHost("intel_core2_no_aesni_cgroup_v1", topo));
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_FALSE(inv->cpu_features().at("aes"));
  EXPECT_FALSE(inv->cpu_features().at("pclmulqdq"));
  EXPECT_FALSE(inv->cpu_features().at("avx"));
  EXPECT_EQ(inv->cgroup().version(), 1u);
  EXPECT_FALSE(inv->rdt().resctrl_mounted());
  EXPECT_EQ(inv->kernel_version(), "4.19.0-27-amd64");
}

TEST(InventoryTest, TopologyFallsBackToCpuinfoWhenProbeFails) {
  InventorySources s = FixtureHost("intel_xeon_rdt_cgroup_v2", {});
  s.probe_topology = []() -> Result<HostTopology> { return InternalError("no hwloc"); };
  auto inv = CollectInventory(s);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->topology().logical_cores(), 4u);
  EXPECT_EQ(inv->topology().sockets(), 2u);
}

TEST(InventoryTest, JsonHasSnakeCaseFieldsAndEveryFeature) {
  auto inv = CollectInventory(FixtureHost("intel_core2_no_aesni_cgroup_v1", {}));
  ASSERT_TRUE(inv.ok());
  auto j = nlohmann::json::parse(InventoryToJson(*inv));
  EXPECT_EQ(j["cpu_features"]["aes"], false);
  EXPECT_TRUE(j.contains("hw_perf_counters"));
  EXPECT_EQ(j["cgroup"]["version"], 1);
}

// On the machine running the tests: the real probes, checked against /proc/cpuinfo.
TEST(InventoryLiveTest, ReportsThisMachinesFeaturesTruthfully) {
  auto text = ReadFile("/proc/cpuinfo");
  if (!text.ok()) GTEST_SKIP() << "no /proc/cpuinfo";
  auto info = ParseCpuinfo(*text);
  if (!info.ok() || info->flags.empty()) GTEST_SKIP() << "no x86 flags in /proc/cpuinfo";
  auto inv = CollectInventory(InventorySources{});
  ASSERT_TRUE(inv.ok()) << inv.status();
  for (const char* f : {"aes", "vaes", "pclmulqdq", "sha_ni", "avx", "avx2", "fma", "bmi2",
                        "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                        "amx_tile"}) {
    ASSERT_TRUE(inv->cpu_features().contains(f)) << f;
    EXPECT_EQ(inv->cpu_features().at(f), info->flags.contains(f)) << f;
  }
  EXPECT_GT(inv->topology().logical_cores(), 0u);
  EXPECT_GT(inv->memory_bytes(), 0u);
  EXPECT_FALSE(inv->kernel_version().empty());
  EXPECT_GE(inv->cgroup().version(), 1u);
}

}  // namespace
}  // namespace tailor::agent
