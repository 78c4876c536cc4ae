#include "common/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tailor {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError(std::to_string(x) + " is odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  TAILOR_ASSIGN_OR_RETURN(int h, Half(x));
  TAILOR_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  TAILOR_RETURN_IF_ERROR_CTX(Half(x), "checking " + std::to_string(x));
  return OkStatus();
}

TEST(StatusTest, OkHasNoMessage) {
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ContextIsPrependedAndCodeKept) {
  Status s = NotFoundError("no such file").WithContext("reading cpu.stat of cgroup fn-42");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "reading cpu.stat of cgroup fn-42: no such file");
  EXPECT_EQ(s.ToString(), "NOT_FOUND: reading cpu.stat of cgroup fn-42: no such file");
  EXPECT_TRUE(OkStatus().WithContext("anything").ok());
}

TEST(StatusTest, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "3 is odd");
}

TEST(StatusTest, ReturnIfErrorAddsContext) {
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).message(), "checking 5: 5 is odd");
}

TEST(StatusTest, ErrnoMapsToCanonicalCodes) {
  EXPECT_EQ(ErrnoToStatus(ENOENT, "open x").code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatus(EACCES, "open x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(ENOSPC, "write x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EEXIST, "mkdir x").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrnoToStatus(ENOENT, "open x").message(), "open x: No such file or directory");
}

TEST(StatusTest, ValueOrFallsBackOnError) {
  EXPECT_EQ(Half(3).value_or(-1), -1);
  EXPECT_EQ(Half(4).value_or(-1), 2);
}

}  // namespace
}  // namespace tailor
