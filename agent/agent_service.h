// AgentServiceImpl: the agent's gRPC API (tailor.internal.v1.Agent, proto/tailor/internal): its
// inventory, and Invoke, which runs a function through the Executor. Every call is checked by
// AgentAccess first: only the scheduler may call an agent.
//
// Thread-safety: called concurrently by gRPC; the Executor is thread-safe.
#pragma once

#include <functional>

#include "agent/agent_access.h"
#include "agent/runtime/executor.h"
#include "tailor/internal/v1/agent.grpc.pb.h"

namespace tailor::agent {

class AgentServiceImpl final : public internal::v1::Agent::Service {
 public:
  // Called after each Invoke with the run's report, or null when the run did not start.
  using AfterRunFn = std::function<void(const v1::RunReport*)>;

  // `executor` may be null (inventory only).
  AgentServiceImpl(AgentAccess& access, v1::HostInventory inventory, Executor* executor,
                   AfterRunFn after_run = nullptr)
      : access_(access),
        inventory_(std::move(inventory)),
        executor_(executor),
        after_run_(std::move(after_run)) {}

  grpc::Status GetInventory(grpc::ServerContext* context,
                            const internal::v1::GetInventoryRequest* request,
                            v1::HostInventory* response) override;
  grpc::Status Invoke(grpc::ServerContext* context, const internal::v1::InvokeRequest* request,
                      internal::v1::InvokeResponse* response) override;

 private:
  AgentAccess& access_;
  const v1::HostInventory inventory_;
  Executor* executor_;
  AfterRunFn after_run_;
};

}  // namespace tailor::agent
