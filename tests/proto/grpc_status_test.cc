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

}  // namespace
}  // namespace tailor
