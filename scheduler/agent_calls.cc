#include "scheduler/agent_calls.h"

namespace tailor::scheduler {

uint64_t AgentCalls::Begin(const std::string& node_id, grpc::ClientContext* context) {
  std::lock_guard lock(mu_);
  const uint64_t token = next_token_++;
  calls_.emplace(token, Call{node_id, context, false});
  return token;
}

bool AgentCalls::End(uint64_t token) {
  std::lock_guard lock(mu_);
  auto it = calls_.find(token);
  if (it == calls_.end()) return false;
  const bool abandoned = it->second.abandoned;
  calls_.erase(it);
  return abandoned;
}

int AgentCalls::Abandon(const std::string& node_id) {
  std::lock_guard lock(mu_);
  int abandoned = 0;
  for (auto& [token, call] : calls_) {
    if (call.node_id != node_id || call.abandoned) continue;
    call.abandoned = true;
    call.context->TryCancel();
    ++abandoned;
  }
  return abandoned;
}

}  // namespace tailor::scheduler
