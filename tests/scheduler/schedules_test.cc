// Schedules on a real SQLite file and a real async queue, on a simulated clock: one firing per
// period, across restarts (the objects opened again on the same file) and a crash between
// queueing and moving on; missed periods fire once.
#include "scheduler/schedules.h"

#include <gtest/gtest.h>

#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

using namespace std::chrono_literals;

class SchedulesTest : public testing::SchedulerDbTest {
 protected:
  void Reopen() {
    schedules_ = Schedules::Open(db_path_, clock_).value();
    queue_ = AsyncQueue::Open(db_path_, clock_).value();
  }
  void SetUp() override {
    SchedulerDbTest::SetUp();
    Reopen();
  }
  v1::Schedule Every5Minutes(const std::string& name = "tick") {
    v1::Schedule s;
    s.set_name(name);
    s.set_function_name("report");
    s.set_function_version("2");
    s.set_expression("rate(5 minutes)");
    s.set_payload(R"({"kind":"nightly"})");
    return s;
  }
  // Every queued invocation, claimed (so each counts once).
  std::vector<AsyncQueue::Claimed> Queued() {
    std::vector<AsyncQueue::Claimed> out;
    while (true) {
      auto c = queue_->ClaimDue();
      if (!c.ok() || !c->has_value()) break;
      out.push_back(**c);
    }
    return out;
  }
  std::unique_ptr<Schedules> schedules_;
  std::unique_ptr<AsyncQueue> queue_;
};

TEST_F(SchedulesTest, AScheduleQueuesItsFunctionOncePerPeriod) {
  auto created = schedules_->Create(Every5Minutes(), "acme");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->tenant(), "acme");
  EXPECT_EQ(created->next_fire_unix_ms(), ToUnixMillis(clock_.WallNow() + 5min));
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 0);
  clock_.Advance(5min);
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 1);
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 0) << "the same period fires once";
  auto queued = Queued();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].request.function_name(), "report");
  EXPECT_EQ(queued[0].request.function_version(), "2");
  EXPECT_EQ(queued[0].request.payload(), R"({"kind":"nightly"})");
  EXPECT_EQ(queued[0].tenant, "acme");
  clock_.Advance(4min);
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 0);
  clock_.Advance(1min);
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 1);
  EXPECT_EQ(Queued().size(), 1u);
  auto s = schedules_->Get("tick");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->last_fired_unix_ms(), ToUnixMillis(clock_.WallNow()));
  EXPECT_FALSE(s->last_invocation_id().empty());
}

TEST_F(SchedulesTest, ARestartFiresNoPeriodTwiceAndMissesNone) {
  ASSERT_TRUE(schedules_->Create(Every5Minutes(), "default").ok());
  clock_.Advance(5min);
  ASSERT_EQ(schedules_->FireDue(*queue_)->queued, 1);
  Reopen();  // the scheduler restarts within the period
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 0);
  clock_.Advance(5min);
  Reopen();  // and again, just as the next period comes
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 1);
  EXPECT_EQ(Queued().size(), 2u);
}

TEST_F(SchedulesTest, ACrashBetweenQueueingAndMovingOnQueuesThePeriodOnce) {
  auto created = schedules_->Create(Every5Minutes(), "default");
  ASSERT_TRUE(created.ok());
  clock_.Advance(5min);
  // What a scheduler that crashed right after queueing left behind: the entry, under the
  // period's key, and the schedule not moved on.
  v1::GatewayInvokeRequest earlier;
  earlier.set_function_name("report");
  earlier.set_function_version("2");
  earlier.set_idempotency_key("schedule.tick." + std::to_string(created->next_fire_unix_ms()));
  auto first = queue_->Enqueue(earlier, "default");
  ASSERT_TRUE(first.ok());
  Reopen();
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 1);
  EXPECT_EQ(schedules_->Get("tick")->last_invocation_id(), *first);
  EXPECT_EQ(Queued().size(), 1u);
}

TEST_F(SchedulesTest, PeriodsMissedWhileDownFireOnceNotOneByOne) {
  ASSERT_TRUE(schedules_->Create(Every5Minutes(), "default").ok());
  clock_.Advance(31min);  // periods at 5, 10, ..., 30 minutes have passed
  auto fired = schedules_->FireDue(*queue_);
  ASSERT_TRUE(fired.ok());
  EXPECT_EQ(fired->queued, 1);
  EXPECT_EQ(fired->skipped_periods, 5);
  EXPECT_EQ(Queued().size(), 1u);
  EXPECT_EQ(schedules_->Get("tick")->next_fire_unix_ms(), ToUnixMillis(clock_.WallNow() + 4min));
}

TEST_F(SchedulesTest, BadSchedulesAreRefusedAndDeletedOnesStop) {
  v1::Schedule bad = Every5Minutes();
  bad.set_expression("rate(5 fortnights)");
  EXPECT_EQ(schedules_->Create(bad, "default").status().field(), "expression");
  bad = Every5Minutes("../etc");
  EXPECT_EQ(schedules_->Create(bad, "default").status().code(), StatusCode::kInvalidArgument);
  bad = Every5Minutes();
  bad.set_payload(std::string(300 << 10, 'x'));
  EXPECT_EQ(schedules_->Create(bad, "default").status().field(), "schedule.payload");
  ASSERT_TRUE(schedules_->Create(Every5Minutes(), "default").ok());
  EXPECT_EQ(schedules_->Create(Every5Minutes(), "default").status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(schedules_->Delete("tick").ok());
  EXPECT_EQ(schedules_->Delete("tick").code(), StatusCode::kNotFound);
  clock_.Advance(10min);
  EXPECT_EQ(schedules_->FireDue(*queue_)->queued, 0);
}

}  // namespace
}  // namespace tailor::scheduler
