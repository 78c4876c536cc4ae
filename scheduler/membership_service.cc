#include "scheduler/membership_service.h"

#include "proto/grpc_status.h"

namespace tailor::scheduler {

grpc::Status MembershipServiceImpl::Register(grpc::ServerContext*,
                                             const v1::RegisterRequest* request,
                                             v1::RegisterResponse* response) {
  Status s = registry_.Register(*request);
  if (!s.ok()) return ToGrpcStatus(s);
  response->set_heartbeat_interval_ms(
      static_cast<uint32_t>(registry_.options().heartbeat_interval.count()));
  response->set_lease_timeout_ms(static_cast<uint32_t>(registry_.options().lease_timeout.count()));
  return grpc::Status::OK;
}

grpc::Status MembershipServiceImpl::Heartbeat(grpc::ServerContext*,
                                              const v1::HeartbeatRequest* request,
                                              v1::HeartbeatResponse*) {
  return ToGrpcStatus(registry_.Heartbeat(*request));
}

grpc::Status MembershipServiceImpl::ListNodes(grpc::ServerContext*, const v1::ListNodesRequest*,
                                              v1::ListNodesResponse* response) {
  for (auto& node : registry_.List()) *response->add_nodes() = std::move(node);
  return grpc::Status::OK;
}

}  // namespace tailor::scheduler
