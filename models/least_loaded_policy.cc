#include "models/least_loaded_policy.h"

#include <algorithm>
#include <limits>

#include "models/eligibility.h"

namespace tailor::models {

Result<PlacementDecision> LeastLoadedPolicy::Decide(const PlacementRequest& request,
                                                    std::span<const NodeView> nodes) {
  PlacementDecision decision;
  decision.allocation.memory_limit_bytes = request.function.memory_hint_bytes > 0
                                               ? request.function.memory_hint_bytes
                                               : kDefaultMemoryLimitBytes;
  decision.allocation.cpu_millicores = kDefaultCpuMillicores;
  decision.candidates.reserve(nodes.size());
  double best = std::numeric_limits<double>::infinity();
  const NodeView* chosen = nullptr;
  for (const auto& node : nodes) {
    CandidateScore c;
    c.node_id = node.node_id;
    c.host_class = node.host_class;
    c.reason = IneligibilityReason(request, node, decision.allocation);
    c.eligible = c.reason.empty();
    if (c.eligible) {
      const double cpu_share =
          node.capacity.cpu_millicores > 0
              ? double(node.allocated.cpu_millicores) / node.capacity.cpu_millicores
              : 0.0;
      const double running = node.running_invocations + node.queued_invocations;
      c.terms = {{"allocated_cpu_share", cpu_share}, {"running", running}};
      // Running invocations only break ties between equal CPU shares.
      c.score = cpu_share + 1e-3 * running;
      const auto last = [&](const NodeView* n) {
        auto it = last_chosen_.find(n->node_id);
        return it == last_chosen_.end() ? 0 : it->second;
      };
      if (c.score < best || (c.score == best && chosen && last(&node) < last(chosen))) {
        best = c.score;
        chosen = &node;
      }
    }
    decision.candidates.push_back(std::move(c));
  }
  if (chosen == nullptr) return NoEligibleNodeError(request, decision.candidates);
  decision.node_id = chosen->node_id;
  last_chosen_[chosen->node_id] = ++decisions_;
  return decision;
}

}  // namespace tailor::models
