#include "scheduler/async_queue.h"

#include <gtest/gtest.h>

#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

using namespace std::chrono_literals;

class AsyncQueueTest : public testing::SchedulerDbTest {
 protected:
  std::unique_ptr<AsyncQueue> Open() { return AsyncQueue::Open(db_path_, clock_).value(); }
  v1::GatewayInvokeRequest Req(const std::string& fn, const std::string& payload) {
    v1::GatewayInvokeRequest r;
    r.set_function_name(fn);
    r.set_payload(payload);
    return r;
  }
};

TEST_F(AsyncQueueTest, ClaimsInOrderRecordsOutcomesAndBacksOff) {
  auto q = Open();
  auto a = q->Enqueue(Req("f", "one"));
  clock_.Advance(1ms);
  auto b = q->Enqueue(Req("f", std::string("two\0bytes", 9)));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(q->Get(*a)->state(), v1::ASYNC_STATE_QUEUED);
  auto first = q->ClaimDue();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->id, *a);
  EXPECT_EQ((*first)->attempts, 1u);
  EXPECT_EQ(q->Get(*a)->state(), v1::ASYNC_STATE_RUNNING);
  v1::GatewayInvokeResponse resp;
  resp.set_output("done");
  ASSERT_TRUE(q->Succeed(*a, resp).ok());
  EXPECT_EQ(q->Get(*a)->response().output(), "done");

  auto second = q->ClaimDue();
  EXPECT_EQ((*second)->request.payload(), std::string("two\0bytes", 9));
  ASSERT_TRUE(q->Retry(*b, "no capacity", 500ms).ok());
  EXPECT_FALSE(q->ClaimDue()->has_value()) << "not due before the backoff";
  clock_.Advance(500ms);
  auto again = q->ClaimDue();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->attempts, 2u);
  ASSERT_TRUE(q->Fail(*b, "gave up").ok());
  EXPECT_EQ(q->Get(*b)->state(), v1::ASYNC_STATE_FAILED);
  EXPECT_EQ(q->Get(*b)->error(), "gave up");
  EXPECT_EQ(q->Get("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(AsyncQueueTest, AcceptedInvocationsSurviveACrashAndOnlyIdempotentOnesRunAgain) {
  std::string queued, running_idem, running_once;
  {
    auto q = Open();
    running_idem = *q->Enqueue(Req("idem", ""));
    clock_.Advance(1ms);
    running_once = *q->Enqueue(Req("once", ""));
    clock_.Advance(1ms);
    queued = *q->Enqueue(Req("idem", ""));
    ASSERT_TRUE(q->ClaimDue()->has_value());
    ASSERT_TRUE(q->ClaimDue()->has_value());
    // The scheduler dies here, with two invocations running.
  }
  auto q = Open();
  auto requeued = q->Recover([](const std::string& f) { return f == "idem"; });
  ASSERT_TRUE(requeued.ok());
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(q->Get(running_idem)->state(), v1::ASYNC_STATE_QUEUED);
  EXPECT_EQ(q->Get(running_once)->state(), v1::ASYNC_STATE_FAILED);
  EXPECT_NE(q->Get(running_once)->error().find("not marked idempotent"), std::string::npos);
  EXPECT_EQ(q->Get(queued)->state(), v1::ASYNC_STATE_QUEUED);
  auto stats = q->GetStats();
  EXPECT_EQ(stats->queued, 2);
  EXPECT_EQ(stats->running, 0);
}

}  // namespace
}  // namespace tailor::scheduler
