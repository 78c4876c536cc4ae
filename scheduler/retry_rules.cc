#include "scheduler/retry_rules.h"

namespace tailor::scheduler {

AttemptEnd ClassifyAttempt(const AttemptFacts& f) {
  if (f.answered) {
    return f.run_outcome == v1::RUN_OUTCOME_START_FAILED ? AttemptEnd::kStartFailed
                                                         : AttemptEnd::kRan;
  }
  if (f.agent_error) {
    if (f.error.code() == StatusCode::kInvalidArgument) return AttemptEnd::kRejected;
    // The agent answers with an error only before anything was attempted.
    return AttemptEnd::kNotStarted;
  }
  // The transport failed: only a channel that never became ready proves nothing was sent.
  return f.channel_was_ready ? AttemptEnd::kUnknown : AttemptEnd::kNotStarted;
}

NextStep DecideNextStep(AttemptEnd end, bool idempotent, bool tries_left) {
  switch (end) {
    case AttemptEnd::kRan:
      return NextStep::kReturnRun;
    case AttemptEnd::kStartFailed:
      return tries_left ? NextStep::kTryAnotherNode : NextStep::kReturnRun;
    case AttemptEnd::kNotStarted:
      return tries_left ? NextStep::kTryAnotherNode : NextStep::kGiveUp;
    case AttemptEnd::kUnknown:
      return idempotent && tries_left ? NextStep::kTryAnotherNode : NextStep::kReturnAgentLost;
    case AttemptEnd::kRejected:
      return NextStep::kReturnError;
  }
  return NextStep::kReturnError;
}

AsyncNext DecideAsyncNext(bool ran, v1::RunOutcome outcome, const Status& error, uint32_t attempts,
                          uint32_t max_attempts, bool past_deadline) {
  if (ran) {
    return outcome == v1::RUN_OUTCOME_SUCCEEDED ? AsyncNext::kSucceed : AsyncNext::kFailWithRun;
  }
  if (past_deadline) return AsyncNext::kFailNotRun;
  if (error.reason() == ErrorReason::kNoCapacity || error.reason() == ErrorReason::kStorageFull ||
      error.reason() == ErrorReason::kTenantLimit) {
    return AsyncNext::kWaitForCapacity;
  }
  const bool may_pass = error.code() == StatusCode::kUnavailable ||
                        error.code() == StatusCode::kResourceExhausted;
  return may_pass && attempts < max_attempts ? AsyncNext::kRetryLater : AsyncNext::kFailNotRun;
}

}  // namespace tailor::scheduler
