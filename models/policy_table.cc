#include "models/policy_table.h"

#include "models/learned_policy.h"
#include "models/least_loaded_policy.h"

namespace tailor::models {
namespace {

struct PolicyEntry {
  std::string_view name;
  std::unique_ptr<PlacementPolicy> (*make)();
};

constexpr PolicyEntry kPolicies[] = {
    {"performance",
     [] { return std::unique_ptr<PlacementPolicy>(new LearnedPolicy(Objective::kPerformance)); }},
    {"efficiency",
     [] { return std::unique_ptr<PlacementPolicy>(new LearnedPolicy(Objective::kEfficiency)); }},
    {"balanced",
     [] { return std::unique_ptr<PlacementPolicy>(new LearnedPolicy(Objective::kBalanced)); }},
    {"least-loaded", [] { return std::unique_ptr<PlacementPolicy>(new LeastLoadedPolicy()); }},
};

}  // namespace

Result<std::unique_ptr<PlacementPolicy>> MakePolicy(std::string_view name) {
  for (const auto& p : kPolicies) {
    if (p.name == name) return p.make();
  }
  std::string known;
  for (const auto& p : kPolicies) known += (known.empty() ? "" : ", ") + std::string(p.name);
  return InvalidArgumentError("unknown placement policy '" + std::string(name) +
                              "' (known: " + known + ")");
}

std::vector<std::string> PolicyNames() {
  std::vector<std::string> names;
  for (const auto& p : kPolicies) names.emplace_back(p.name);
  return names;
}

}  // namespace tailor::models
