#include "models/placement_policy.h"

#include "models/cluster_index.h"

namespace tailor::models {

Resources AllocationCeiling(const FunctionInfo& function, const ClusterIndex& cluster) {
  Resources ceiling = cluster.Largest();
  if (function.max_memory_bytes > 0 &&
      (ceiling.memory_bytes == 0 || function.max_memory_bytes < ceiling.memory_bytes)) {
    ceiling.memory_bytes = function.max_memory_bytes;
  }
  return ceiling;
}

Allocation PlacementPolicy::AdviseAllocation(const FunctionInfo& function,
                                             const ClusterIndex&) const {
  return StaticAllocation(function);
}

}  // namespace tailor::models
