// AsyncStateName: "queued", "running", "succeeded", "failed" (or "unknown"), as tailorctl and
// the scheduler's HTTP endpoint print an async invocation's state; CallbackStateName:
// "waiting", "pending", "delivered", "failed" (or "none"), its completion callback's.
#pragma once

#include <string>

#include "tailor/v1/gateway.pb.h"

namespace tailor {

inline std::string AsyncStateName(v1::AsyncState state) {
  switch (state) {
    case v1::ASYNC_STATE_QUEUED: return "queued";
    case v1::ASYNC_STATE_RUNNING: return "running";
    case v1::ASYNC_STATE_SUCCEEDED: return "succeeded";
    case v1::ASYNC_STATE_FAILED: return "failed";
    default: return "unknown";
  }
}

inline std::string CallbackStateName(v1::CallbackState state) {
  switch (state) {
    case v1::CALLBACK_STATE_WAITING:
      return "waiting";
    case v1::CALLBACK_STATE_PENDING:
      return "pending";
    case v1::CALLBACK_STATE_DELIVERED:
      return "delivered";
    case v1::CALLBACK_STATE_FAILED:
      return "failed";
    default:
      return "none";
  }
}

}  // namespace tailor
