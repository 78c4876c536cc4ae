#include "models/policy_table.h"

#include <memory>

#include "models/learned_policy.h"
#include "models/least_loaded_policy.h"
#include "models/round_robin_policy.h"

namespace tailor::models {
namespace {

struct PolicyEntry {
  std::string_view name;
  std::unique_ptr<PlacementPolicy> (*make)(const PolicySettings&);
};

std::unique_ptr<PlacementPolicy> Learned(Objective objective, const PolicySettings& s) {
  LearnedPolicyOptions o;
  o.exploration = s.exploration;
  return std::make_unique<LearnedPolicy>(objective, o);
}

constexpr PolicyEntry kPolicies[] = {
    {"performance", [](const PolicySettings& s) { return Learned(Objective::kPerformance, s); }},
    {"efficiency", [](const PolicySettings& s) { return Learned(Objective::kEfficiency, s); }},
    {"balanced", [](const PolicySettings& s) { return Learned(Objective::kBalanced, s); }},
    {"least-loaded",
     [](const PolicySettings&) {
       return std::unique_ptr<PlacementPolicy>(std::make_unique<LeastLoadedPolicy>());
     }},
    {"round-robin",
     [](const PolicySettings&) {
       return std::unique_ptr<PlacementPolicy>(std::make_unique<RoundRobinPolicy>());
     }},
};

}  // namespace

Result<std::unique_ptr<PlacementPolicy>> MakePolicy(std::string_view name,
                                                    const PolicySettings& settings) {
  if (!(settings.exploration >= 0 && settings.exploration <= 10)) {
    return InvalidArgumentError("exploration must be between 0 and 10");
  }
  for (const auto& p : kPolicies) {
    if (p.name == name) return p.make(settings);
  }
  std::string known;
  for (const auto& p : kPolicies) known += (known.empty() ? "" : ", ") + std::string(p.name);
  return InvalidArgumentError("unknown placement policy '" + std::string(name) +
                              "' (known: " + known + ")");
}

Result<std::vector<NamedPolicy>> MakeEveryPolicy(const PolicySettings& settings) {
  std::vector<NamedPolicy> every;
  LearnedPolicy* teacher = nullptr;
  std::string teacher_name;
  for (const auto& name : PolicyNames()) {
    TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<PlacementPolicy> made, MakePolicy(name, settings));
    NamedPolicy p{name, std::move(made), ""};
    if (auto* learned = dynamic_cast<LearnedPolicy*>(p.policy.get())) {
      if (teacher == nullptr) {
        teacher = learned;  // the first: performance
        teacher_name = name;
      } else {
        p.policy = std::make_unique<LearnedPolicy>(learned->objective(), *teacher);
        p.learns_with = teacher_name;
      }
    }
    every.push_back(std::move(p));
  }
  return every;
}

std::vector<std::string> PolicyNames() {
  std::vector<std::string> names;
  for (const auto& p : kPolicies) names.emplace_back(p.name);
  return names;
}

}  // namespace tailor::models
