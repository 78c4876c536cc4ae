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

namespace {

// A policy that saves nothing piece by piece: its whole SaveState at the first part.
class WholeStateSave final : public StateSave {
 public:
  explicit WholeStateSave(const PlacementPolicy& policy) : policy_(policy) {}
  bool WriteSome(size_t /*max_functions*/) override {
    state_ = policy_.SaveState();
    return true;
  }
  std::string Take() && override { return std::move(state_); }

 private:
  const PlacementPolicy& policy_;
  std::string state_;
};

}  // namespace

std::unique_ptr<StateSave> PlacementPolicy::StartSave() const {
  return std::make_unique<WholeStateSave>(*this);
}

}  // namespace tailor::models
