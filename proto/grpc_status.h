// Conversions between tailor::Status and grpc::Status at the RPC edge. The codes are numbered
// the same, so the mapping is one-to-one. A Status's typed reason and field travel in the
// gRPC status details (a google.rpc.Status holding a tailor.v1.ErrorDetail), so the receiving
// side acts on typed values, never on the words of a message.
#pragma once

#include <grpcpp/support/status.h>

#include "common/status.h"

namespace tailor {

// Every non-OK status carries an ErrorDetail, even one with no reason: its presence tells a
// client that a Tailor server answered (rather than gRPC failing to reach one).
grpc::Status ToGrpcStatus(const Status& status);
Status FromGrpcStatus(const grpc::Status& status);

// Whether a failed call was answered by a Tailor server (it carries Tailor's status details)
// rather than failed by the transport (no connection, connection lost, deadline).
bool AnsweredByTailorServer(const grpc::Status& status);

}  // namespace tailor
