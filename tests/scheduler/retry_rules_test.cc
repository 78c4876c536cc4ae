// One row per rule of retry_rules.h: what an attempt's typed facts mean, and what follows.
#include "scheduler/retry_rules.h"

#include <gtest/gtest.h>

namespace tailor::scheduler {
namespace {

AttemptFacts Answered(v1::RunOutcome outcome) {
  AttemptFacts f;
  f.answered = true;
  f.run_outcome = outcome;
  return f;
}
AttemptFacts AgentError(Status s) {
  AttemptFacts f;
  f.agent_error = true;
  f.error = std::move(s);
  return f;
}
AttemptFacts Transport(StatusCode code, bool channel_was_ready) {
  AttemptFacts f;
  f.error = Status(code, "socket closed");
  f.channel_was_ready = channel_was_ready;
  return f;
}

TEST(RetryRulesTest, AnAttemptIsClassifiedFromTypedFactsOnly) {
  struct Row {
    const char* what;
    AttemptFacts facts;
    AttemptEnd end;
  };
  const Row rows[] = {
      {"ran and succeeded", Answered(v1::RUN_OUTCOME_SUCCEEDED), AttemptEnd::kRan},
      {"ran and failed", Answered(v1::RUN_OUTCOME_FUNCTION_ERROR), AttemptEnd::kRan},
      {"ran out of memory", Answered(v1::RUN_OUTCOME_OOM_KILLED), AttemptEnd::kRan},
      {"agent lost it", Answered(v1::RUN_OUTCOME_AGENT_LOST), AttemptEnd::kRan},
      {"start failed", Answered(v1::RUN_OUTCOME_START_FAILED), AttemptEnd::kStartFailed},
      {"agent: unknown function", AgentError(NotFoundError("no f")), AttemptEnd::kNotStarted},
      {"agent: queue full", AgentError(ResourceExhaustedError("full")), AttemptEnd::kNotStarted},
      {"agent: UNAVAILABLE of its own", AgentError(UnavailableError("x")),
       AttemptEnd::kNotStarted},
      {"agent: malformed request", AgentError(InvalidArgumentError("bad")),
       AttemptEnd::kRejected},
      {"never connected", Transport(StatusCode::kUnavailable, false), AttemptEnd::kNotStarted},
      {"connection lost mid-call", Transport(StatusCode::kUnavailable, true),
       AttemptEnd::kUnknown},
      {"deadline passed", Transport(StatusCode::kDeadlineExceeded, true), AttemptEnd::kUnknown},
      {"transport INTERNAL", Transport(StatusCode::kInternal, true), AttemptEnd::kUnknown},
  };
  for (const Row& row : rows) EXPECT_EQ(ClassifyAttempt(row.facts), row.end) << row.what;
}

TEST(RetryRulesTest, TheGatewayRetriesOnlyWhatCannotHaveStartedOrMayRunTwice) {
  struct Row {
    const char* what;
    AttemptEnd end;
    bool idempotent, tries_left;
    NextStep next;
  };
  const Row rows[] = {
      {"a run is returned", AttemptEnd::kRan, false, true, NextStep::kReturnRun},
      {"a run is returned, idempotent or not", AttemptEnd::kRan, true, true, NextStep::kReturnRun},
      {"start failed: another node", AttemptEnd::kStartFailed, false, true,
       NextStep::kTryAnotherNode},
      {"start failed everywhere: the failed run", AttemptEnd::kStartFailed, false, false,
       NextStep::kReturnRun},
      {"not started: another node", AttemptEnd::kNotStarted, false, true,
       NextStep::kTryAnotherNode},
      {"not started anywhere: give up", AttemptEnd::kNotStarted, true, false, NextStep::kGiveUp},
      {"outcome unknown, idempotent function, retried on another node", AttemptEnd::kUnknown,
       true, true, NextStep::kTryAnotherNode},
      {"outcome unknown, not idempotent: never run twice", AttemptEnd::kUnknown, false, true,
       NextStep::kReturnAgentLost},
      {"outcome unknown, idempotent, no tries left", AttemptEnd::kUnknown, true, false,
       NextStep::kReturnAgentLost},
      {"malformed: the same everywhere", AttemptEnd::kRejected, true, true,
       NextStep::kReturnError},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(DecideNextStep(row.end, row.idempotent, row.tries_left), row.next) << row.what;
  }
}

TEST(RetryRulesTest, AsyncInvocationsSucceedOnlyWhenTheRunDid) {
  struct Row {
    const char* what;
    bool ran;
    v1::RunOutcome outcome;
    Status error;
    uint32_t attempts;
    AsyncNext next;
    bool past_deadline = false;
  };
  const Row rows[] = {
      {"succeeded", true, v1::RUN_OUTCOME_SUCCEEDED, OkStatus(), 1, AsyncNext::kSucceed},
      {"exit 3 is a failure with its run", true, v1::RUN_OUTCOME_FUNCTION_ERROR, OkStatus(), 1,
       AsyncNext::kFailWithRun},
      {"timed out", true, v1::RUN_OUTCOME_TIMED_OUT, OkStatus(), 1, AsyncNext::kFailWithRun},
      {"OOM-killed", true, v1::RUN_OUTCOME_OOM_KILLED, OkStatus(), 1, AsyncNext::kFailWithRun},
      {"agent lost", true, v1::RUN_OUTCOME_AGENT_LOST, OkStatus(), 1, AsyncNext::kFailWithRun},
      {"no capacity now: wait, no try spent", false, v1::RUN_OUTCOME_NOT_RUN,
       ResourceExhaustedError("full").WithReason(ErrorReason::kNoCapacity), 1,
       AsyncNext::kWaitForCapacity},
      {"no capacity, however many tries", false, v1::RUN_OUTCOME_NOT_RUN,
       UnavailableError("all stopping").WithReason(ErrorReason::kNoCapacity), 8,
       AsyncNext::kWaitForCapacity},
      {"the scheduler's disk is full: wait, no try spent", false, v1::RUN_OUTCOME_NOT_RUN,
       UnavailableError("disk full").WithReason(ErrorReason::kStorageFull), 8,
       AsyncNext::kWaitForCapacity},
      {"no capacity past the deadline: fail", false, v1::RUN_OUTCOME_NOT_RUN,
       ResourceExhaustedError("full").WithReason(ErrorReason::kNoCapacity), 1,
       AsyncNext::kFailNotRun, true},
      {"attempts failed before starting: later", false, v1::RUN_OUTCOME_NOT_RUN,
       UnavailableError("refused").WithReason(ErrorReason::kNotStarted), 1, AsyncNext::kRetryLater},
      {"failed before starting past the deadline: fail", false, v1::RUN_OUTCOME_NOT_RUN,
       UnavailableError("refused").WithReason(ErrorReason::kNotStarted), 1, AsyncNext::kFailNotRun,
       true},
      {"a run past the deadline is still its run", true, v1::RUN_OUTCOME_SUCCEEDED, OkStatus(), 1,
       AsyncNext::kSucceed, true},
      {"no healthy node: later", false, v1::RUN_OUTCOME_NOT_RUN, UnavailableError("away"), 3,
       AsyncNext::kRetryLater},
      {"tries used up", false, v1::RUN_OUTCOME_NOT_RUN, UnavailableError("away"), 8,
       AsyncNext::kFailNotRun},
      {"removed: never", false, v1::RUN_OUTCOME_NOT_RUN,
       FailedPreconditionError("removed").WithReason(ErrorReason::kFunctionRemoved), 1,
       AsyncNext::kFailNotRun},
      {"does not fit: never", false, v1::RUN_OUTCOME_NOT_RUN,
       FailedPreconditionError("x").WithReason(ErrorReason::kDoesNotFit), 1,
       AsyncNext::kFailNotRun},
      {"unknown function", false, v1::RUN_OUTCOME_NOT_RUN, NotFoundError("x"), 1,
       AsyncNext::kFailNotRun},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(DecideAsyncNext(row.ran, row.outcome, row.error, row.attempts, 8, row.past_deadline),
              row.next)
        << row.what;
  }
}

}  // namespace
}  // namespace tailor::scheduler
