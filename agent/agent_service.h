// AgentServiceImpl: the agent's gRPC API (tailor.v1.Agent).
//
// Thread-safety: called concurrently by gRPC; holds only immutable state.
#pragma once

#include "tailor/v1/agent.grpc.pb.h"

namespace tailor::agent {

class AgentServiceImpl final : public v1::Agent::Service {
 public:
  explicit AgentServiceImpl(v1::HostInventory inventory) : inventory_(std::move(inventory)) {}

  grpc::Status GetInventory(grpc::ServerContext* context, const v1::GetInventoryRequest* request,
                            v1::HostInventory* response) override;

 private:
  const v1::HostInventory inventory_;
};

}  // namespace tailor::agent
