// Gateway: Tailor runs the function end to end. Invoke() places the invocation, forwards it
// to the chosen agent (with the bundle digest, so an agent that lacks the bundle fetches it),
// and returns the output with the run report and its outcome.
//
// After each attempt the rules in retry_rules.h decide, on typed values only: a run is
// returned whatever its outcome; an attempt that did not start the function (the agent
// refused it, its start failed, the channel never connected) goes to another node, up to
// `max_attempts`; an attempt whose outcome is unknown (the connection was lost, the deadline
// passed) goes to another node only for a function marked idempotent, and otherwise is
// answered with outcome AGENT_LOST. Every attempt is listed in the response.
//
// The response's `error` says, in words, why an outcome is not SUCCEEDED (exit code, signal,
// timeout, OOM kill and whether it hit the most memory the function can have, the failed
// start step, the output limit).
//
// An invocation with an idempotency key that arrives while one with the same function and key
// is running waits for that one and returns its answer.
//
// When no node has capacity now, the call waits its turn in Admission (fair across functions)
// until capacity comes free, for as long as its caller allows (CallContext: its gRPC deadline,
// less a tenth of the time left and at most 1 s kept for the answer; `admission_wait` when it
// set none; never more than `max_admission_wait`); then RESOURCE_EXHAUSTED with a retry hint.
//
// Thread-safety: Invoke may be called concurrently.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "scheduler/admission.h"
#include "scheduler/agent_calls.h"
#include "scheduler/agent_connections.h"
#include "scheduler/placer.h"
#include "scheduler/retry_rules.h"
#include "scheduler/tenant_limits.h"
#include "tailor/v1/gateway.pb.h"

namespace tailor::scheduler {

// What the caller of one invocation allows, and wants to hear.
struct CallContext {
  // When the caller stops waiting for capacity (its gRPC deadline); nullopt when it set none.
  std::optional<std::chrono::system_clock::time_point> deadline;
  // Whether the caller went away (may be empty).
  std::function<bool()> cancelled;
  // Called before each call to an agent with the attempt's invocation id and node; an error
  // stops the attempt before anything is sent (may be empty).
  std::function<Status(const std::string& invocation_id, const std::string& node_id)> on_attempt;
  // A sync caller's own call: cancelling it (or its deadline passing) cancels the agent call,
  // and the agent stops the run (outcome CANCELLED). Null for async invocations, whose runs go
  // on whatever happens to the scheduler's connection.
  const grpc::ServerContextBase* server_context = nullptr;
  // The tenant whose invocation this is: it holds one of the tenant's slots (tenant_limits.h)
  // while it runs. Empty: no slot is taken.
  std::string tenant;
};

class Gateway {
 public:
  struct Options {
    uint32_t max_attempts = 3;
    // Added to the function's timeout for the agent call's deadline (queueing, transfer).
    std::chrono::milliseconds deadline_slack{30'000};
    // How long an attempt waits for the connection to its agent before taking the next node.
    std::chrono::milliseconds connect_timeout{2'000};
    // How long a call waits for capacity when its caller set no deadline, and at most.
    std::chrono::milliseconds admission_wait{10'000};
    std::chrono::milliseconds max_admission_wait{60'000};
  };
  // Called once per Invoke with its outcome (RunOutcomeName: "succeeded", "function_error", ...,
  // "not_run" when no node ran it).
  using OutcomeHook = std::function<void(const std::string& outcome)>;

  Gateway(Options options, Placer& placer, Admission& admission, AgentConnections& agents,
          TenantLimits& tenants)
      : options_(options),
        placer_(placer),
        admission_(admission),
        agents_(agents),
        tenants_(tenants) {}

  // OK with the run (any outcome) when one was attempted. Errors when none was: NOT_FOUND
  // (unknown function), INVALID_ARGUMENT, FAILED_PRECONDITION (removed, or no node can ever
  // take it), RESOURCE_EXHAUSTED (no node had capacity in the time the caller allows; with a
  // retry hint), UNAVAILABLE (every attempt failed before the function started; the message
  // lists them), CANCELLED (the caller went away while it waited), RESOURCE_EXHAUSTED with
  // ErrorReason::kTenantLimit (the caller's tenant has its most invocations running).
  Result<v1::GatewayInvokeResponse> Invoke(const v1::GatewayInvokeRequest& request,
                                           const CallContext& caller = {});

  void SetOutcomeHook(OutcomeHook hook) { hook_ = std::move(hook); }
  // The node's lease expired: its calls in flight are abandoned (an attempt whose outcome is
  // unknown: AGENT_LOST, or tried elsewhere when the function is idempotent). Returns how many.
  int AbandonCallsTo(const std::string& node_id) { return calls_.Abandon(node_id); }

 private:
  struct Attempt {
    AttemptEnd end = AttemptEnd::kUnknown;
    internal::v1::InvokeResponse reply;  // when the agent answered
    Status error;              // when it did not
  };
  Result<v1::GatewayInvokeResponse> InvokeOnce(const v1::GatewayInvokeRequest& request,
                                               const CallContext& caller);
  Result<v1::GatewayInvokeResponse> JoinOrInvoke(const v1::GatewayInvokeRequest& request,
                                                 const CallContext& caller);
  // Places through Admission: waits for capacity until `deadline`.
  Result<Placement> PlaceAdmitted(const PlaceInput& input, Admission::Deadline deadline,
                                  const CallContext& caller);
  Attempt CallAgent(const Placement& placed, const v1::GatewayInvokeRequest& request,
                    const std::string& invocation_id, const CallContext& caller);

  const Options options_;
  Placer& placer_;
  Admission& admission_;
  AgentConnections& agents_;
  TenantLimits& tenants_;
  AgentCalls calls_;
  OutcomeHook hook_;
  std::mutex mu_;
  // Invocations running with an idempotency key ("function\0key").
  std::map<std::string, std::shared_future<Result<v1::GatewayInvokeResponse>>> in_flight_;
};

// Until when a call may wait for capacity, from `now`: see the class comment.
Admission::Deadline AdmissionDeadline(std::chrono::steady_clock::time_point now,
                                      std::chrono::system_clock::time_point wall_now,
                                      const CallContext& caller, std::chrono::milliseconds usual,
                                      std::chrono::milliseconds longest);

}  // namespace tailor::scheduler
