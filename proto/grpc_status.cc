#include "proto/grpc_status.h"

#include "google/rpc/status.pb.h"
#include "tailor/v1/error_detail.pb.h"

namespace tailor {
namespace {

// Reads the ErrorDetail out of a status's details; false when there is none.
bool ReadDetail(const grpc::Status& status, v1::ErrorDetail* detail) {
  if (status.error_details().empty()) return false;
  google::rpc::Status rpc_status;
  if (!rpc_status.ParseFromString(status.error_details())) return false;
  for (const auto& any : rpc_status.details()) {
    if (any.UnpackTo(detail)) return true;
  }
  return false;
}

}  // namespace

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  v1::ErrorDetail detail;
  detail.set_reason(static_cast<v1::ErrorReason>(static_cast<int>(status.reason())));
  detail.set_field(status.field());
  detail.set_retry_after_ms(status.retry_after().count());
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(status.code()));
  rpc_status.set_message(status.message());
  rpc_status.add_details()->PackFrom(detail);
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(status.code())),
                      status.message(), rpc_status.SerializeAsString());
}

Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return OkStatus();
  int code = static_cast<int>(status.error_code());
  if (code < 0 || code > static_cast<int>(StatusCode::kUnauthenticated)) {
    return UnknownError(status.error_message());
  }
  Status out(static_cast<StatusCode>(code), status.error_message());
  v1::ErrorDetail detail;
  if (!ReadDetail(status, &detail)) return out;
  const int reason = detail.reason();
  if (reason > 0 && reason <= static_cast<int>(ErrorReason::kBadSignature)) {
    out = out.WithReason(static_cast<ErrorReason>(reason));
  }
  if (!detail.field().empty()) out = out.WithField(detail.field());
  if (detail.retry_after_ms() > 0) {
    out = out.WithRetryAfter(std::chrono::milliseconds(detail.retry_after_ms()));
  }
  return out;
}

bool AnsweredByTailorServer(const grpc::Status& status) {
  v1::ErrorDetail detail;
  return !status.ok() && ReadDetail(status, &detail);
}

}  // namespace tailor
