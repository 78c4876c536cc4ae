#include "scheduler/agent_connections.h"

#include "common/cluster_identity.h"
#include "proto/grpc_channel.h"

namespace tailor::scheduler {

bool AgentConnection::WaitUntilReady(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::system_clock::now() + timeout;
  grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
  // Idle or connecting: wait. Failing or shut down: the agent is not there now.
  while (state == GRPC_CHANNEL_IDLE || state == GRPC_CHANNEL_CONNECTING) {
    if (!channel->WaitForStateChange(state, deadline)) return false;
    state = channel->GetState(/*try_to_connect=*/true);
  }
  return state == GRPC_CHANNEL_READY;
}

AgentConnection AgentConnections::For(const std::string& node_id, const std::string& address) {
  std::lock_guard lock(mu_);
  AgentConnection& c = connections_[node_id + std::string(1, '\0') + address];
  if (!c.channel) {
    c.channel = MakeChannel(address, security_, NodeServerName(node_id));
    c.stub = internal::v1::Agent::NewStub(c.channel);
  }
  return c;
}

}  // namespace tailor::scheduler
