#include "proto/grpc_status.h"

#include <gtest/gtest.h>

namespace tailor {
namespace {

TEST(GrpcStatusTest, EveryCodeMapsOneToOne) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kUnauthenticated); ++c) {
    Status s(static_cast<StatusCode>(c), "m");
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), c);
    EXPECT_EQ(FromGrpcStatus(g), s);
  }
  EXPECT_EQ(static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED),
            static_cast<int>(StatusCode::kResourceExhausted));
  EXPECT_EQ(static_cast<int>(grpc::StatusCode::UNAUTHENTICATED),
            static_cast<int>(StatusCode::kUnauthenticated));
}

TEST(GrpcStatusTest, MessageIsCarried) {
  grpc::Status g = ToGrpcStatus(NotFoundError("node 'x' is not registered"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "node 'x' is not registered");
}

TEST(GrpcStatusTest, ReasonAndFieldCrossTheWireTypedAndMarkATailorAnswer) {
  const Status sent = InvalidArgumentError("report.node_id is required").WithField("report.node_id");
  grpc::Status g = ToGrpcStatus(sent);
  EXPECT_TRUE(AnsweredByTailorServer(g));
  Status got = FromGrpcStatus(g);
  EXPECT_EQ(got.reason(), ErrorReason::kInvalidField);
  EXPECT_EQ(got.field(), "report.node_id");
  EXPECT_EQ(FromGrpcStatus(ToGrpcStatus(UnavailableError("x").WithReason(ErrorReason::kNotStarted)))
                .reason(),
            ErrorReason::kNotStarted);
  // What gRPC itself produces (no connection, deadline) carries no Tailor details.
  const grpc::Status transport(grpc::StatusCode::UNAVAILABLE, "failed to connect to all addresses");
  EXPECT_FALSE(AnsweredByTailorServer(transport));
  EXPECT_EQ(FromGrpcStatus(transport).reason(), ErrorReason::kUnspecified);
  // Details that are not ours, or garbage, are ignored rather than trusted.
  EXPECT_FALSE(AnsweredByTailorServer(grpc::Status(grpc::StatusCode::INTERNAL, "x", "\xff\x01")));
}

TEST(GrpcStatusTest, RetryHintsAndAFullDiskCrossTheWire) {
  const Status busy = ResourceExhaustedError("wait")
                          .WithReason(ErrorReason::kNoCapacity)
                          .WithRetryAfter(std::chrono::milliseconds(1500));
  EXPECT_EQ(FromGrpcStatus(ToGrpcStatus(busy)), busy);
  const Status disk = UnavailableError("disk full").WithReason(ErrorReason::kStorageFull);
  EXPECT_EQ(FromGrpcStatus(ToGrpcStatus(disk)).reason(), ErrorReason::kStorageFull);
  EXPECT_EQ(FromGrpcStatus(ToGrpcStatus(disk)).retry_after().count(), 0);
}

}  // namespace
}  // namespace tailor
