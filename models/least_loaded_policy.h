// LeastLoadedPolicy: the baseline. Among eligible nodes, picks the one with the smallest share
// of its CPU capacity held by in-flight invocations plus a small term for the invocations its
// last heartbeat reported; ties go to the node chosen least recently, so equal nodes take
// turns. The allocation is the function's memory hint (or 256 MiB) and one core. It learns
// nothing; Observe() is a no-op.
//
// Thread-safety: see PlacementPolicy.
#pragma once

#include <unordered_map>

#include "models/cluster_index.h"
#include "models/placement_policy.h"

namespace tailor::models {

class LeastLoadedPolicy final : public PlacementPolicy {
 public:
  std::string_view name() const override { return "least-loaded"; }
  Result<PlacementDecision> Decide(const PlacementRequest& request,
                                   const ClusterIndex& cluster) override;
  void Observe(const RunObservation&) override {}

 private:
  uint64_t decisions_ = 0;
  std::unordered_map<std::string, uint64_t> last_chosen_;  // node -> decision number
};

}  // namespace tailor::models
