#include "scheduler/gateway.h"

#include <grpcpp/grpcpp.h>

#include "common/random_id.h"
#include "proto/grpc_status.h"

namespace tailor::scheduler {
namespace {

enum class Started { kNo, kUnknown };

// What a failed agent call says about whether the function started.
Started Classify(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:            // function missing and not fetchable
    case grpc::StatusCode::FAILED_PRECONDITION:  // allocation the node cannot apply
    case grpc::StatusCode::RESOURCE_EXHAUSTED:   // agent queue full
    case grpc::StatusCode::PERMISSION_DENIED:
      return Started::kNo;
    case grpc::StatusCode::UNAVAILABLE:
      // Never connected: the request did not reach the agent.
      if (s.error_message().find("connect") != std::string::npos ||
          s.error_message().find("Connection refused") != std::string::npos) {
        return Started::kNo;
      }
      return Started::kUnknown;
    default:
      return Started::kUnknown;
  }
}

std::string OutcomeName(const v1::RunReport& r) {
  if (r.oom_killed()) return "oom_killed";
  if (r.timed_out()) return "timed_out";
  if (r.outcome() == v1::RUN_OUTCOME_SUCCEEDED) return "succeeded";
  return "function_error";
}

}  // namespace

Result<v1::GatewayInvokeResponse> Gateway::Invoke(const v1::GatewayInvokeRequest& request) {
  auto result = InvokeOnce(request);
  if (hook_) hook_(result.ok() ? OutcomeName(result->report()) : "failed");
  return result;
}

Result<v1::GatewayInvokeResponse> Gateway::InvokeOnce(const v1::GatewayInvokeRequest& request) {
  if (request.function_name().empty()) return InvalidArgumentError("function_name is required");
  PlaceInput input;
  input.function_name = request.function_name();
  input.function_version = request.function_version();
  input.payload_bytes = request.payload().size();
  input.policy = request.policy();

  v1::GatewayInvokeResponse response;
  std::string failures;
  for (uint32_t attempt = 1; attempt <= std::max(1u, options_.max_attempts); ++attempt) {
    auto placed = placer_.Place(input);
    if (!placed.ok()) {
      if (response.attempts_size() == 0) return placed.status();
      return UnavailableError("could not run '" + request.function_name() + "': " + failures +
                              "; then: " + std::string(placed.status().message()));
    }
    input.exclude_node_ids.push_back(placed->node_id);

    v1::InvokeRequest call;
    call.set_function_name(placed->function.name());
    call.set_function_version(placed->function.version());
    call.set_payload(request.payload());
    *call.mutable_allocation() = placed->allocation;
    call.set_invocation_id(RandomId());
    call.set_timeout_ms(request.timeout_ms());
    call.set_decision_id(placed->decision_id);
    call.set_bundle_digest(placed->function.digest());
    const uint32_t timeout_ms =
        request.timeout_ms() > 0 ? request.timeout_ms() : placed->function.timeout_ms();

    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms) +
                     options_.deadline_slack);
    v1::InvokeResponse reply;
    const grpc::Status s = agents_.For(placed->node_address)->Invoke(&ctx, call, &reply);
    placer_.Release(placed->decision_id);

    auto* a = response.add_attempts();
    a->set_node_id(placed->node_id);
    if (s.ok()) {
      response.set_output(reply.output());
      response.set_output_truncated(reply.output_truncated());
      response.set_stderr_tail(reply.stderr_tail());
      *response.mutable_report() = reply.report();
      response.set_decision_id(placed->decision_id);
      response.set_node_id(placed->node_id);
      response.set_predicted_duration_ms(placed->predicted_duration_ms);
      response.set_policy(placed->policy);
      response.set_explored(placed->explored);
      return response;
    }
    const std::string error = "node " + placed->node_id + ": " + s.error_message() + " (" +
                              std::string(StatusCodeName(FromGrpcStatus(s).code())) + ")";
    a->set_error(error);
    failures += (failures.empty() ? "" : "; ") + error;
    if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) return FromGrpcStatus(s);
    if (Classify(s) == Started::kUnknown && !placed->function.idempotent()) {
      return UnknownError("'" + request.function_name() + "' may have started on " +
                          placed->node_id + " before the call failed (" + s.error_message() +
                          "); not retried because the function is not marked idempotent");
    }
  }
  return UnavailableError("could not run '" + request.function_name() + "' after " +
                          std::to_string(response.attempts_size()) + " attempts: " + failures);
}

}  // namespace tailor::scheduler
