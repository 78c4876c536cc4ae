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

}  // namespace tailor::models
