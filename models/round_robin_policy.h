// RoundRobinPolicy: the simplest baseline, and the one most FaaS front ends start with. Nodes
// take turns in a fixed cycle (the index's slot order); a node that cannot take the invocation
// (unhealthy, lacking a required feature, full, excluded) is skipped and the cycle moves on.
// The allocation is what static configuration gives: the function's memory hint (or 256 MiB)
// and one core. It learns nothing; Observe() is a no-op.
//
// Thread-safety: see PlacementPolicy.
#pragma once

#include <cstdint>

#include "models/cluster_index.h"
#include "models/placement_policy.h"

namespace tailor::models {

class RoundRobinPolicy final : public PlacementPolicy {
 public:
  std::string_view name() const override { return "round-robin"; }
  // Candidates: on clusters of at most kExplainAllNodesUpTo nodes, every node (the chosen one
  // eligible, the ones skipped before it with their reason); on larger ones, the chosen node.
  // FAILED_PRECONDITION counting the reasons when no node can take the invocation.
  Result<PlacementDecision> Decide(const PlacementRequest& request,
                                   const ClusterIndex& cluster) override;
  void Observe(const RunObservation&) override {}

 private:
  uint32_t next_slot_ = 0;
};

}  // namespace tailor::models
