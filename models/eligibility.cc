#include "models/eligibility.h"

#include <algorithm>
#include <map>

namespace tailor::models {

std::string IneligibilityReason(const PlacementRequest& request, const NodeView& node,
                                const Allocation& allocation) {
  if (!node.healthy) return "unhealthy";
  for (const auto& f : request.required_features) {
    if (!std::binary_search(node.features.begin(), node.features.end(), f)) return "lacks " + f;
  }
  if (node.capacity.memory_bytes > 0 &&
      node.allocated.memory_bytes + allocation.memory_limit_bytes > node.capacity.memory_bytes) {
    return "memory full";
  }
  if (node.capacity.cpu_millicores > 0 &&
      node.allocated.cpu_millicores + allocation.cpu_millicores > node.capacity.cpu_millicores) {
    return "cpu full";
  }
  return "";
}

Status NoEligibleNodeError(const PlacementRequest& request,
                           std::span<const CandidateScore> candidates) {
  if (candidates.empty()) {
    return FailedPreconditionError("no node can take '" + request.function.name +
                                   "': no nodes are registered or match the candidates");
  }
  std::map<std::string, int> counts;
  for (const auto& c : candidates) {
    if (!c.eligible) ++counts[c.reason];
  }
  std::string why;
  for (const auto& [reason, n] : counts) {
    why += (why.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
  }
  return FailedPreconditionError("no node can take '" + request.function.name + "' now: " + why);
}

}  // namespace tailor::models
