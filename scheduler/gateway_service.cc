#include "scheduler/gateway_service.h"

#include "common/names.h"
#include "proto/grpc_status.h"
#include "proto/validation.h"
#include "scheduler/callback_target.h"
#include "scheduler/function_profile.h"

namespace tailor::scheduler {

Status GatewayServiceImpl::CheckRequest(const v1::GatewayInvokeRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateGatewayInvokeRequest(request));
  if (request.payload().size() > options_.max_payload_bytes) {
    return InvalidArgumentError("payload is " + std::to_string(request.payload().size()) +
                                " bytes; the limit is " +
                                std::to_string(options_.max_payload_bytes))
        .WithField("payload");
  }
  return functions_.Resolve(request.function_name(), request.function_version()).status();
}

grpc::Status GatewayServiceImpl::Invoke(grpc::ServerContext* context,
                                        const v1::GatewayInvokeRequest* request,
                                        v1::GatewayInvokeResponse* response) {
  Status checked = CheckRequest(*request);
  if (!checked.ok()) return ToGrpcStatus(checked);
  if (!request->callback_url().empty()) {
    return ToGrpcStatus(InvalidArgumentError("callback_url is for InvokeAsync only: Invoke "
                                             "answers the caller itself")
                            .WithField("callback_url"));
  }
  CallContext caller;
  // gRPC reports "no deadline" as a time point centuries away.
  const auto deadline = context->deadline();
  if (deadline < std::chrono::system_clock::now() + std::chrono::hours(24 * 365)) {
    caller.deadline = deadline;
  }
  caller.cancelled = [context] { return context->IsCancelled(); };
  caller.server_context = context;
  auto result = gateway_.Invoke(*request, caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

Result<std::string> GatewayServiceImpl::Enqueue(const v1::GatewayInvokeRequest& request) {
  TAILOR_RETURN_IF_ERROR(CheckRequest(request));
  if (!request.callback_url().empty()) {
    TAILOR_RETURN_IF_ERROR(ParseCallbackUrl(request.callback_url(), "callback_url"));
  }
  TAILOR_ASSIGN_OR_RETURN(std::string id, queue_.Enqueue(request));
  if (on_enqueue_) on_enqueue_();
  return id;
}

grpc::Status GatewayServiceImpl::InvokeAsync(grpc::ServerContext*,
                                             const v1::GatewayInvokeRequest* request,
                                             v1::InvokeAsyncResponse* response) {
  auto id = Enqueue(*request);
  if (!id.ok()) return ToGrpcStatus(id.status());
  response->set_id(*id);
  return grpc::Status::OK;
}

grpc::Status GatewayServiceImpl::GetResult(grpc::ServerContext*,
                                           const v1::GetResultRequest* request,
                                           v1::AsyncResult* response) {
  if (Status s = CheckName(NameKind::kId, request->id(), "id"); !s.ok()) return ToGrpcStatus(s);
  auto r = queue_.Get(request->id());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status GatewayServiceImpl::GetProfile(grpc::ServerContext*,
                                            const v1::GetProfileRequest* request,
                                            v1::FunctionProfile* response) {
  if (Status s = CheckName(NameKind::kFunction, request->function_name(), "function_name");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto runs = runs_.RunsOf(request->function_name(), options_.profile_max_runs);
  if (!runs.ok()) return ToGrpcStatus(runs.status());
  if (runs->empty()) {
    // Known but never run is an empty profile; unknown altogether is NOT_FOUND.
    auto fn = functions_.Resolve(request->function_name(), "");
    if (!fn.ok() && fn.status().code() == StatusCode::kNotFound) return ToGrpcStatus(fn.status());
  }
  *response = ComputeProfile(request->function_name(), *runs);
  // A removed function has no next invocation: its profile shows no recommendation.
  if (auto advice = placer_.Advise(request->function_name()); advice.ok()) {
    *response->mutable_recommended_allocation() = *advice;
  }
  return grpc::Status::OK;
}

}  // namespace tailor::scheduler
