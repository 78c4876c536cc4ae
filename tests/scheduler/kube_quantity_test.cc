#include "scheduler/kube_quantity.h"

#include <gtest/gtest.h>

namespace tailor::scheduler {
namespace {

TEST(KubeQuantityTest, MemoryTakesBinaryAndDecimalSuffixesAndExponents) {
  EXPECT_EQ(ParseMemoryQuantity("128Mi", "m").value(), 128ull << 20);
  EXPECT_EQ(ParseMemoryQuantity("1Gi", "m").value(), 1ull << 30);
  EXPECT_EQ(ParseMemoryQuantity("1.5Gi", "m").value(), 3ull << 29);
  EXPECT_EQ(ParseMemoryQuantity("2G", "m").value(), 2'000'000'000ull);
  EXPECT_EQ(ParseMemoryQuantity("100k", "m").value(), 100'000ull);
  EXPECT_EQ(ParseMemoryQuantity("1e3", "m").value(), 1000ull);
  EXPECT_EQ(ParseMemoryQuantity("1E", "m").value(), 1'000'000'000'000'000'000ull);
  EXPECT_EQ(ParseMemoryQuantity("123", "m").value(), 123ull);
  // Fractions of a byte round up, as Kubernetes rounds requests.
  EXPECT_EQ(ParseMemoryQuantity("1500m", "m").value(), 2ull);
}

TEST(KubeQuantityTest, CpuIsInMillicores) {
  EXPECT_EQ(ParseCpuQuantity("250m", "c").value(), 250ull);
  EXPECT_EQ(ParseCpuQuantity("2", "c").value(), 2000ull);
  EXPECT_EQ(ParseCpuQuantity("0.5", "c").value(), 500ull);
  EXPECT_EQ(ParseCpuQuantity(".1", "c").value(), 100ull);
  EXPECT_EQ(ParseCpuQuantity("100u", "c").value(), 1ull);  // rounded up to a millicore
  EXPECT_EQ(ParseCpuQuantity("+1", "c").value(), 1000ull);
}

TEST(KubeQuantityTest, TextThatIsNotAQuantityIsRefusedNamingTheField) {
  for (const char* bad :
       {"", "abc", "-1", "1Qi", "1.2.3", "Mi", "1e", "1e+", "1ee3", "0x10", " 1", "1 "}) {
    auto r = ParseMemoryQuantity(bad, "requests.memory");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().field(), "requests.memory") << bad;
  }
  EXPECT_FALSE(ParseMemoryQuantity("2Ei", "m").ok());  // over 2^60 bytes
  EXPECT_FALSE(ParseCpuQuantity("2e9", "c").ok());     // over 2^20 cores
}

}  // namespace
}  // namespace tailor::scheduler
