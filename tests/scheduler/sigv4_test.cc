// AWS Signature Version 4 verification. The known answer was made by botocore 1.43 (the AWS
// CLI's signer) for a Lambda invoke of an ARN with a qualifier: the path is encoded twice, the
// query canonicalized, the listed headers signed.
#include "scheduler/sigv4.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tailor::scheduler {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kAuthorization[] =
    "AWS4-HMAC-SHA256 Credential=AKTL0123456789ABCDEF/20261201/us-east-1/lambda/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-invocation-type;x-amz-log-type, "
    "Signature=1a37648028d09f99cc15e590b24ceac7fcbb2d6520fc78d2fa9b528220111ce2";
constexpr char kTarget[] =
    "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Awords/"
    "invocations?Qualifier=1";
constexpr char kBody[] = R"({"text": "a b"})";

SigV4Request Botocores() {
  return SigV4Request{"POST",
                      kTarget,
                      {{"Host", "127.0.0.1:8080"},
                       {"X-Amz-Invocation-Type", "RequestResponse"},
                       {"X-Amz-Log-Type", "Tail"},
                       {"X-Amz-Date", "20261201T062015Z"},
                       {"Content-Length", "15"},
                       {"Authorization", kAuthorization}},
                      kBody};
}

WallTime SignedAt() { return std::chrono::system_clock::from_time_t(1796106015); }  // 06:20:15

TEST(SigV4Test, ASignatureTheAwsCliMadeVerifies) {
  auto auth = ParseSigV4Authorization(kAuthorization);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->key_id, "AKTL0123456789ABCDEF");
  EXPECT_EQ(auth->region, "us-east-1");
  EXPECT_EQ(auth->service, "lambda");
  EXPECT_EQ(auth->signed_headers.size(), 4u);
  Status s = VerifySigV4(Botocores(), *auth, kSecret, SignedAt(), "lambda");
  EXPECT_TRUE(s.ok()) << s;
}

TEST(SigV4Test, AnyChangeToWhatWasSignedFailsAsABadSignature) {
  auto auth = ParseSigV4Authorization(kAuthorization);
  ASSERT_TRUE(auth.ok());
  auto expect_bad = [&](SigV4Request req, std::string_view secret, const char* what) {
    Status s = VerifySigV4(req, *auth, secret, SignedAt(), "lambda");
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated) << what;
    EXPECT_EQ(s.reason(), ErrorReason::kBadSignature) << what;
  };
  expect_bad(Botocores(), "another secret", "secret");
  SigV4Request body = Botocores();
  body.body = R"({"text": "a c"})";
  expect_bad(body, kSecret, "body");
  SigV4Request path = Botocores();
  std::string other_target = kTarget;
  other_target.replace(other_target.find("words"), 5, "other");
  path.target = other_target;
  expect_bad(path, kSecret, "path");
  SigV4Request query = Botocores();
  std::string other_query = std::string(kTarget).substr(0, std::string(kTarget).size() - 1) + "2";
  query.target = other_query;
  expect_bad(query, kSecret, "qualifier");
  SigV4Request header = Botocores();
  header.headers[2].second = "None";
  expect_bad(header, kSecret, "a signed header");
  SigV4Request extra = Botocores();
  extra.headers.emplace_back("X-Not-Signed", "anything");
  EXPECT_TRUE(VerifySigV4(extra, *auth, kSecret, SignedAt(), "lambda").ok())
      << "headers outside SignedHeaders do not count";
}

TEST(SigV4Test, RequestsSignedLongAgoOrForAnotherServiceAreRefused) {
  auto auth = ParseSigV4Authorization(kAuthorization);
  ASSERT_TRUE(auth.ok());
  Status late =
      VerifySigV4(Botocores(), *auth, kSecret, SignedAt() + std::chrono::minutes(16), "lambda");
  EXPECT_EQ(late.reason(), ErrorReason::kBadSignature);
  EXPECT_THAT(late.message(), HasSubstr("15 minutes"));
  EXPECT_TRUE(
      VerifySigV4(Botocores(), *auth, kSecret, SignedAt() - std::chrono::minutes(14), "lambda")
          .ok());
  EXPECT_EQ(VerifySigV4(Botocores(), *auth, kSecret, SignedAt(), "s3").reason(),
            ErrorReason::kBadSignature);
}

TEST(SigV4Test, WhatASignatureMustCoverIsRequired) {
  auto auth = ParseSigV4Authorization(
      "AWS4-HMAC-SHA256 Credential=AKTL0123456789ABCDEF/20261201/us-east-1/lambda/aws4_request, "
      "SignedHeaders=host, "
      "Signature=1a37648028d09f99cc15e590b24ceac7fcbb2d6520fc78d2fa9b528220111ce2");
  ASSERT_TRUE(auth.ok());
  Status s = VerifySigV4(Botocores(), *auth, kSecret, SignedAt(), "lambda");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "Authorization");
  SigV4Request unsigned_payload = Botocores();
  unsigned_payload.headers.emplace_back("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
  auto full = ParseSigV4Authorization(kAuthorization);
  EXPECT_EQ(VerifySigV4(unsigned_payload, *full, kSecret, SignedAt(), "lambda").reason(),
            ErrorReason::kBadSignature);
}

TEST(SigV4Test, MalformedAuthorizationHeadersNameTheHeader) {
  for (const char* bad : {
           "AWS4-HMAC-SHA256 ",
           "AWS4-HMAC-SHA256 Credential=K/2026/us-east-1/lambda/aws4_request, SignedHeaders=host, "
           "Signature=00",
           "AWS4-HMAC-SHA256 Credential=K/20261201/us-east-1/lambda, SignedHeaders=host, "
           "Signature=1a37648028d09f99cc15e590b24ceac7fcbb2d6520fc78d2fa9b528220111ce2",
           "AWS4-HMAC-SHA256 Credential=K/20261201/us-east-1/lambda/aws4_request, SignedHeaders=, "
           "Signature=1a37648028d09f99cc15e590b24ceac7fcbb2d6520fc78d2fa9b528220111ce2",
           "AWS4-HMAC-SHA256 garbage",
       }) {
    auto parsed = ParseSigV4Authorization(bad);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(parsed.status().field(), "Authorization") << bad;
  }
  EXPECT_FALSE(IsSigV4Authorization("Bearer tailor_x"));
  EXPECT_FALSE(IsSigV4Authorization("AWS4-HMAC-SHA256"));
}

TEST(SigV4Test, WhatSignSigV4MakesVerifies) {
  SigV4Request req{"POST",
                   "/a/./b/../c//d?b=2&a=%7e1",
                   {{"host", "h"}, {"x-amz-date", "20261201T062015Z"}},
                   "x"};
  SigV4Authorization auth{"K", "20261201", "eu-west-1", "lambda", {"host", "x-amz-date"}, ""};
  auto sig = SignSigV4(req, auth, "s");
  ASSERT_TRUE(sig.ok());
  auth.signature = *sig;
  EXPECT_TRUE(VerifySigV4(req, auth, "s", SignedAt(), "lambda").ok());
  // The same path written differently signs the same.
  SigV4Request same = req;
  same.target = "/a/c/d?a=~1&b=2";
  EXPECT_EQ(*SignSigV4(same, auth, "s"), *sig);
}

}  // namespace
}  // namespace tailor::scheduler
