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

// INVALID_ARGUMENT naming the known policies for an unknown name.
Result<std::unique_ptr<PlacementPolicy>> MakePolicy(std::string_view name);
std::vector<std::string> PolicyNames();

}  // namespace tailor::models
