#include "scheduler/gateway.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "common/random_id.h"
#include "proto/grpc_status.h"
#include "proto/run_outcome_name.h"
#include "scheduler/outcome_description.h"

namespace tailor::scheduler {
namespace {

void FillRun(const Placement& placed, internal::v1::InvokeResponse& reply,
             v1::GatewayInvokeResponse& response) {
  response.set_output(std::move(*reply.mutable_output()));
  response.set_output_truncated(reply.output_truncated());
  response.set_stderr_tail(std::move(*reply.mutable_stderr_tail()));
  *response.mutable_report() = std::move(*reply.mutable_report());
  response.set_decision_id(placed.decision_id);
  response.set_node_id(placed.node_id);
  response.set_predicted_duration_ms(placed.predicted_duration_ms);
  response.set_policy(placed.policy);
  response.set_explored(placed.explored);
  response.set_outcome(response.report().outcome());
  response.set_error(DescribeOutcome(response.report(), placed.memory_at_ceiling));
}

}  // namespace

Admission::Deadline AdmissionDeadline(std::chrono::steady_clock::time_point now,
                                      std::chrono::system_clock::time_point wall_now,
                                      const CallContext& caller, std::chrono::milliseconds usual,
                                      std::chrono::milliseconds longest) {
  using std::chrono::milliseconds;
  milliseconds wait = std::min(usual, longest);
  if (caller.deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(*caller.deadline - wall_now);
    // Keep a tenth of the time left, at most 1 s, for placing, running and answering.
    const milliseconds kept = std::min(milliseconds(1000), left / 10);
    wait = std::clamp(left - kept, milliseconds(0), longest);
  }
  return now + wait;
}

Result<v1::GatewayInvokeResponse> Gateway::Invoke(const v1::GatewayInvokeRequest& request,
                                                  const CallContext& caller) {
  std::optional<TenantLimits::Slot> slot;
  if (!caller.tenant.empty()) {
    auto acquired = tenants_.Acquire(caller.tenant);
    if (!acquired.ok()) {
      if (hook_) hook_("not_run");
      return acquired.status();
    }
    slot.emplace(std::move(*acquired));
  }
  auto result = request.idempotency_key().empty() ? InvokeOnce(request, caller)
                                                  : JoinOrInvoke(request, caller);
  if (hook_) hook_(result.ok() ? RunOutcomeName(result->outcome()) : "not_run");
  return result;
}

Result<v1::GatewayInvokeResponse> Gateway::JoinOrInvoke(const v1::GatewayInvokeRequest& request,
                                                        const CallContext& caller) {
  const std::string key =
      request.function_name() + std::string(1, '\0') + request.idempotency_key();
  std::promise<Result<v1::GatewayInvokeResponse>> promise;
  std::shared_future<Result<v1::GatewayInvokeResponse>> running;
  {
    std::lock_guard lock(mu_);
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
      running = it->second;
    } else {
      in_flight_.emplace(key, promise.get_future().share());
    }
  }
  if (running.valid()) return running.get();  // the same invocation, already under way
  auto result = InvokeOnce(request, caller);
  promise.set_value(result);
  std::lock_guard lock(mu_);
  in_flight_.erase(key);
  return result;
}

Gateway::Attempt Gateway::CallAgent(const Placement& placed,
                                    const v1::GatewayInvokeRequest& request,
                                    const std::string& invocation_id, const CallContext& caller) {
  internal::v1::InvokeRequest call;
  call.set_function_name(placed.function.name());
  call.set_function_version(placed.function.version());
  call.set_payload(request.payload());
  *call.mutable_allocation() = placed.allocation;
  call.set_invocation_id(invocation_id);
  call.set_timeout_ms(request.timeout_ms());
  call.set_decision_id(placed.decision_id);
  call.set_bundle_digest(placed.function.digest());
  call.set_stop_when_caller_leaves(caller.server_context != nullptr);
  const uint32_t timeout_ms =
      request.timeout_ms() > 0 ? request.timeout_ms() : placed.function.timeout_ms();

  AttemptFacts facts;
  Attempt attempt;
  const AgentConnection agent = agents_.For(placed.node_id, placed.node_address);
  facts.channel_was_ready = agent.WaitUntilReady(options_.connect_timeout);
  // A sync caller's cancellation reaches the agent; its deadline does not shorten the run's.
  std::unique_ptr<grpc::ClientContext> ctx =
      caller.server_context != nullptr
          ? grpc::ClientContext::FromServerContext(
                *caller.server_context, grpc::PropagationOptions().disable_deadline_propagation())
          : std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms) +
                    options_.deadline_slack);
  grpc::Status s(grpc::StatusCode::UNAVAILABLE, "cannot connect to the agent");
  if (facts.channel_was_ready) {
    const uint64_t token = calls_.Begin(placed.node_id, ctx.get());
    s = agent.stub->Invoke(ctx.get(), call, &attempt.reply);
    if (calls_.End(token) && !s.ok()) {
      s = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                       "node " + placed.node_id +
                           " missed its heartbeats during the call (its lease expired), so the "
                           "call was abandoned");
    }
  }
  facts.answered = s.ok();
  facts.run_outcome = attempt.reply.report().outcome();
  facts.agent_error = AnsweredByTailorServer(s);
  facts.error = FromGrpcStatus(s);
  attempt.error = facts.error;
  attempt.end = ClassifyAttempt(facts);
  return attempt;
}

