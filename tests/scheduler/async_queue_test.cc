#include "scheduler/async_queue.h"

#include <gtest/gtest.h>

#include "scheduler/run_store.h"
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
  auto a = q->Enqueue(Req("f", "one"), "default");
  clock_.Advance(1ms);
  auto b = q->Enqueue(Req("f", std::string("two\0bytes", 9)), "default");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(q->Get(*a)->state(), v1::ASYNC_STATE_QUEUED);
  auto first = q->ClaimDue();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->id, *a);
  EXPECT_EQ((*first)->attempts, 1u);
  EXPECT_EQ(q->Get(*a)->state(), v1::ASYNC_STATE_RUNNING);
  v1::GatewayInvokeResponse resp;
  resp.set_output("done");
  resp.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  resp.set_node_id("n1");
  ASSERT_TRUE(q->Finish(*a, resp).ok());
  EXPECT_EQ(q->Get(*a)->state(), v1::ASYNC_STATE_SUCCEEDED);
  EXPECT_EQ(q->Get(*a)->outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  EXPECT_EQ(q->Get(*a)->response().output(), "done");
  EXPECT_EQ(q->Get(*a)->node_id(), "n1");

  auto second = q->ClaimDue();
  EXPECT_EQ((*second)->request.payload(), std::string("two\0bytes", 9));
  ASSERT_TRUE(q->Retry(*b, "no capacity", 500ms).ok());
  EXPECT_FALSE(q->ClaimDue()->has_value()) << "not due before the backoff";
  clock_.Advance(500ms);
  auto again = q->ClaimDue();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->attempts, 2u);
  ASSERT_TRUE(q->Fail(*b, v1::RUN_OUTCOME_NOT_RUN, "gave up").ok());
  EXPECT_EQ(q->Get(*b)->state(), v1::ASYNC_STATE_FAILED);
  EXPECT_EQ(q->Get(*b)->outcome(), v1::RUN_OUTCOME_NOT_RUN);
  EXPECT_EQ(q->Get(*b)->error(), "gave up");
  EXPECT_EQ(q->Get("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(AsyncQueueTest, WaitingForCapacitySpendsNoTryAndKeepsWhenItWasAccepted) {
  auto q = Open();
  const int64_t accepted_ms = ToUnixMillis(clock_.WallNow());
  auto id = q->Enqueue(Req("f", "x"), "default");
  ASSERT_TRUE(id.ok());
  for (int i = 0; i < 20; ++i) {  // far more than any limit of tries
    clock_.Advance(250ms);
    auto claimed = q->ClaimDue();
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    EXPECT_EQ((*claimed)->attempts, 1u) << "deferred claims are not tries";
    EXPECT_EQ((*claimed)->created_unix_ms, accepted_ms);
    ASSERT_TRUE(q->Defer(*id, "no capacity", 250ms).ok());
    EXPECT_EQ(q->Get(*id)->state(), v1::ASYNC_STATE_QUEUED);
    EXPECT_EQ(q->Get(*id)->error(), "no capacity");
    EXPECT_FALSE(q->ClaimDue()->has_value()) << "not due before the recheck";
  }
  // A real failure after all that is the first try.
  clock_.Advance(250ms);
  ASSERT_TRUE(q->ClaimDue()->has_value());
  ASSERT_TRUE(q->Retry(*id, "refused", 1ms).ok());
  EXPECT_EQ(q->Get(*id)->attempts(), 1u);
}

TEST_F(AsyncQueueTest, AFullQueueRefusesWithARetryHintAndTakesMoreOnceItDrains) {
  auto q = AsyncQueue::Open(db_path_, clock_, {.max_pending = 2, .retry_after = 2s}).value();
  auto a = q->Enqueue(Req("f", "a"), "default");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(q->Enqueue(Req("f", "b"), "default").ok());
  auto full = q->Enqueue(Req("f", "c"), "default");
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(full.status().retry_after(), 2s);
  EXPECT_EQ(q->GetStats()->queued, 2) << "nothing was added";
  // The same idempotency key is the same invocation, full queue or not.
  auto keyed = Req("f", "k");
  keyed.set_idempotency_key("k1");
  ASSERT_TRUE(q->Fail(*a, v1::RUN_OUTCOME_NOT_RUN, "made room").ok());
  auto first = q->Enqueue(keyed, "default");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*q->Enqueue(keyed, "default"), *first);
}

