// Conversions between tailor::Status and grpc::Status at the RPC edge. The codes are numbered
// the same, so the mapping is one-to-one.
#pragma once

#include <grpcpp/support/status.h>

#include "common/status.h"

namespace tailor {

grpc::Status ToGrpcStatus(const Status& status);
Status FromGrpcStatus(const grpc::Status& status);

}  // namespace tailor
