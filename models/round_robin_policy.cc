#include "models/round_robin_policy.h"

#include "models/eligibility.h"

namespace tailor::models {

Result<PlacementDecision> RoundRobinPolicy::Decide(const PlacementRequest& request,
                                                   const ClusterIndex& cluster) {
  const Allocation allocation = StaticAllocation(request.function);

  // The index never drops a node (a departed one stays, unhealthy), so slots 0..size()-1 are
  // every node and the cycle is stable.
  const auto n = static_cast<uint32_t>(cluster.size());
  const bool explain_all = n <= kExplainAllNodesUpTo;
  PlacementDecision decision;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t slot = (next_slot_ + i) % n;
    const NodeView& node = cluster.node(slot);
    std::string reason = IneligibilityReason(request, cluster, node, allocation);
    if (!reason.empty()) {
      // Kept even on large clusters: when no node is eligible, the error counts the reasons.
      CandidateScore skipped;
      skipped.node_id = node.node_id;
      skipped.host_class = node.host_class;
      skipped.reason = std::move(reason);
      decision.candidates.push_back(std::move(skipped));
      continue;
    }
    if (!explain_all) decision.candidates.clear();
    CandidateScore chosen;
    chosen.node_id = node.node_id;
    chosen.host_class = node.host_class;
    chosen.eligible = true;
    chosen.terms = {{"turn", double(i)}};
    decision.candidates.push_back(std::move(chosen));
    decision.node_id = node.node_id;
    decision.allocation = allocation;
    next_slot_ = (slot + 1) % n;
    return decision;
  }
  return NoEligibleNodeError(request, decision.candidates);
}

}  // namespace tailor::models
