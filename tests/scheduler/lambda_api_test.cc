// The Lambda invoke API's parsing and answers, as the AWS CLI and SDKs send and read them.
#include "scheduler/lambda_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tailor::scheduler {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;

Result<LambdaInvoke> Parse(std::string_view target, std::string_view body = "{}",
                           LambdaHeaders headers = {}) {
  return ParseLambdaInvoke(target, headers, body, 1 << 20);
}

std::string Header(const LambdaHttpAnswer& a, std::string_view name) {
  for (const auto& [n, v] : a.headers) {
    if (n == name) return v;
  }
  return "";
}

TEST(LambdaApiTest, AFunctionIsNamedByNameArnOrPartialArnWithAnOptionalQualifier) {
  auto plain = Parse("/2015-03-31/functions/words/invocations");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->request.function_name(), "words");
  EXPECT_EQ(plain->request.function_version(), "");
  EXPECT_EQ(plain->type, LambdaInvocationType::kRequestResponse);
  auto arn = Parse(
      "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Awords%3A2/"
      "invocations");
  ASSERT_TRUE(arn.ok()) << arn.status();
  EXPECT_EQ(arn->request.function_name(), "words");
  EXPECT_EQ(arn->request.function_version(), "2");
  auto partial = Parse("/2015-03-31/functions/123456789012:function:words/invocations?Qualifier=3");
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->request.function_version(), "3");
  auto latest = Parse("/2015-03-31/functions/words/invocations?Qualifier=%24LATEST");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->request.function_version(), "");
}

TEST(LambdaApiTest, BadNamesQualifiersAndHeadersAreInvalidParameters) {
  for (const char* target : {"/2015-03-31/functions/..%2F..%2Fetc/invocations",
                             "/2015-03-31/functions/a:b:c:d/invocations",
                             "/2015-03-31/functions/words/invocations?Qualifier=..",
                             "/2015-03-31/functions/words:1/invocations?Qualifier=2",
                             "/2015-03-31/functions/words/invocations?Other=1"}) {
    auto r = Parse(target);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << target;
    EXPECT_EQ(LambdaErrorFor(r.status()).status, 400) << target;
  }
  EXPECT_EQ(Parse("/2015-03-31/functions/words/invocations", "{}", {"Later", ""}).status().field(),
            "X-Amz-Invocation-Type");
  EXPECT_EQ(Parse("/2015-03-31/functions/words/invocations", "{}", {"", "All"}).status().field(),
            "X-Amz-Log-Type");
  EXPECT_EQ(Parse("/2015-03-31/functions//invocations").status().code(), StatusCode::kNotFound);
}

TEST(LambdaApiTest, TheEventMustBeJsonAndWithinTheLimit) {
  auto bad = Parse("/2015-03-31/functions/words/invocations", "not json");
  const LambdaHttpAnswer a = LambdaErrorFor(bad.status());
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(Header(a, "x-amzn-ErrorType"), "InvalidRequestContentException");
  auto big = ParseLambdaInvoke("/2015-03-31/functions/words/invocations", {}, "[1,2,3]", 4);
  EXPECT_EQ(LambdaErrorFor(big.status()).status, 413);
  auto empty = Parse("/2015-03-31/functions/words/invocations", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->request.payload(), "{}");
}

TEST(LambdaApiTest, InvocationTypesAndLogTail) {
  EXPECT_EQ(Parse("/2015-03-31/functions/f/invocations", "{}", {"Event", ""})->type,
            LambdaInvocationType::kEvent);
  EXPECT_EQ(Parse("/2015-03-31/functions/f/invocations", "{}", {"DryRun", ""})->type,
            LambdaInvocationType::kDryRun);
  EXPECT_TRUE(Parse("/2015-03-31/functions/f/invocations", "{}", {"", "Tail"})->tail);
}

TEST(LambdaApiTest, ASuccessIsTheResponseAndAFailureIsUnhandledWithLambdasJson) {
  v1::GatewayInvokeResponse ok;
  ok.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  ok.set_output(R"({"words":2})");
  ok.set_stderr_tail("hello log\n");
  ok.mutable_report()->set_function_version("1");
  ok.mutable_report()->set_invocation_id("abc");
  const LambdaHttpAnswer a = LambdaAnswerFor(ok, /*tail=*/true);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"words":2})");
  EXPECT_EQ(Header(a, "X-Amz-Executed-Version"), "1");
  EXPECT_EQ(Header(a, "X-Amz-Log-Result"), "aGVsbG8gbG9nCg==");
  EXPECT_EQ(Header(a, "X-Amz-Function-Error"), "");

  v1::GatewayInvokeResponse failed;
  failed.set_outcome(v1::RUN_OUTCOME_FUNCTION_ERROR);
  failed.set_output(R"({"errorType":"ValueError","errorMessage":"bad"})");
  const LambdaHttpAnswer f = LambdaAnswerFor(failed, false);
  EXPECT_EQ(f.status, 200);
  EXPECT_EQ(Header(f, "X-Amz-Function-Error"), "Unhandled");
  EXPECT_EQ(f.body, failed.output());
  EXPECT_EQ(Header(f, "X-Amz-Log-Result"), "");

  // A plain function's output is not an error document: Lambda's own is written.
  failed.set_output("partial text");
  failed.set_error("exited with status 3");
  auto body = nlohmann::json::parse(LambdaAnswerFor(failed, false).body);
  EXPECT_EQ(body["errorType"], "Runtime.ExitError");
  EXPECT_EQ(body["errorMessage"], "exited with status 3");
  v1::GatewayInvokeResponse timed_out;
  timed_out.set_outcome(v1::RUN_OUTCOME_TIMED_OUT);
  EXPECT_EQ(nlohmann::json::parse(LambdaAnswerFor(timed_out, false).body)["errorType"],
            "Sandbox.Timedout");
}

TEST(LambdaApiTest, RequestErrorsUseLambdasTypesAndStatuses) {
  auto type_of = [](const Status& s) {
    const LambdaHttpAnswer a = LambdaErrorFor(s);
    return std::make_pair(a.status, Header(a, "x-amzn-ErrorType"));
  };
  EXPECT_THAT(type_of(NotFoundError("no function")), Pair(404, "ResourceNotFoundException"));
  EXPECT_THAT(type_of(UnauthenticatedError("x")), Pair(403, "MissingAuthenticationTokenException"));
  EXPECT_THAT(type_of(UnauthenticatedError("x").WithReason(ErrorReason::kUnknownCredential)),
              Pair(403, "UnrecognizedClientException"));
  EXPECT_THAT(type_of(UnauthenticatedError("x").WithReason(ErrorReason::kBadSignature)),
              Pair(403, "InvalidSignatureException"));
  EXPECT_THAT(type_of(InvalidArgumentError("x").WithField("Authorization")),
              Pair(403, "IncompleteSignatureException"));
  EXPECT_THAT(type_of(PermissionDeniedError("x")), Pair(403, "AccessDeniedException"));
  EXPECT_THAT(type_of(ResourceExhaustedError("x")), Pair(429, "TooManyRequestsException"));
  EXPECT_THAT(type_of(UnavailableError("x")), Pair(503, "ServiceException"));
  EXPECT_THAT(type_of(FailedPreconditionError("placement only")),
              Pair(409, "ResourceConflictException"));
  const auto body = nlohmann::json::parse(LambdaErrorFor(NotFoundError("no function f")).body);
  EXPECT_EQ(body["message"], "no function f");
  EXPECT_EQ(body["__type"], "ResourceNotFoundException");
}

}  // namespace
}  // namespace tailor::scheduler
