#include "agent/agent_service.h"

namespace tailor::agent {

grpc::Status AgentServiceImpl::GetInventory(grpc::ServerContext*, const v1::GetInventoryRequest*,
                                            v1::HostInventory* response) {
  *response = inventory_;
  return grpc::Status::OK;
}

}  // namespace tailor::agent
