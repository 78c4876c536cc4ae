// tailorctl's error text: an unreachable scheduler points at the address; a scheduler that
// answered "unavailable" (no node could run the function) does not send the user chasing it.
#include "cli/scheduler_connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proto/grpc_status.h"
#include "tailor/v1/registry.grpc.pb.h"

namespace tailor::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(DescribeRpcErrorTest, UnreachableSchedulerNamesTheAddressAndHowToSetIt) {
  // A real call to a port nothing listens on.
  GlobalOptions global;
  global.security.insecure = true;
  auto channel = ConnectToScheduler(global, "127.0.0.1:1");
  auto stub = v1::Registry::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListFunctionsRequest req;
  v1::ListFunctionsResponse resp;
  const grpc::Status status = stub->ListFunctions(&ctx, req, &resp);
  ASSERT_FALSE(status.ok());
  const std::string text = DescribeRpcError(status, "127.0.0.1:1", "listing functions");
  EXPECT_THAT(text, HasSubstr("cannot reach the scheduler at 127.0.0.1:1"));
  EXPECT_THAT(text, HasSubstr("--scheduler HOST:PORT"));
}

TEST(ResolveCredentialsTest, NoCaIsRefusedWithWhatToGive) {
  CredentialOptions none;
  auto resolved = ResolveCredentials(none);
  ASSERT_EQ(resolved.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(resolved.status().message()), HasSubstr("--ca-file"));
  CredentialOptions insecure;
  insecure.insecure = true;
  EXPECT_TRUE(ResolveCredentials(insecure)->insecure);
}

TEST(DescribeRpcErrorTest, SchedulerSideUnavailableKeepsItsReason) {
  // As the scheduler answers: with its status details.
  const grpc::Status status =
      ToGrpcStatus(UnavailableError("could not run 'aes-gcm': no node can take 'aes-gcm' now"));
  const std::string text = DescribeRpcError(status, "127.0.0.1:7400", "invoking aes-gcm");
  EXPECT_THAT(text, HasSubstr("no node can take 'aes-gcm' now"));
  EXPECT_THAT(text, HasSubstr("tailorctl nodes"));
  EXPECT_THAT(text, Not(HasSubstr("cannot reach the scheduler")));
}

TEST(DescribeRpcErrorTest, AnOverloadedSchedulerSaysWhenToComeBack) {
  const grpc::Status status = ToGrpcStatus(ResourceExhaustedError("1024 calls are already waiting")
                                               .WithReason(ErrorReason::kNoCapacity)
                                               .WithRetryAfter(std::chrono::milliseconds(1200)));
  const std::string text = DescribeRpcError(status, "127.0.0.1:7400", "invoking nap");
  EXPECT_THAT(text, HasSubstr("1024 calls are already waiting"));
  EXPECT_THAT(text, HasSubstr("try again in 2 s"));
}

}  // namespace
}  // namespace tailor::cli
