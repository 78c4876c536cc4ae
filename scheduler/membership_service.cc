#include "scheduler/membership_service.h"

#include "common/names.h"
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

grpc::Status MembershipServiceImpl::SetDraining(grpc::ServerContext*,
                                                const v1::SetDrainingRequest* request,
                                                v1::SetDrainingResponse*) {
  if (Status s = CheckName(NameKind::kNodeId, request->node_id(), "node_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return ToGrpcStatus(registry_.SetDraining(request->node_id(), request->draining()));
}

grpc::Status MembershipServiceImpl::Deregister(grpc::ServerContext*,
                                               const v1::DeregisterRequest* request,
                                               v1::DeregisterResponse* response) {
  if (Status s = CheckName(NameKind::kNodeId, request->node_id(), "node_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (Status s = registry_.Deregister(request->node_id()); !s.ok()) return ToGrpcStatus(s);
  response->set_reservations_dropped(placer_.DropReservationsOf(request->node_id()));
  return grpc::Status::OK;
}

}  // namespace tailor::scheduler
