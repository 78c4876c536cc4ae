// MembershipServiceImpl: tailor.v1.Membership over the NodeRegistry (and the Placer, which
// drops a deregistered node's reservations). A node registers and heartbeats only for itself
// (its certificate names its node id: the node-authorizer rule); listing needs a reader,
// drain and deregister an admin (authorizer.h).
//
// Thread-safety: called concurrently by gRPC; the registry and placer are thread-safe.
#pragma once

#include "scheduler/authorizer.h"
#include "scheduler/node_registry.h"
#include "scheduler/placer.h"
#include "tailor/v1/membership.grpc.pb.h"

namespace tailor::scheduler {

class MembershipServiceImpl final : public v1::Membership::Service {
 public:
  MembershipServiceImpl(Authorizer& authorizer, NodeRegistry& registry, Placer& placer)
      : authorizer_(authorizer), registry_(registry), placer_(placer) {}

  grpc::Status Register(grpc::ServerContext* context, const v1::RegisterRequest* request,
                        v1::RegisterResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext* context, const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override;
  grpc::Status ListNodes(grpc::ServerContext* context, const v1::ListNodesRequest* request,
                         v1::ListNodesResponse* response) override;
  grpc::Status SetDraining(grpc::ServerContext* context, const v1::SetDrainingRequest* request,
                           v1::SetDrainingResponse* response) override;
  grpc::Status Deregister(grpc::ServerContext* context, const v1::DeregisterRequest* request,
                          v1::DeregisterResponse* response) override;

 private:
  // The node named `node_id` calling, or why not.
  Status CheckNodeCall(const grpc::ServerContext& context, const std::string& node_id);

  Authorizer& authorizer_;
  NodeRegistry& registry_;
  Placer& placer_;
};

}  // namespace tailor::scheduler