TEST_F(AsyncQueueTest, AcceptedInvocationsSurviveACrashAndOnlyIdempotentOnesRunAgain) {
  std::string queued, running_idem, running_once, never_sent;
  {
    auto q = Open();
    running_idem = *q->Enqueue(Req("idem", ""), "default");
    clock_.Advance(1ms);
    running_once = *q->Enqueue(Req("once", ""), "default");
    clock_.Advance(1ms);
    never_sent = *q->Enqueue(Req("once", ""), "default");
    clock_.Advance(1ms);
    queued = *q->Enqueue(Req("idem", ""), "default");
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(q->ClaimDue()->has_value());
    ASSERT_TRUE(q->RecordAttempt(running_idem, "inv-idem", "n1").ok());
    ASSERT_TRUE(q->RecordAttempt(running_once, "inv-once", "n1").ok());
    // The scheduler dies here: three invocations running, two of them sent to n1.
  }
  auto q = Open();
  auto recovered = q->Recover([](const std::string& f) { return f == "idem"; });
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(recovered->requeued, 2);
  EXPECT_EQ(recovered->awaiting, 1);
  EXPECT_EQ(recovered->finished, 0);
  EXPECT_EQ(q->Get(running_idem)->state(), v1::ASYNC_STATE_QUEUED);
  EXPECT_EQ(q->Get(never_sent)->state(), v1::ASYNC_STATE_QUEUED) << "it cannot have run";
  EXPECT_EQ(q->Get(queued)->state(), v1::ASYNC_STATE_QUEUED);
  // The one that may be running waits for its report, then fails, told why.
  EXPECT_EQ(q->Get(running_once)->state(), v1::ASYNC_STATE_RUNNING);
  EXPECT_EQ(*q->Reconcile(), 0);
  clock_.Advance(60s);  // the function's timeout (unset here: 0) plus the 60 s grace
  EXPECT_EQ(*q->Reconcile(), 1);
  EXPECT_EQ(q->Get(running_once)->state(), v1::ASYNC_STATE_FAILED);
  EXPECT_EQ(q->Get(running_once)->outcome(), v1::RUN_OUTCOME_AGENT_LOST);
  EXPECT_NE(q->Get(running_once)->error().find("not marked idempotent"), std::string::npos);
  auto stats = q->GetStats();
  EXPECT_EQ(stats->queued, 3);
  EXPECT_EQ(stats->running, 0);
}

