#include "models/least_loaded_policy.h"

#include "models/eligibility.h"

namespace tailor::models {

Result<PlacementDecision> LeastLoadedPolicy::Decide(const PlacementRequest& request,
                                                    const ClusterIndex& cluster) {
  const Allocation allocation = StaticAllocation(request.function);
  auto decided = ChooseByClass(
      request, cluster, allocation, WalkOrder::kLeastLoadedFirst,
      [&](uint32_t, const NodeView& node, CandidateScore& c) {
        const double cpu_share = AllocatedCpuShare(node.allocated, node.capacity);
        const double running = node.running_invocations + node.queued_invocations;
        auto it = last_chosen_.find(node.node_id);
        const double turn = it == last_chosen_.end() ? 0.0 : double(it->second);
        c.terms = {{"allocated_cpu_share", cpu_share}, {"running", running}};
        // Running invocations, then whose turn it is, only break ties.
        c.score = cpu_share + 1e-3 * running + 1e-12 * turn;
      });
  if (decided.ok()) last_chosen_[decided->node_id] = ++decisions_;
  return decided;
}

}  // namespace tailor::models
