#include "agent/inventory/cpuid.h"

#include <gtest/gtest.h>

#include "agent/inventory/cpuinfo.h"
#include "common/file_util.h"

namespace tailor::agent {
namespace {

void Set(uint32_t& reg, std::initializer_list<int> bits) {
  for (int b : bits) reg |= 1u << b;
}

constexpr uint64_t kXcr0AllVector = 0x2e7;  // x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM, PKRU

// A Cascade Lake Xeon as CPUID describes it (the bits relevant to Tailor).
CpuidSnapshot CascadeLake() {
  CpuidSnapshot s;
  s.vendor = "GenuineIntel";
  s.max_basic_leaf = 0x16;
  s.leaf1.eax = 0x00050657;  // family 6, model 0x55, stepping 7
  Set(s.leaf1.ecx, {0, 1, 9, 12, 19, 20, 22, 23, 25, 26, 27, 28, 29});
  Set(s.leaf1.edx, {25, 26});
  Set(s.leaf7_0.ebx, {3, 5, 8, 12, 15, 16, 17, 19, 28, 30, 31});  // no SHA (29)
  Set(s.leaf7_0.ecx, {11});                                       // AVX512_VNNI, no VAES
  s.xcr0 = kXcr0AllVector;
  // RDT: L3 monitoring with occupancy and both MBM events; L3 CAT (11 ways) and MBA.
  Set(s.leaf_f_0.edx, {1});
  Set(s.leaf_f_1.edx, {0, 1, 2});
  Set(s.leaf_10_0.ebx, {1, 3});
  s.leaf_10_1.eax = 10;
  return s;
}

TEST(CpuidTest, EmptySnapshotHasNoFeatures) {
  auto f = DecodeCpuFeatures(CpuidSnapshot{});
  EXPECT_EQ(f.size(), KnownCpuFeatures().size());
  for (const auto& [name, present] : f) EXPECT_FALSE(present) << name;
}

TEST(CpuidTest, DecodesCascadeLakeFeatures) {
  auto f = DecodeCpuFeatures(CascadeLake());
  EXPECT_TRUE(f["aes"]);
  EXPECT_TRUE(f["pclmulqdq"]);
  EXPECT_TRUE(f["avx"]);
  EXPECT_TRUE(f["avx2"]);
  EXPECT_TRUE(f["fma"]);
  EXPECT_TRUE(f["bmi2"]);
  EXPECT_TRUE(f["avx512f"]);
  EXPECT_TRUE(f["avx512bw"]);
  EXPECT_TRUE(f["avx512vl"]);
  EXPECT_TRUE(f["avx512_vnni"]);
  EXPECT_FALSE(f["sha_ni"]);
  EXPECT_FALSE(f["vaes"]);
  EXPECT_FALSE(f["avx512_bf16"]);  // leaf 7.1 not enumerated (leaf7_0.eax == 0)
  EXPECT_FALSE(f["amx_tile"]);
}

TEST(CpuidTest, AvxFamilyNeedsOsEnabledState) {
  CpuidSnapshot s = CascadeLake();
  s.xcr0 = 0x7;  // the OS saves YMM but not the AVX-512 state
  auto f = DecodeCpuFeatures(s);
  EXPECT_TRUE(f["avx2"]);
  EXPECT_FALSE(f["avx512f"]);
  EXPECT_FALSE(f["avx512_vnni"]);
  EXPECT_TRUE(f["aes"]);  // needs no extended state
  s.xcr0 = 0x3;           // no YMM either
  f = DecodeCpuFeatures(s);
  EXPECT_FALSE(f["avx"]);
  EXPECT_FALSE(f["fma"]);
}

TEST(CpuidTest, Leaf7Subleaf1OnlyWhenEnumerated) {
  CpuidSnapshot s = CascadeLake();
  Set(s.leaf7_1.eax, {4, 5});
  EXPECT_FALSE(DecodeCpuFeatures(s)["avx512_bf16"]);
  s.leaf7_0.eax = 1;  // max subleaf of leaf 7
  auto f = DecodeCpuFeatures(s);
  EXPECT_TRUE(f["avx512_bf16"]);
  EXPECT_TRUE(f["avx_vnni"]);
}

TEST(CpuidTest, AmxNeedsTileState) {
  CpuidSnapshot s = CascadeLake();
  Set(s.leaf7_0.edx, {22, 24, 25});
  EXPECT_FALSE(DecodeCpuFeatures(s)["amx_tile"]);
  s.xcr0 |= (1ull << 17) | (1ull << 18);
  EXPECT_TRUE(DecodeCpuFeatures(s)["amx_tile"]);
}

TEST(CpuidTest, DecodesDisplayFamilyAndModel) {
  auto intel = DecodeSignature(CascadeLake());
  EXPECT_EQ(intel.family, 6u);
  EXPECT_EQ(intel.model, 85u);
  EXPECT_EQ(intel.stepping, 7u);
  CpuidSnapshot zen5;
  zen5.leaf1.eax = 0x00B00F21;  // extended family 0xB + base 0xF = 26
  auto amd = DecodeSignature(zen5);
  EXPECT_EQ(amd.family, 26u);
  EXPECT_EQ(amd.model, 2u);
  EXPECT_EQ(amd.stepping, 1u);
}

TEST(CpuidTest, DecodesRdtCapabilities) {
  RdtCpuid rdt = DecodeRdt(CascadeLake());
  EXPECT_TRUE(rdt.cmt);
  EXPECT_TRUE(rdt.mbm_total);
  EXPECT_TRUE(rdt.mbm_local);
  EXPECT_TRUE(rdt.l3_cat);
  EXPECT_EQ(rdt.l3_cat_ways, 11u);
  EXPECT_TRUE(rdt.mba);
}

TEST(CpuidTest, NoRdtWithoutTheLeaf7Bits) {
  CpuidSnapshot s = CascadeLake();
  s.leaf7_0.ebx &= ~((1u << 12) | (1u << 15));
  RdtCpuid rdt = DecodeRdt(s);
  EXPECT_FALSE(rdt.cmt);
  EXPECT_FALSE(rdt.l3_cat);
  EXPECT_EQ(rdt.l3_cat_ways, 0u);
  EXPECT_FALSE(rdt.mba);
}

TEST(CpuidTest, AmdBandwidthEnforcementCountsAsMba) {
  CpuidSnapshot s;
  s.vendor = "AuthenticAMD";
  s.max_basic_leaf = 0x10;
  Set(s.leaf7_0.ebx, {15});
  s.max_extended_leaf = 0x80000021;
  Set(s.leaf_80000020_0.ebx, {1});
  EXPECT_TRUE(DecodeRdt(s).mba);
}

// The check the foundation issue asks for: on whatever machine the test runs, the raw CPUID
// reading agrees with the kernel's /proc/cpuinfo for every feature Tailor reports.
TEST(CpuidLiveTest, AgreesWithProcCpuinfoOnThisMachine) {
  auto text = ReadFile("/proc/cpuinfo");
  if (!text.ok()) GTEST_SKIP() << "no /proc/cpuinfo: " << text.status();
  auto info = ParseCpuinfo(*text);
  if (!info.ok() || info->flags.empty()) GTEST_SKIP() << "/proc/cpuinfo has no x86 flags";
  CpuidSnapshot s = ReadCpuid();
  if (s.max_basic_leaf == 0) GTEST_SKIP() << "CPUID not available on this architecture";
  auto features = DecodeCpuFeatures(s);
  for (std::string_view name : KnownCpuFeatures()) {
    const bool in_cpuinfo = info->flags.contains(std::string(name));
    EXPECT_EQ(features[std::string(name)], in_cpuinfo)
        << name << ": CPUID says " << features[std::string(name)] << ", /proc/cpuinfo says "
        << in_cpuinfo;
  }
  EXPECT_EQ(s.vendor, info->vendor);
  auto sig = DecodeSignature(s);
  EXPECT_EQ(sig.family, info->family);
  EXPECT_EQ(sig.model, info->model);
}

}  // namespace
}  // namespace tailor::agent
