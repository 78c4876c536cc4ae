#include "agent/inventory/cpuinfo.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

CpuinfoSummary Load(const std::string& host) {
  auto text = ReadFile(testing::FixturePath("hosts/" + host + "/proc/cpuinfo"));
  EXPECT_TRUE(text.ok()) << text.status();
  auto parsed = ParseCpuinfo(*text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return *parsed;
}

TEST(CpuinfoTest, IntelServerWithRdt) {
  auto c = Load("intel_xeon_rdt_cgroup_v2");
  EXPECT_EQ(c.vendor, "GenuineIntel");
  EXPECT_EQ(c.model_name, "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
  EXPECT_EQ(c.family, 6u);
  EXPECT_EQ(c.model, 85u);
  EXPECT_EQ(c.stepping, 7u);
  EXPECT_EQ(c.logical_cpus, 4u);
  EXPECT_EQ(c.sockets, 2u);
  EXPECT_DOUBLE_EQ(c.mhz, 2500.0);
  EXPECT_TRUE(c.flags.contains("aes"));
  EXPECT_TRUE(c.flags.contains("avx512f"));
  EXPECT_TRUE(c.flags.contains("cat_l3"));
  EXPECT_TRUE(c.flags.contains("cqm_mbm_total"));
  EXPECT_FALSE(c.flags.contains("sha_ni"));
}

TEST(CpuinfoTest, AmdHost) {
  auto c = Load("amd_epyc_cgroup_v1");
  EXPECT_EQ(c.vendor, "AuthenticAMD");
  EXPECT_EQ(c.family, 26u);
  EXPECT_EQ(c.logical_cpus, 2u);
  EXPECT_EQ(c.sockets, 1u);
  EXPECT_TRUE(c.flags.contains("sha_ni"));
  EXPECT_TRUE(c.flags.contains("vaes"));
  EXPECT_TRUE(c.flags.contains("avx512f"));
}

TEST(CpuinfoTest, OldCpuWithoutAesNi) {
  auto c = Load("intel_core2_no_aesni_cgroup_v1");
  EXPECT_EQ(c.model, 23u);
  EXPECT_FALSE(c.flags.contains("aes"));
  EXPECT_FALSE(c.flags.contains("pclmulqdq"));
  EXPECT_FALSE(c.flags.contains("avx"));
  EXPECT_TRUE(c.flags.contains("sse4_1"));
}

TEST(CpuinfoTest, TextWithoutProcessorsIsRejected) {
  auto r = ParseCpuinfo("Hardware\t: BCM2835\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tailor::agent
