#include "models/round_robin_policy.h"

#include "models/eligibility.h"

namespace tailor::models {

Result<PlacementDecision> RoundRobinPolicy::Decide(const PlacementRequest& request,
                                                   const ClusterIndex& cluster) {
  const Allocation allocation = EffectiveAllocation(request, StaticAllocation(request.function));

  // Slots keep their number for the index's lifetime (a removed node leaves a dead slot), so
  // cycling over slot numbers is stable.
  const auto n = static_cast<uint32_t>(cluster.slot_count());
  const bool explain_all = request.score_every_node || cluster.size() <= kExplainAllNodesUpTo;
  PlacementDecision decision;
  decision.allocation = allocation;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t slot = (next_slot_ + i) % n;
    if (!cluster.live(slot)) continue;
    const NodeView& node = cluster.node(slot);
    Ineligibility reason = IneligibilityOf(request, cluster, node, allocation);
    if (!reason.empty()) {
      // Kept even on large clusters: when no node is eligible, the error counts the reasons.
      CandidateScore skipped;
      skipped.node_id = node.node_id;
      skipped.host_class = node.host_class;
      skipped.slot = slot;
      skipped.why = reason.why;
      skipped.reason = std::move(reason.text);
      decision.candidates.push_back(std::move(skipped));
      continue;
    }
    if (!explain_all) decision.candidates.clear();
    CandidateScore eligible;
    eligible.node_id = node.node_id;
    eligible.host_class = node.host_class;
    eligible.slot = slot;
    eligible.eligible = true;
    eligible.score = double(i);  // its turn: the sooner, the better
    eligible.terms = {{"turn", double(i)}};
    decision.candidates.push_back(std::move(eligible));
    if (decision.node_id.empty()) {
      decision.node_id = node.node_id;
      decision.slot = slot;
      next_slot_ = (slot + 1) % n;
    }
    if (!request.score_every_node) return decision;
  }
  if (!decision.node_id.empty()) return decision;
  return NoEligibleNodeError(request, decision.candidates);
}

}  // namespace tailor::models
