#include "agent/agent_service.h"

#include "proto/grpc_status.h"

namespace tailor::agent {

grpc::Status AgentServiceImpl::GetInventory(grpc::ServerContext* context,
                                            const internal::v1::GetInventoryRequest*,
                                            v1::HostInventory* response) {
  if (Status s = access_.Check(*context, "GetInventory"); !s.ok()) return ToGrpcStatus(s);
  *response = inventory_;
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::Invoke(grpc::ServerContext* context,
                                      const internal::v1::InvokeRequest* request,
                                      internal::v1::InvokeResponse* response) {
  if (Status s = access_.Check(*context, "Invoke"); !s.ok()) return ToGrpcStatus(s);
  if (executor_ == nullptr) {
    return ToGrpcStatus(FailedPreconditionError("this agent does not run functions"));
  }
  std::function<bool()> cancelled;
  if (request->stop_when_caller_leaves()) cancelled = [context] { return context->IsCancelled(); };
  auto result = executor_->Invoke(*request, cancelled);
  if (after_run_) after_run_(result.ok() ? &result->report() : nullptr);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace tailor::agent
