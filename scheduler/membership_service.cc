#include "scheduler/membership_service.h"

#include "common/names.h"
#include "proto/grpc_status.h"

namespace tailor::scheduler {

Status MembershipServiceImpl::CheckNodeCall(const grpc::ServerContext& context,
                                            const std::string& node_id) {
  TAILOR_ASSIGN_OR_RETURN(const Identity who, authorizer_.Check(context, Action::kNodeSelf));
  return authorizer_.CheckNode(who, node_id, Action::kNodeSelf);
}

grpc::Status MembershipServiceImpl::Register(grpc::ServerContext* context,
                                             const v1::RegisterRequest* request,
                                             v1::RegisterResponse* response) {
  if (Status s = CheckNodeCall(*context, request->node_id()); !s.ok()) return ToGrpcStatus(s);
  Status s = registry_.Register(*request);
  if (!s.ok()) return ToGrpcStatus(s);
  response->set_heartbeat_interval_ms(
      static_cast<uint32_t>(registry_.options().heartbeat_interval.count()));
  response->set_lease_timeout_ms(static_cast<uint32_t>(registry_.options().lease_timeout.count()));
  return grpc::Status::OK;
}

grpc::Status MembershipServiceImpl::Heartbeat(grpc::ServerContext* context,
                                              const v1::HeartbeatRequest* request,
                                              v1::HeartbeatResponse*) {
  if (Status s = CheckNodeCall(*context, request->node_id()); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(registry_.Heartbeat(*request));
}

grpc::Status MembershipServiceImpl::ListNodes(grpc::ServerContext* context,
                                              const v1::ListNodesRequest*,
                                              v1::ListNodesResponse* response) {
  if (auto who = authorizer_.Check(*context, Action::kListNodes); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  for (auto& node : registry_.List()) *response->add_nodes() = std::move(node);
  return grpc::Status::OK;
}

grpc::Status MembershipServiceImpl::SetDraining(grpc::ServerContext* context,
                                                const v1::SetDrainingRequest* request,
                                                v1::SetDrainingResponse*) {
  if (auto who = authorizer_.Check(*context, Action::kManageNodes); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  if (Status s = CheckName(NameKind::kNodeId, request->node_id(), "node_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return ToGrpcStatus(registry_.SetDraining(request->node_id(), request->draining()));
}

grpc::Status MembershipServiceImpl::Deregister(grpc::ServerContext* context,
                                               const v1::DeregisterRequest* request,
                                               v1::DeregisterResponse* response) {
  if (auto who = authorizer_.Check(*context, Action::kManageNodes); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  if (Status s = CheckName(NameKind::kNodeId, request->node_id(), "node_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (Status s = registry_.Deregister(request->node_id()); !s.ok()) return ToGrpcStatus(s);
  response->set_reservations_dropped(placer_.DropReservationsOf(request->node_id()));
  return grpc::Status::OK;
}

}  // namespace tailor::scheduler
