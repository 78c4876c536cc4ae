// AgentConnections: one gRPC channel per agent address, made on first use and reused.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tailor/v1/agent.grpc.pb.h"

namespace tailor::scheduler {

struct AgentConnection {
  std::shared_ptr<grpc::Channel> channel;
  std::shared_ptr<v1::Agent::StubInterface> stub;

  // Connects if need be and waits, up to `timeout`, while the channel is connecting. False
  // (the connection failed, or is still being made at the timeout) means no call made now
  // would reach the agent, so the function cannot have started there.
  bool WaitUntilReady(std::chrono::milliseconds timeout) const;
};

class AgentConnections {
 public:
  AgentConnection For(const std::string& address);

 private:
  std::mutex mu_;
  std::map<std::string, AgentConnection> connections_;
};

}  // namespace tailor::scheduler
