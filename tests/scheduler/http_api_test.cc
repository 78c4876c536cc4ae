// The HTTP endpoint's parsing of untrusted requests, and what its answers say.
#include "scheduler/http_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tailor::scheduler {
namespace {

using ::testing::HasSubstr;

TEST(HttpApiTest, InvokeAsyncReadsTheNameVersionKeyAndBody) {
  auto r = ParseInvokeAsync("/v1/functions/sha256/invoke-async?version=1.0%2Bb7", "{}", "k-1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->function_name(), "sha256");
  EXPECT_EQ(r->function_version(), "1.0+b7");
  EXPECT_EQ(r->idempotency_key(), "k-1");
  EXPECT_EQ(r->payload(), "{}");
}

TEST(HttpApiTest, PathStepsBadEscapesAndUnknownParametersAreA400NamingTheField) {
  struct Case {
    std::string target;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {"/v1/functions/../invoke-async", "function_name"},
           {"/v1/functions/%2e%2e/invoke-async", "function_name"},
           {"/v1/functions/a%2Fb/invoke-async", "function_name"},
           {"/v1/functions/f/invoke-async?version=..", "function_version"},
           {"/v1/functions/f/invoke-async?version=%zz", "version"},
           {"/v1/functions/f/invoke-async?policy=x", "query"},
       }) {
    auto r = ParseInvokeAsync(c.target, "", "");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.target;
    EXPECT_EQ(r.status().field(), c.field) << c.target << ": " << r.status();
    EXPECT_EQ(HttpStatusFor(r.status()), 400);
  }
  EXPECT_EQ(
      ParseInvokeAsync("/v1/functions/f/invoke-async", "", "no spaces allowed").status().field(),
      "idempotency_key");
  EXPECT_EQ(ParseInvokeAsync("/v2/other", "", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParseResultTarget("/v1/invocations/..").status().field(), "id");
  EXPECT_EQ(*ParseResultTarget("/v1/invocations/abc123"), "abc123");
}

TEST(HttpApiTest, AFailedRunSaysItsOutcomeExitCodeAndStderrAndErrorsNameTheField) {
  v1::AsyncResult r;
  r.set_id("abc");
  r.set_state(v1::ASYNC_STATE_FAILED);
  r.set_outcome(v1::RUN_OUTCOME_FUNCTION_ERROR);
  r.set_exit_code(3);
  r.set_stderr_tail("broke\n");
  r.set_error("exited with code 3");
  r.mutable_response()->set_output(std::string("\xff\xfe", 2));  // not UTF-8
  auto j = nlohmann::json::parse(AsyncResultJson(r));
  EXPECT_EQ(j["state"], "failed");
  EXPECT_EQ(j["outcome"], "function_error");
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["stderr_tail"], "broke\n");
  EXPECT_EQ(j["error"], "exited with code 3");
  auto e = nlohmann::json::parse(
      ErrorJson(InvalidArgumentError("version is bad").WithField("function_version")));
  EXPECT_EQ(e["field"], "function_version");
  EXPECT_EQ(e["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(HttpStatusFor(ResourceExhaustedError("full")), 429);
}

TEST(HttpApiTest, ComeBackLaterErrorsSayWhenAndAFullDiskIsNotAClientError) {
  const Status busy =
      ResourceExhaustedError("queue full").WithRetryAfter(std::chrono::milliseconds(1500));
  EXPECT_EQ(HttpStatusFor(busy), 429);
  EXPECT_EQ(RetryAfterSeconds(busy), 2) << "rounded up";
  EXPECT_EQ(nlohmann::json::parse(ErrorJson(busy))["retry_after_ms"], 1500);
  EXPECT_EQ(RetryAfterSeconds(ResourceExhaustedError("no hint")), 0);
  const Status disk =
      UnavailableError("database or disk is full").WithReason(ErrorReason::kStorageFull);
  EXPECT_EQ(HttpStatusFor(disk), 507);
  EXPECT_EQ(HttpStatusFor(UnavailableError("away")), 503);
}

}  // namespace
}  // namespace tailor::scheduler
