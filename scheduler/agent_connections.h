// AgentConnections: one gRPC channel per agent (node id and address), made on first use and
// reused. Over TLS the agent must present the certificate of that node id
// (cluster_identity.h), so an address registered by mistake or malice reaches no other node's
// calls; the scheduler presents its own certificate, the only one agents take calls from.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "proto/tls_credentials.h"
#include "tailor/internal/v1/agent.grpc.pb.h"

namespace tailor::scheduler {

struct AgentConnection {
  std::shared_ptr<grpc::Channel> channel;
  std::shared_ptr<internal::v1::Agent::StubInterface> stub;

  // Connects if need be and waits, up to `timeout`, while the channel is connecting. False
  // (the connection failed, or is still being made at the timeout) means no call made now
  // would reach the agent, so the function cannot have started there.
  bool WaitUntilReady(std::chrono::milliseconds timeout) const;
};

class AgentConnections {
 public:
  explicit AgentConnections(TransportSecurity security) : security_(std::move(security)) {}
  AgentConnection For(const std::string& node_id, const std::string& address);

 private:
  const TransportSecurity security_;
  std::mutex mu_;
  std::map<std::string, AgentConnection> connections_;
};

}  // namespace tailor::scheduler
