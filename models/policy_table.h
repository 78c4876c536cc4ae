// The placement policies by name, from one explicit table.
//
// Thread-safety: stateless.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/placement_policy.h"

namespace tailor::models {

// Settings shared by the policies that learn.
struct PolicySettings {
  double exploration = 1.0;  // scale of the value of information; 0 = always exploit
};

// INVALID_ARGUMENT naming the known policies for an unknown name.
Result<std::unique_ptr<PlacementPolicy>> MakePolicy(std::string_view name,
                                                    const PolicySettings& settings = {});
std::vector<std::string> PolicyNames();

struct NamedPolicy {
  std::string name;
  std::unique_ptr<PlacementPolicy> policy;
  // The policy whose learning this one decides on (LearnedPolicy's sharing constructor); empty
  // for one that learns for itself. It must then be used under that policy's lock.
  std::string learns_with;
};
// Every policy, in PolicyNames' order, for a process where every policy learns from every run
// (the scheduler): the learned ones would each learn the same, so `efficiency` and `balanced`
// decide on what `performance` learns (a third of the learning's CPU and memory).
Result<std::vector<NamedPolicy>> MakeEveryPolicy(const PolicySettings& settings = {});

}  // namespace tailor::models
