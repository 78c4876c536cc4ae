// RetryRules: what happens after each attempt to run an invocation, decided on typed values
// only (a run's outcome, a status code and ErrorReason, the state of the channel), never on
// the words of an error. The gateway (sync and async invocations) and the async dispatcher
// follow these rules; tests/scheduler/retry_rules_test.cc has one table row per rule.
//
// An attempt on a node ends one of five ways (AttemptEnd):
//   kRan          the agent returned a run report with any outcome but START_FAILED
//   kStartFailed  the agent tried, and the function never started (report START_FAILED)
//   kNotStarted   the function certainly did not start: the agent refused it (its error
//                 carries ErrorReason::kNotStarted), or the channel to it was never ready
//   kUnknown      the call failed after it may have reached the agent (connection lost,
//                 deadline): the function may be running, or have run
//   kRejected     the agent refused the request itself as malformed (INVALID_ARGUMENT): the
//                 same request fails on every node
//
// Gateway (NextStep, with whether the function is idempotent and whether tries are left):
//   kRan                                 -> kReturnRun
//   kStartFailed / kNotStarted, left     -> kTryAnotherNode
//   kStartFailed, none left              -> kReturnRun (the START_FAILED run, with its step)
//   kNotStarted, none left               -> kGiveUp (no node ran it: UNAVAILABLE)
//   kUnknown, idempotent, left           -> kTryAnotherNode
//   kUnknown, otherwise                  -> kReturnAgentLost (it may have run)
//   kRejected                            -> kReturnError
//
// Async dispatcher (AsyncNext, after the gateway answered):
//   a run that SUCCEEDED                 -> kSucceed
//   a run with any other outcome         -> kFailWithRun (the run is kept: output, stderr)
//   no capacity now (ErrorReason::kNoCapacity), or the scheduler's own disk is full
//   (ErrorReason::kStorageFull: not the function's failure), or its tenant has its most
//   invocations running (ErrorReason::kTenantLimit), before the invocation's deadline
//                                        -> kWaitForCapacity (no try is spent)
//   another error that may pass (UNAVAILABLE, RESOURCE_EXHAUSTED: attempts failed before the
//   function started), tries left, before the deadline -> kRetryLater (a try is spent)
//   any other error, no tries left, or past the deadline -> kFailNotRun
//
// Thread-safety: stateless.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "tailor/v1/run_report.pb.h"

namespace tailor::scheduler {

enum class AttemptEnd { kRan, kStartFailed, kNotStarted, kUnknown, kRejected };

// What is known about one call to an agent's Invoke.
struct AttemptFacts {
  bool answered = false;        // Invoke returned a response (with a run report)
  v1::RunOutcome run_outcome = v1::RUN_OUTCOME_UNSPECIFIED;  // of that report
  bool agent_error = false;     // the agent itself returned an error (Tailor status details)
  Status error;                 // the call's error, when not answered
  bool channel_was_ready = true;  // the channel to the agent was ready before the call
};
AttemptEnd ClassifyAttempt(const AttemptFacts& facts);

enum class NextStep { kReturnRun, kTryAnotherNode, kGiveUp, kReturnAgentLost, kReturnError };
NextStep DecideNextStep(AttemptEnd end, bool idempotent, bool tries_left);

enum class AsyncNext { kSucceed, kFailWithRun, kWaitForCapacity, kRetryLater, kFailNotRun };
// `ran`: the gateway answered with a run (then `outcome` is its outcome); otherwise `error`.
// `attempts`: the real tries so far, this one included. `past_deadline`: the invocation was
// accepted longer ago than the async deadline.
AsyncNext DecideAsyncNext(bool ran, v1::RunOutcome outcome, const Status& error, uint32_t attempts,
                          uint32_t max_attempts, bool past_deadline);

}  // namespace tailor::scheduler
