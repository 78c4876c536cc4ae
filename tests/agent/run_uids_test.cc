#include "agent/runtime/run_uids.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

TEST(RunUidsTest, RangesParseStrictly) {
  auto range = ParseUidRange("900000-999999");
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->first, 900000u);
  EXPECT_EQ(range->count, 100000u);
  for (const char* bad : {"", "5", "0-10", "10-5", "a-b", "1-4294967295", "-5", "5-"}) {
    EXPECT_EQ(ParseUidRange(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(RunUidsTest, EachFunctionGetsItsOwnUidKeptAcrossRestartsUntilTheRangeIsUsedUp) {
  tailor::testing::TempDir dir;
  const std::string file = dir.File("run-uids");
  {
    auto uids = RunUids::Open(file, {5000, 2});
    ASSERT_TRUE(uids.ok()) << uids.status();
    EXPECT_EQ((*uids)->For("alpha").value(), 5000u);
    EXPECT_EQ((*uids)->For("beta").value(), 5001u);
    EXPECT_EQ((*uids)->For("alpha").value(), 5000u);
    auto full = (*uids)->For("gamma");
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  }
  auto reopened = RunUids::Open(file, {5000, 3});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->For("beta").value(), 5001u);
  EXPECT_EQ((*reopened)->For("gamma").value(), 5002u);  // the next free one
}

TEST(RunUidsTest, ADamagedOrForeignFileIsRefusedNotGuessedAt) {
  tailor::testing::TempDir dir;
  for (const std::string text : {"5000 alpha\nrubbish\n", "7000 alpha\n", "5000 ../etc\n"}) {
    ASSERT_TRUE(WriteFile(dir.File("run-uids"), text).ok());
    auto uids = RunUids::Open(dir.File("run-uids"), {5000, 10});
    ASSERT_FALSE(uids.ok()) << text;
    EXPECT_EQ(uids.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace tailor::agent