TEST_F(AsyncQueueTest, AfterACrashAnInvocationWhoseRunReportedTakesItsOutcomeFromTheReport) {
  auto db = SqliteDb::Open(db_path_);
  RunStore runs(**db, clock_);
  std::string done_before, done_after, failed_after;
  {
    auto q = Open();
    done_before = *q->Enqueue(Req("once", ""), "default");
    done_after = *q->Enqueue(Req("once", ""), "default");
    failed_after = *q->Enqueue(Req("once", ""), "default");
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(q->ClaimDue()->has_value());
    ASSERT_TRUE(q->RecordAttempt(done_before, "inv-a", "n1").ok());
    ASSERT_TRUE(q->RecordAttempt(done_after, "inv-b", "n1").ok());
    ASSERT_TRUE(q->RecordAttempt(failed_after, "inv-c", "n2").ok());
  }
  // One run's report was stored before the crash; the others arrive after the restart.
  const int64_t now_ms = ToUnixMillis(clock_.WallNow());
  const v1::RunReport a = testing::GoodReport("inv-a", "once", "n1", now_ms);
  ASSERT_TRUE(runs.Insert({{&a, "c"}}).ok());
  auto q = Open();
  auto recovered = q->Recover([](const std::string&) { return false; });
  ASSERT_TRUE(recovered.ok());
  EXPECT_EQ(recovered->finished, 1);
  EXPECT_EQ(recovered->awaiting, 2);
  auto first = q->Get(done_before);
  EXPECT_EQ(first->state(), v1::ASYNC_STATE_SUCCEEDED);
  EXPECT_EQ(first->outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  EXPECT_EQ(first->node_id(), "n1");
  EXPECT_EQ(first->response().report().invocation_id(), "inv-a");
  EXPECT_NE(first->error().find("output was lost"), std::string::npos) << first->error();

  v1::RunReport b = testing::GoodReport("inv-b", "once", "n1", now_ms);
  v1::RunReport c = testing::GoodReport("inv-c", "once", "n2", now_ms);
  c.set_outcome(v1::RUN_OUTCOME_FUNCTION_ERROR);
  c.set_exit_code(3);
  ASSERT_TRUE(runs.Insert({{&b, "c"}, {&c, "c"}}).ok());
  EXPECT_EQ(*q->Reconcile(), 2);
  EXPECT_EQ(q->Get(done_after)->state(), v1::ASYNC_STATE_SUCCEEDED);
  auto failed = q->Get(failed_after);
  EXPECT_EQ(failed->state(), v1::ASYNC_STATE_FAILED);
  EXPECT_EQ(failed->outcome(), v1::RUN_OUTCOME_FUNCTION_ERROR);
  EXPECT_EQ(failed->exit_code(), 3);
  EXPECT_NE(failed->error().find("exited with code 3"), std::string::npos) << failed->error();
  EXPECT_EQ(*q->Reconcile(), 0) << "settled once";
}

TEST_F(AsyncQueueTest, ACallbackWaitsForTheInvocationThenIsDueAndRecordsEachTry) {
  auto q = Open();
  auto req = Req("f", "x");
  req.set_callback_url("https://hooks.example.com/done");
  auto id = q->Enqueue(req, "default");
  auto plain = q->Enqueue(Req("f", "y"), "default");
  ASSERT_TRUE(id.ok() && plain.ok());
  EXPECT_EQ(q->Get(*id)->callback().state(), v1::CALLBACK_STATE_WAITING);
  EXPECT_FALSE(q->Get(*plain)->has_callback());
  EXPECT_FALSE(q->NextDueCallback()->has_value()) << "not finished yet";

  ASSERT_TRUE(q->ClaimDue()->has_value());
  ASSERT_TRUE(q->ClaimDue()->has_value());
  v1::GatewayInvokeResponse done;
  done.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  ASSERT_TRUE(q->Finish(*id, done).ok());
  ASSERT_TRUE(q->Finish(*plain, done).ok());
  auto due = q->NextDueCallback();
  ASSERT_TRUE(due.ok() && due->has_value());
  EXPECT_EQ((*due)->id, *id);
  EXPECT_EQ((*due)->url, "https://hooks.example.com/done");
  EXPECT_EQ((*due)->attempts, 0u);

  ASSERT_TRUE(q->RecordCallback(*id, v1::CALLBACK_STATE_PENDING, "HTTP 500", 2s).ok());
  EXPECT_FALSE(q->NextDueCallback()->has_value()) << "not before its backoff";
  EXPECT_EQ(*q->NextCallbackDueUnixMs(), ToUnixMillis(clock_.WallNow()) + 2000);
  clock_.Advance(2s);
  ASSERT_TRUE(q->NextDueCallback()->has_value());
  ASSERT_TRUE(q->RecordCallback(*id, v1::CALLBACK_STATE_DELIVERED, "", 0s).ok());
  auto cb = q->Get(*id)->callback();
  EXPECT_EQ(cb.state(), v1::CALLBACK_STATE_DELIVERED);
  EXPECT_EQ(cb.attempts(), 2u);
  EXPECT_EQ(cb.delivered_unix_ms(), ToUnixMillis(clock_.WallNow()));
  EXPECT_FALSE(q->NextDueCallback()->has_value());
  EXPECT_FALSE(q->NextCallbackDueUnixMs()->has_value());
}

// A function that ran and failed is FAILED, not SUCCEEDED, and keeps what it said.
TEST_F(AsyncQueueTest, ARunThatFailedIsFailedWithItsExitCodeStderrAndOutput) {
  auto q = Open();
  auto id = q->Enqueue(Req("f", ""), "default");
  ASSERT_TRUE(q->ClaimDue()->has_value());
  v1::GatewayInvokeResponse resp;
  resp.set_outcome(v1::RUN_OUTCOME_FUNCTION_ERROR);
  resp.set_error("exited with code 3");
  resp.set_output("partial");
  resp.set_stderr_tail("boom\n");
  resp.mutable_report()->set_exit_code(3);
  resp.set_node_id("n2");
  ASSERT_TRUE(q->Finish(*id, resp).ok());
  auto r = q->Get(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state(), v1::ASYNC_STATE_FAILED);
  EXPECT_EQ(r->outcome(), v1::RUN_OUTCOME_FUNCTION_ERROR);
  EXPECT_EQ(r->exit_code(), 3);
  EXPECT_EQ(r->stderr_tail(), "boom\n");
  EXPECT_EQ(r->error(), "exited with code 3");
  EXPECT_EQ(r->node_id(), "n2");
  EXPECT_EQ(r->response().output(), "partial");
}

TEST_F(AsyncQueueTest, TheSameIdempotencyKeyQueuesOnceForAFunction) {
  auto q = Open();
  auto keyed = Req("f", "x");
  keyed.set_idempotency_key("order-17");
  auto first = q->Enqueue(keyed, "default");
  auto again = q->Enqueue(keyed, "default");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(*first, *again);
  auto other_function = Req("g", "x");
  other_function.set_idempotency_key("order-17");
  EXPECT_NE(*q->Enqueue(other_function, "default"), *first) << "keys belong to a function";
  EXPECT_NE(*q->Enqueue(Req("f", "x"), "default"), *first) << "no key: every call is new";
  EXPECT_EQ(q->GetStats()->queued, 3);
}

}  // namespace
}  // namespace tailor::scheduler
