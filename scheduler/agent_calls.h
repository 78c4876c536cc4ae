// AgentCalls: the gateway's calls to agents in flight, by node, so that the calls to a node
// whose lease expired (frozen, cut off) can be abandoned at once instead of waiting out their
// deadlines.
//
// Thread-safety: all methods are safe to call concurrently (one mutex, never held while a call
// is made; TryCancel only asks gRPC to end the call).
#pragma once

#include <grpcpp/client_context.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace tailor::scheduler {

class AgentCalls {
 public:
  // Registers a call about to be made; returns its token.
  uint64_t Begin(const std::string& node_id, grpc::ClientContext* context);
  // The call returned; true when it had been abandoned.
  bool End(uint64_t token);
  // Cancels every call in flight to the node; returns how many.
  int Abandon(const std::string& node_id);

 private:
  struct Call {
    std::string node_id;
    grpc::ClientContext* context = nullptr;
    bool abandoned = false;
  };
  std::mutex mu_;
  uint64_t next_token_ = 1;
  std::map<uint64_t, Call> calls_;
};

}  // namespace tailor::scheduler
