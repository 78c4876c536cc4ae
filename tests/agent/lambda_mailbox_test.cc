// The hand-off between the agent and a Lambda runtime: one invocation at a time, answers only
// for the request id handed out, init errors only during init, and an instance that ends fails
// what it was serving.
#include "agent/runtime/lambda_mailbox.h"

#include <gtest/gtest.h>

#include <future>

namespace tailor::agent {
namespace {

using namespace std::chrono_literals;

auto Soon() { return std::chrono::steady_clock::now() + 5s; }

TEST(LambdaMailboxTest, AnEventGoesToTheRuntimeAndItsResponseComesBack) {
  LambdaMailbox box(1 << 20);
  EXPECT_FALSE(box.init_done());
  auto runtime = std::async(std::launch::async, [&] {
    auto event = box.Next(5s);
    EXPECT_TRUE(event.has_value());
    if (event) {
      EXPECT_TRUE(box.Respond(event->request_id, "out:" + event->payload).ok());
    }
  });
  ASSERT_TRUE(box.Post({"req-1", "in", 0, "", ""}).ok());
  auto result = box.WaitResult(Soon(), {});
  runtime.get();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->end, LambdaEnd::kResponse);
  EXPECT_EQ(result->body, "out:in");
  EXPECT_TRUE(box.init_done().has_value());
}

TEST(LambdaMailboxTest, OnlyTheOutstandingRequestIdMayBeAnsweredAndOnlyOnce) {
  LambdaMailbox box(1 << 20);
  ASSERT_TRUE(box.Post({"req-1", "", 0, "", ""}).ok());
  EXPECT_EQ(box.Post({"req-2", "", 0, "", ""}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(box.Respond("req-1", "early").code(), StatusCode::kNotFound) << "not handed out yet";
  ASSERT_TRUE(box.Next(1s).has_value());
  EXPECT_EQ(box.Respond("someone-else", "x").code(), StatusCode::kNotFound);
  EXPECT_TRUE(box.Fail("req-1", R"({"errorType":"E"})", "Unhandled").ok());
  EXPECT_EQ(box.Respond("req-1", "again").code(), StatusCode::kNotFound);
  auto result = box.WaitResult(Soon(), {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->end, LambdaEnd::kFunctionError);
  EXPECT_EQ(result->error_type, "Unhandled");
}

TEST(LambdaMailboxTest, AResponseOverTheLimitEndsTheInvocationAsTooLarge) {
  LambdaMailbox box(4);
  ASSERT_TRUE(box.Post({"r", "", 0, "", ""}).ok());
  ASSERT_TRUE(box.Next(1s).has_value());
  EXPECT_EQ(box.Respond("r", "12345").code(), StatusCode::kResourceExhausted);
  auto result = box.WaitResult(Soon(), {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->end, LambdaEnd::kTooLarge);
}

TEST(LambdaMailboxTest, InitErrorsAreTakenBeforeTheFirstNextOnlyAndFailThePostedEvent) {
  LambdaMailbox late(1 << 20);
  EXPECT_FALSE(late.Next(1ms).has_value());  // init is over
  EXPECT_EQ(late.InitFailed("{}", "E").code(), StatusCode::kFailedPrecondition);

  LambdaMailbox box(1 << 20);
  ASSERT_TRUE(box.Post({"r", "", 0, "", ""}).ok());
  ASSERT_TRUE(box.InitFailed(R"({"errorType":"ImportError"})", "Runtime.ImportModuleError").ok());
  EXPECT_TRUE(box.closed());
  auto result = box.WaitResult(Soon(), {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->end, LambdaEnd::kInitError);
  EXPECT_EQ(result->error_type, "Runtime.ImportModuleError");
}

TEST(LambdaMailboxTest, ClosingFailsTheOutstandingInvocationAndReleasesAWaitingNext) {
  LambdaMailbox box(1 << 20);
  auto waiting = std::async(std::launch::async, [&] { return box.Next(10s); });
  std::this_thread::sleep_for(20ms);  // let it wait (the result does not depend on it)
  box.Close({LambdaEnd::kExited, "gone", "Runtime.ExitError"});
  EXPECT_FALSE(waiting.get().has_value());
  EXPECT_EQ(box.Post({"r", "", 0, "", ""}).code(), StatusCode::kFailedPrecondition);

  LambdaMailbox serving(1 << 20);
  ASSERT_TRUE(serving.Post({"r", "", 0, "", ""}).ok());
  ASSERT_TRUE(serving.Next(1s).has_value());
  serving.Close({LambdaEnd::kExited, "exit status 3", "Runtime.ExitError"});
  auto result = serving.WaitResult(Soon(), {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->end, LambdaEnd::kExited);
  EXPECT_EQ(result->body, "exit status 3");
}

TEST(LambdaMailboxTest, WaitingEndsAtTheDeadlineOrWhenTheCallerLeaves) {
  LambdaMailbox box(1 << 20);
  ASSERT_TRUE(box.Post({"r", "", 0, "", ""}).ok());
  EXPECT_FALSE(box.WaitResult(std::chrono::steady_clock::now() + 10ms, {}).has_value());
  EXPECT_FALSE(box.WaitResult(Soon(), [] { return true; }).has_value());
}

}  // namespace
}  // namespace tailor::agent
