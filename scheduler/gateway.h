// Gateway: Tailor runs the function end to end. Invoke() places the invocation, forwards it
// to the chosen agent (with the bundle digest, so an agent that lacks the bundle fetches it),
// and returns the output with the run report.
//
// Retries: when an attempt fails before the function started (the agent was unreachable,
// lacked the function, had a full queue, or refused the allocation), the next attempt goes to
// another node, up to `max_attempts`. When the outcome is unknown (the agent went away or the
// call timed out while the function may have been running), the gateway retries only if the
// manifest says the function is idempotent: a function never runs twice after it started
// otherwise. Every attempt is listed in the response.
//
// Thread-safety: Invoke may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "scheduler/agent_connections.h"
#include "scheduler/placer.h"
#include "tailor/v1/gateway.pb.h"

namespace tailor::scheduler {

class Gateway {
 public:
  struct Options {
    uint32_t max_attempts = 3;
    // Added to the function's timeout for the agent call's deadline (queueing, transfer).
    std::chrono::milliseconds deadline_slack{30'000};
  };
  // Called once per Invoke with its outcome: succeeded, function_error, timed_out,
  // oom_killed, or failed (could not be run).
  using OutcomeHook = std::function<void(const std::string& outcome)>;

  Gateway(Options options, Placer& placer, AgentConnections& agents)
      : options_(options), placer_(placer), agents_(agents) {}

  // Errors: NOT_FOUND (unknown function), INVALID_ARGUMENT, FAILED_PRECONDITION (no node can
  // take it now), UNAVAILABLE (every attempt failed before the function started; the message
  // lists them), UNKNOWN (the outcome is unknown and the function is not idempotent).
  Result<v1::GatewayInvokeResponse> Invoke(const v1::GatewayInvokeRequest& request);

  void SetOutcomeHook(OutcomeHook hook) { hook_ = std::move(hook); }

 private:
  Result<v1::GatewayInvokeResponse> InvokeOnce(const v1::GatewayInvokeRequest& request);

  const Options options_;
  Placer& placer_;
  AgentConnections& agents_;
  OutcomeHook hook_;
};

}  // namespace tailor::scheduler
