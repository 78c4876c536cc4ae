#include "scheduler/gateway_service.h"

#include "common/names.h"
#include "proto/grpc_status.h"
#include "proto/validation.h"
#include "scheduler/callback_target.h"
#include "scheduler/function_profile.h"

namespace tailor::scheduler {

Status GatewayServiceImpl::CheckSees(const Identity& who, const std::string& tenant,
                                     const std::string& function_name) {
  if (SeesTenant(who, tenant)) return OkStatus();
  return NotFoundError("no function named '" + function_name + "'");
}

Result<std::string> GatewayServiceImpl::CheckRequest(const Identity& who,
                                                     const v1::GatewayInvokeRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateGatewayInvokeRequest(request));
  if (request.payload().size() > options_.max_payload_bytes) {
    return InvalidArgumentError("payload is " + std::to_string(request.payload().size()) +
                                " bytes; the limit is " +
                                std::to_string(options_.max_payload_bytes))
        .WithField("payload");
  }
  TAILOR_ASSIGN_OR_RETURN(auto fn,
                          functions_.Resolve(request.function_name(), request.function_version()));
  TAILOR_RETURN_IF_ERROR(CheckSees(who, fn.tenant(), fn.name()));
  if (fn.placement_only()) {
    return FailedPreconditionError("function '" + fn.name() + "' version '" + fn.version() +
                                   "' is registered for placement only: its platform runs it, "
                                   "Tailor has no executable to invoke")
        .WithField("function_name");
  }
  return fn.tenant();
}

grpc::Status GatewayServiceImpl::Invoke(grpc::ServerContext* context,
                                        const v1::GatewayInvokeRequest* request,
                                        v1::GatewayInvokeResponse* response) {
  auto who = authorizer_.Check(*context, Action::kInvoke);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto tenant = CheckRequest(*who, *request);
  if (!tenant.ok()) return ToGrpcStatus(tenant.status());
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
  caller.tenant = *tenant;
  auto result = gateway_.Invoke(*request, caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

Result<v1::GatewayInvokeResponse> GatewayServiceImpl::InvokeFor(
    const Identity& who, const v1::GatewayInvokeRequest& request) {
  TAILOR_ASSIGN_OR_RETURN(const std::string tenant, CheckRequest(who, request));
  CallContext caller;
  caller.tenant = tenant;
  return gateway_.Invoke(request, caller);
}

Result<std::string> GatewayServiceImpl::Enqueue(const Identity& who,
                                                const v1::GatewayInvokeRequest& request) {
  TAILOR_ASSIGN_OR_RETURN(const std::string tenant, CheckRequest(who, request));
  if (!request.callback_url().empty()) {
    TAILOR_RETURN_IF_ERROR(ParseCallbackUrl(request.callback_url(), "callback_url"));
  }
  TAILOR_ASSIGN_OR_RETURN(std::string id, queue_.Enqueue(request, tenant));
  if (on_enqueue_) on_enqueue_();
  return id;
}

grpc::Status GatewayServiceImpl::InvokeAsync(grpc::ServerContext* context,
                                             const v1::GatewayInvokeRequest* request,
                                             v1::InvokeAsyncResponse* response) {
  auto who = authorizer_.Check(*context, Action::kInvoke);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto id = Enqueue(*who, *request);
  if (!id.ok()) return ToGrpcStatus(id.status());
  response->set_id(*id);
  return grpc::Status::OK;
}

Result<v1::AsyncResult> GatewayServiceImpl::ReadResult(const Identity& who, const std::string& id) {
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kId, id, "id"));
  TAILOR_ASSIGN_OR_RETURN(v1::AsyncResult r, queue_.Get(id));
  if (!SeesTenant(who, r.tenant())) return NotFoundError("no async invocation '" + id + "'");
  return r;
}

grpc::Status GatewayServiceImpl::GetResult(grpc::ServerContext* context,
                                           const v1::GetResultRequest* request,
                                           v1::AsyncResult* response) {
  auto who = authorizer_.Check(*context, Action::kReadResults);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto r = ReadResult(*who, request->id());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status GatewayServiceImpl::GetProfile(grpc::ServerContext* context,
                                            const v1::GetProfileRequest* request,
                                            v1::FunctionProfile* response) {
  auto who = authorizer_.Check(*context, Action::kReadProfiles);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (Status s = CheckName(NameKind::kFunction, request->function_name(), "function_name");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  // Profiles of functions never deployed (placed by a platform) are for admins and platforms.
  auto tenant = functions_.TenantOf(request->function_name());
  if (!SeesTenant(*who, tenant.ok() ? *tenant : "")) {
    return ToGrpcStatus(NotFoundError("no function named '" + request->function_name() + "'"));
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
