#include "agent/report_spool.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

v1::RunReport Report(const std::string& id) {
  v1::RunReport r;
  r.set_invocation_id(id);
  r.set_function_name("f");
  return r;
}

TEST(ReportSpoolTest, KeepsOrderUntilAcknowledgedAndAcrossReopen) {
  tailor::testing::TempDir dir;
  {
    auto spool = ReportSpool::Open(dir.File("spool.db"), 100);
    ASSERT_TRUE(spool.ok()) << spool.status();
    for (const char* id : {"a", "b", "c"}) ASSERT_TRUE((*spool)->Append(Report(id)).ok());
    ASSERT_TRUE((*spool)->Append(Report("a")).ok());  // same invocation: stored once
    EXPECT_EQ((*spool)->depth(), 3u);
    auto first_two = (*spool)->Peek(2);
    ASSERT_TRUE(first_two.ok());
    ASSERT_EQ(first_two->size(), 2u);
    EXPECT_EQ((*first_two)[0].invocation_id(), "a");
    EXPECT_EQ((*first_two)[1].invocation_id(), "b");
    ASSERT_TRUE((*spool)->Ack({"a"}).ok());
  }
  auto spool = ReportSpool::Open(dir.File("spool.db"), 100);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ((*spool)->depth(), 2u);
  auto rest = (*spool)->Peek(10);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].invocation_id(), "b");
  EXPECT_EQ((*rest)[1].invocation_id(), "c");
}

TEST(ReportSpoolTest, ASecondProcessCannotShareALiveSpool) {
  // The spool is opened in exclusive locking mode: a second opener (another agent pointed at
  // the same data directory) is refused after SQLite's busy timeout, and the first goes on.
  tailor::testing::TempDir dir;
  auto owner = ReportSpool::Open(dir.File("spool.db"), 100);
  ASSERT_TRUE(owner.ok()) << owner.status();
  ASSERT_TRUE((*owner)->Append(Report("kept")).ok());
  auto intruder = ReportSpool::Open(dir.File("spool.db"), 100);
  EXPECT_FALSE(intruder.ok());
  ASSERT_TRUE((*owner)->Append(Report("still")).ok());
  EXPECT_EQ((*owner)->depth(), 2u);
  owner->reset();
  auto reopened = ReportSpool::Open(dir.File("spool.db"), 100);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->depth(), 2u);
}

TEST(ReportSpoolTest, BoundDropsAndCounts) {
  tailor::testing::TempDir dir;
  auto spool = ReportSpool::Open(dir.File("spool.db"), 2);
  ASSERT_TRUE((*spool)->Append(Report("a")).ok());
  ASSERT_TRUE((*spool)->Append(Report("b")).ok());
  Status s = (*spool)->Append(Report("c"));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ((*spool)->dropped_total(), 1u);
  EXPECT_EQ((*spool)->depth(), 2u);
  ASSERT_TRUE((*spool)->Ack({"a", "b"}).ok());
  EXPECT_TRUE((*spool)->Append(Report("d")).ok());
}

}  // namespace
}  // namespace tailor::agent
