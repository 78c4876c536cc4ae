// RunOutcomeName: "succeeded", "function_error", "timed_out", "oom_killed", "start_failed",
// "agent_lost", "output_too_large", "not_run", "cancelled" (or "unknown"), as tailorctl, the HTTP
// endpoint and the metrics' outcome label spell a run's or an invocation's outcome.
#pragma once

#include <string>

#include "tailor/v1/run_report.pb.h"

namespace tailor {

inline std::string RunOutcomeName(v1::RunOutcome outcome) {
  switch (outcome) {
    case v1::RUN_OUTCOME_SUCCEEDED: return "succeeded";
    case v1::RUN_OUTCOME_FUNCTION_ERROR: return "function_error";
    case v1::RUN_OUTCOME_TIMED_OUT: return "timed_out";
    case v1::RUN_OUTCOME_OOM_KILLED: return "oom_killed";
    case v1::RUN_OUTCOME_START_FAILED: return "start_failed";
    case v1::RUN_OUTCOME_AGENT_LOST: return "agent_lost";
    case v1::RUN_OUTCOME_OUTPUT_TOO_LARGE: return "output_too_large";
    case v1::RUN_OUTCOME_NOT_RUN: return "not_run";
    case v1::RUN_OUTCOME_CANCELLED:
      return "cancelled";
    default: return "unknown";
  }
}

}  // namespace tailor
