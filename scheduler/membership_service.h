// MembershipServiceImpl: tailor.v1.Membership over the NodeRegistry (and the Placer, which
// drops a deregistered node's reservations).
//
// Thread-safety: called concurrently by gRPC; the registry and placer are thread-safe.
#pragma once

#include "scheduler/node_registry.h"
#include "scheduler/placer.h"
#include "tailor/v1/membership.grpc.pb.h"

namespace tailor::scheduler {

class MembershipServiceImpl final : public v1::Membership::Service {
 public:
  MembershipServiceImpl(NodeRegistry& registry, Placer& placer)
      : registry_(registry), placer_(placer) {}

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
  NodeRegistry& registry_;
  Placer& placer_;
};

}  // namespace tailor::scheduler
