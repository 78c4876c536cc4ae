// Rate and cron expressions as EventBridge writes them, in UTC.
#include "scheduler/schedule_expression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tailor::scheduler {
namespace {

using namespace std::chrono;
using ::testing::HasSubstr;

WallTime At(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return sys_days(year(y) / month(m) / day(d)) + hours(hh) + minutes(mm) + seconds(ss);
}

WallTime Next(std::string_view expr, WallTime after, WallTime anchor = {}) {
  auto e = ScheduleExpression::Parse(expr);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? e->Next(after, anchor) : WallTime{};
}

TEST(ScheduleExpressionTest, RatesCountFromTheirAnchor) {
  const WallTime anchor = At(2026, 12, 1, 10, 0, 30);
  EXPECT_EQ(Next("rate(5 minutes)", anchor, anchor), At(2026, 12, 1, 10, 5, 30));
  EXPECT_EQ(Next("rate(5 minutes)", At(2026, 12, 1, 10, 12), anchor), At(2026, 12, 1, 10, 15, 30));
  EXPECT_EQ(Next("rate(1 hour)", At(2026, 12, 1, 10, 0, 31), anchor), At(2026, 12, 1, 11, 0, 30));
  EXPECT_EQ(Next("rate(2 days)", anchor, anchor), At(2026, 12, 3, 10, 0, 30));
  EXPECT_EQ(Next("rate(1 minute)", anchor - minutes(3), anchor), anchor);
}

TEST(ScheduleExpressionTest, CronFieldsTakeValuesRangesListsStepsAndNames) {
  EXPECT_EQ(Next("cron(0/15 * * * ? *)", At(2026, 12, 1, 10, 7)), At(2026, 12, 1, 10, 15));
  EXPECT_EQ(Next("cron(0/15 * * * ? *)", At(2026, 12, 1, 10, 15)), At(2026, 12, 1, 10, 30));
  // 2026-12-05 is a Saturday: weekdays at 08:00 means Monday the 7th.
  EXPECT_EQ(Next("cron(0 8 ? * MON-FRI *)", At(2026, 12, 5, 9, 0)), At(2026, 12, 7, 8, 0));
  EXPECT_EQ(Next("cron(0 8 ? * 2-6 *)", At(2026, 12, 5, 9, 0)), At(2026, 12, 7, 8, 0));
  EXPECT_EQ(Next("cron(30 2 1 * ? *)", At(2026, 12, 1, 3, 0)), At(2027, 1, 1, 2, 30));
  EXPECT_EQ(Next("cron(0 12 * * ? 2027)", At(2026, 6, 1, 0, 0)), At(2027, 1, 1, 12, 0));
  EXPECT_EQ(Next("cron(5,35 9-10 * JAN,dec ? *)", At(2026, 12, 1, 10, 36)), At(2026, 12, 2, 9, 5));
  EXPECT_EQ(Next("cron(0 0 29 2 ? *)", At(2026, 3, 1, 0, 0)), At(2028, 2, 29, 0, 0));
}

TEST(ScheduleExpressionTest, ASchedulePastItsLastYearNeverFiresAgain) {
  EXPECT_EQ(Next("cron(0 12 * * ? 2025)", At(2026, 1, 1, 0, 0)), WallTime::max());
}

TEST(ScheduleExpressionTest, WhatEventBridgeWouldRefuseOrWeDoNotSupportIsRefusedWithWhy) {
  for (const auto& [expr, why] : std::vector<std::pair<const char*, const char*>>{
           {"rate(0 minutes)", "from 1"},
           {"rate(5 fortnights)", "unit"},
           {"rate(5minutes)", "N must"},
           {"every 5 minutes", "rate(N unit) or cron("},
           {"cron(0 12 * * *)", "six fields"},
           {"cron(0 12 * * * *)", "exactly one"},
           {"cron(0 12 ? * ? *)", "exactly one"},
           {"cron(0 12 L * ? *)", "not supported"},
           {"cron(0 12 ? * 6#3 *)", "not supported"},
           {"cron(60 * * * ? *)", "within 0..59"},
           {"cron(0 24 * * ? *)", "within 0..23"},
           {"cron(0 0 30 2 ? *)", "never fires"},
           {"cron(0 0 * FOO ? *)", "not a value"},
           {"cron(*/0 * * * ? *)", "positive"},
       }) {
    auto e = ScheduleExpression::Parse(expr);
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << expr;
    EXPECT_THAT(e.status().message(), HasSubstr(why)) << expr;
    EXPECT_EQ(e.status().field(), "expression") << expr;
  }
}

}  // namespace
}  // namespace tailor::scheduler
