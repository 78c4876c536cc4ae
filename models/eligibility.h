// Eligibility: the rules every policy applies before scoring. A node is eligible for an
// invocation when it is healthy, advertises every required feature, and has the memory and
// CPU for the allocation left after what in-flight invocations hold.
//
// Thread-safety: stateless.
#pragma once

#include <span>
#include <string>

#include "models/placement_policy.h"

namespace tailor::models {

// Empty when eligible, else the reason ("unhealthy", "lacks avx512f", "memory full: ...").
std::string IneligibilityReason(const PlacementRequest& request, const NodeView& node,
                                const Allocation& allocation);

// FAILED_PRECONDITION summarising why no candidate was eligible ("no node can take 'f': 2
// unhealthy, 1 lacks aes").
Status NoEligibleNodeError(const PlacementRequest& request,
                           std::span<const CandidateScore> candidates);

}  // namespace tailor::models
