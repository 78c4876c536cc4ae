// AgentConnections: one gRPC channel per agent address, made on first use and reused.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tailor/v1/agent.grpc.pb.h"

namespace tailor::scheduler {

class AgentConnections {
 public:
  std::shared_ptr<v1::Agent::StubInterface> For(const std::string& address);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<v1::Agent::StubInterface>> stubs_;
};

}  // namespace tailor::scheduler
