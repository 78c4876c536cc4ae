// Status and Result<T>: errors as values across module boundaries.
//
// A Status is a canonical code (the same numbering as gRPC status codes, so conversion at the
// RPC edge is one-to-one) plus a message. Each layer that passes an error up adds context in
// front of the message ("reading cpu.stat of cgroup fn-42: permission denied"); messages carry
// no trailing period. Result<T> holds either a value or a non-OK Status.
//
// Thread-safety: value types; no shared state.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace tailor {

// Numbering matches grpc::StatusCode and google.rpc.Code exactly.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "INVALID_ARGUMENT", as gRPC spells the codes.
std::string_view StatusCodeName(StatusCode code);

// Which error it is, where a caller must act on it: the code says what kind of error it is,
// the reason says which one, so that no caller ever decides on a message's words. Crosses
// RPCs in the status details (proto/grpc_status.h); numbered as tailor.v1.ErrorReason.
enum class ErrorReason : int {
  kUnspecified = 0,
  kNotStarted = 1,         // refused or failed before the function started: try another node
  kNoCapacity = 2,         // every eligible node is full or unhealthy now: it may pass
  kDoesNotFit = 3,         // no registered node can ever take it (features, size)
  kFunctionRemoved = 4,    // the function was removed: it will not pass
  kInvalidField = 5,       // a field of the request is malformed; field() names it
  kStorageFull = 6,        // the server's disk is full: nothing was written, it may pass
  kTenantLimit = 7,        // the tenant has its most invocations running: it may pass
  kUnknownCredential = 8,  // no live credential has this id (an AWS access key)
  kBadSignature = 9,       // a signed request's signature or time does not check out
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  ErrorReason reason() const { return reason_; }
  // The request field an INVALID_ARGUMENT is about ("report.node_id"), or empty.
  const std::string& field() const { return field_; }

  // Returns a copy whose message is "context: message". OK stays OK. Reason and field stay.
  Status WithContext(std::string_view context) const;
  // Returns a copy with this reason (OK stays OK).
  Status WithReason(ErrorReason reason) const;
  // Returns a copy naming the offending field, with reason kInvalidField.
  Status WithField(std::string field) const;
  // A hint for an error that may pass: try again after this long (0: no hint).
  std::chrono::milliseconds retry_after() const { return retry_after_; }
  // Returns a copy with the hint (OK stays OK).
  Status WithRetryAfter(std::chrono::milliseconds delay) const;

  // "NOT_FOUND: node n1 is not registered", or "OK".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_ && a.reason_ == b.reason_ &&
           a.field_ == b.field_ && a.retry_after_ == b.retry_after_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  ErrorReason reason_ = ErrorReason::kUnspecified;
  std::string field_;
  std::chrono::milliseconds retry_after_{0};
};

inline Status OkStatus() { return Status(); }
Status CancelledError(std::string message);
Status UnknownError(std::string message);
Status InvalidArgumentError(std::string message);
Status DeadlineExceededError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status OutOfRangeError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status UnauthenticatedError(std::string message);

// Maps an errno value from a failed system call to the closest canonical code, with
// "what: strerror(errno)" as the message.
Status ErrnoToStatus(int errno_value, std::string_view what);

std::ostream& operator<<(std::ostream& os, const Status& status);

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok()
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "Result constructed from an OK status without a value");
    if (status_.ok()) status_ = InternalError("Result constructed from OK status without value");
  }
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok()
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

  Result WithContext(std::string_view context) && {
    if (ok()) return std::move(*this);
    return Result(status_.WithContext(context));
  }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace tailor

#define TAILOR_CONCAT_INNER_(a, b) a##b
#define TAILOR_CONCAT_(a, b) TAILOR_CONCAT_INNER_(a, b)

// Returns the Status of `expr` (a Status or Result) from the enclosing function if not OK.
#define TAILOR_RETURN_IF_ERROR(expr)                                     \
  do {                                                                   \
    const auto& tailor_status_or_ = (expr);                              \
    if (!tailor_status_or_.ok())                                         \
      return ::tailor::internal::GetStatus(tailor_status_or_);           \
  } while (false)

// Like TAILOR_RETURN_IF_ERROR, adding "context: " in front of the message.
#define TAILOR_RETURN_IF_ERROR_CTX(expr, context)                               \
  do {                                                                          \
    const auto& tailor_status_or_ = (expr);                                     \
    if (!tailor_status_or_.ok())                                                \
      return ::tailor::internal::GetStatus(tailor_status_or_).WithContext(context); \
  } while (false)

// TAILOR_ASSIGN_OR_RETURN(auto x, ComputeX()); returns the error if ComputeX() failed.
#define TAILOR_ASSIGN_OR_RETURN(lhs, expr) \
  TAILOR_ASSIGN_OR_RETURN_IMPL_(TAILOR_CONCAT_(tailor_result_, __LINE__), lhs, expr)
#define TAILOR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