Result<Placement> Gateway::PlaceAdmitted(const PlaceInput& input, Admission::Deadline deadline,
                                         const CallContext& caller) {
  std::optional<Placement> placed;
  const auto arrived = std::chrono::steady_clock::now();
  PlaceInput waiting = input;
  Status admitted = admission_.Admit(
      input.function_name, deadline,
      [&]() -> Status {
        // The admission queue asks again as capacity frees: the policy may keep the call
        // waiting for its best class, as long as the deadline leaves time for it.
        const auto now = std::chrono::steady_clock::now();
        using Ms = std::chrono::duration<double, std::milli>;
        waiting.caller_wait = models::PlacementRequest::CallerWait{
            .waited_ms = Ms(now - arrived).count(), .left_ms = Ms(deadline - now).count()};
        auto p = placer_.Place(waiting);
        if (!p.ok()) return p.status();
        placed = std::move(*p);
        return OkStatus();
      },
      caller.cancelled);
  if (!admitted.ok()) return admitted;
  return std::move(*placed);
}

Result<v1::GatewayInvokeResponse> Gateway::InvokeOnce(const v1::GatewayInvokeRequest& request,
                                                      const CallContext& caller) {
  const Admission::Deadline admission_deadline =
      AdmissionDeadline(std::chrono::steady_clock::now(), std::chrono::system_clock::now(), caller,
                        options_.admission_wait, options_.max_admission_wait);
  PlaceInput input;
  input.function_name = request.function_name();
  input.function_version = request.function_version();
  input.payload_bytes = request.payload().size();
  input.policy = request.policy();

  v1::GatewayInvokeResponse response;
  std::string failures;
  const uint32_t max_attempts = std::max(1u, options_.max_attempts);
  for (uint32_t n = 1; n <= max_attempts; ++n) {
    auto placed = PlaceAdmitted(input, admission_deadline, caller);
    if (!placed.ok()) {
      if (response.attempts_size() == 0) return placed.status();
      return UnavailableError("could not run '" + request.function_name() + "': " + failures +
                              "; then: " + std::string(placed.status().message()))
          .WithReason(ErrorReason::kNotStarted);
    }
    input.exclude_node_ids.push_back(placed->node_id);
    const std::string invocation_id = RandomId();
    if (caller.on_attempt) {
      if (Status s = caller.on_attempt(invocation_id, placed->node_id); !s.ok()) {
        placer_.Release(placed->decision_id);
        return s;  // nothing was sent
      }
    }
    Attempt attempt = CallAgent(*placed, request, invocation_id, caller);
    placer_.Release(placed->decision_id);
    if (caller.cancelled && caller.cancelled()) {
      return CancelledError(
          "the caller went away during the call");  // nobody to answer or retry for
    }

    auto* a = response.add_attempts();
    a->set_node_id(placed->node_id);
    a->set_outcome(attempt.reply.report().outcome());
    std::string error;
    if (attempt.end != AttemptEnd::kRan) {
      error = "node " + placed->node_id + ": " +
              (attempt.end == AttemptEnd::kStartFailed
                   ? attempt.reply.report().error_message()
                   : attempt.error.message() + " (" +
                         std::string(StatusCodeName(attempt.error.code())) + ")");
      a->set_error(error);
      failures += (failures.empty() ? "" : "; ") + error;
    }
    switch (DecideNextStep(attempt.end, placed->function.idempotent(), n < max_attempts)) {
      case NextStep::kReturnRun:
        FillRun(*placed, attempt.reply, response);
        return response;
      case NextStep::kTryAnotherNode:
        continue;
      case NextStep::kGiveUp:
        return UnavailableError("could not run '" + request.function_name() + "' after " +
                                std::to_string(response.attempts_size()) + " attempts: " + failures)
            .WithReason(ErrorReason::kNotStarted);
      case NextStep::kReturnAgentLost:
        response.set_decision_id(placed->decision_id);
        response.set_node_id(placed->node_id);
        response.set_policy(placed->policy);
        response.set_outcome(v1::RUN_OUTCOME_AGENT_LOST);
        response.set_error("'" + request.function_name() + "' may have run on " + placed->node_id +
                           ", but the call failed (" + attempt.error.message() +
                           (placed->function.idempotent()
                                ? "), and every attempt is used"
                                : "); not run again because it is not marked idempotent"));
        return response;
      case NextStep::kReturnError:
        return attempt.error;
    }
  }
  return UnavailableError("could not run '" + request.function_name() + "': " + failures);
}

}  // namespace tailor::scheduler
