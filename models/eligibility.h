// Eligibility: the rules every policy applies before scoring, and the walk that finds, per
// host class, the first eligible node in load order.
//
// A class is eligible when it has every required feature; a node when it is healthy, allowed
// (not excluded, and in the allow-list if there is one), and has the memory and CPU for the
// allocation left after what in-flight invocations hold.
//
// Thread-safety: stateless.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "models/cluster_index.h"
#include "models/placement_policy.h"

namespace tailor::models {

// Empty when eligible, else the reason ("lacks avx512f").
std::string ClassIneligibilityReason(const PlacementRequest& request, const HostClassInfo& cls);
// Empty when eligible, else the reason ("unhealthy", "memory full", "excluded").
std::string NodeIneligibilityReason(const PlacementRequest& request, const NodeView& node,
                                    const Allocation& allocation);

// Both of the above for one node of `cluster` (its class looked up), for policies that walk
// nodes rather than classes: empty when the node can take the invocation.
std::string IneligibilityReason(const PlacementRequest& request, const ClusterIndex& cluster,
                                const NodeView& node, const Allocation& allocation);

// FAILED_PRECONDITION summarising why no candidate was eligible ("no node can take 'f' now:
// 2 unhealthy, 1 lacks aes").
Status NoEligibleNodeError(const PlacementRequest& request,
                           std::span<const CandidateScore> candidates);

enum class WalkOrder { kLeastLoadedFirst, kMostLoadedFirst };

// Scores a node of a class: fills score (lower is better) and terms of `candidate`.
using NodeScorer =
    std::function<void(uint32_t class_index, const NodeView& node, CandidateScore& candidate)>;

// For each eligible class, finds its first eligible node in `order` and scores it; picks the
// lowest score. Candidates: every node when the cluster has at most kExplainAllNodesUpTo
// nodes (each scored or with its reason), otherwise the node found per class plus one entry
// per ineligible class. FAILED_PRECONDITION when nothing is eligible.
Result<PlacementDecision> ChooseByClass(const PlacementRequest& request,
                                        const ClusterIndex& cluster, const Allocation& allocation,
                                        WalkOrder order, const NodeScorer& score);

inline constexpr size_t kExplainAllNodesUpTo = 64;

}  // namespace tailor::models
