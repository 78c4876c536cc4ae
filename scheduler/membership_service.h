// MembershipServiceImpl: tailor.v1.Membership over the NodeRegistry.
//
// Thread-safety: called concurrently by gRPC; the registry is thread-safe.
#pragma once

#include "scheduler/node_registry.h"
#include "tailor/v1/membership.grpc.pb.h"

namespace tailor::scheduler {

class MembershipServiceImpl final : public v1::Membership::Service {
 public:
  explicit MembershipServiceImpl(NodeRegistry& registry) : registry_(registry) {}

  grpc::Status Register(grpc::ServerContext* context, const v1::RegisterRequest* request,
                        v1::RegisterResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext* context, const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override;
  grpc::Status ListNodes(grpc::ServerContext* context, const v1::ListNodesRequest* request,
                         v1::ListNodesResponse* response) override;

 private:
  NodeRegistry& registry_;
};

}  // namespace tailor::scheduler
