// AsyncStateName: "queued", "running", "succeeded", "failed" (or "unknown"), as tailorctl and
// the scheduler's HTTP endpoint print an async invocation's state.
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

}  // namespace tailor
