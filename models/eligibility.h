// Eligibility: the rules every policy applies before scoring, and the walk that finds, per
// host class, the first eligible node in load order.
//
// A class is eligible when it has every required feature; a node when it is healthy, not
// draining, allowed (not excluded, and in the allow-list if there is one), large enough for the
// allocation at all, and has the memory and CPU for it left after what in-flight invocations
// hold. Every reason is typed (Ineligible) and said in words.
//
// Thread-safety: stateless.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "models/cluster_index.h"
#include "models/placement_policy.h"

namespace tailor::models {

// Why a class or node cannot take an invocation: kNone (and no text) when it can.
struct Ineligibility {
  Ineligible why = Ineligible::kNone;
  std::string text;  // "lacks avx512f", "unhealthy", "memory full"
  bool empty() const { return why == Ineligible::kNone; }
};

Ineligibility ClassIneligibility(const PlacementRequest& request, const HostClassInfo& cls);
Ineligibility NodeIneligibility(const PlacementRequest& request, const NodeView& node,
                                const Allocation& allocation);
// NodeIneligibility of a node already known to be among the request's allowed_node_ids.
Ineligibility CandidateIneligibility(const PlacementRequest& request, const NodeView& node,
                                     const Allocation& allocation);
// Both of the above for one node of `cluster` (its class looked up), for policies that walk
// nodes rather than classes.
Ineligibility IneligibilityOf(const PlacementRequest& request, const ClusterIndex& cluster,
                              const NodeView& node, const Allocation& allocation);

// Why no candidate was eligible, with a code that says whether waiting may help:
// RESOURCE_EXHAUSTED when some node is only full now, UNAVAILABLE when some is unhealthy,
// draining or already tried (or none is registered), both with ErrorReason::kNoCapacity;
// FAILED_PRECONDITION with kDoesNotFit when no node ever could. The message counts the reasons
// ("no node can take 'f' now: 2 unhealthy, 1 lacks aes").
Status NoEligibleNodeError(const PlacementRequest& request,
                           std::span<const CandidateScore> candidates);

enum class WalkOrder { kLeastLoadedFirst, kMostLoadedFirst };

// Scores a node of a class: fills score (lower is better) and terms of `candidate`.
using NodeScorer =
    std::function<void(uint32_t class_index, const NodeView& node, CandidateScore& candidate)>;

// The allocation nodes are judged for: the request's fixed one if it has one, else the
// policy's advice.
inline const Allocation& EffectiveAllocation(const PlacementRequest& request,
                                             const Allocation& advised) {
  return request.fixed_allocation ? *request.fixed_allocation : advised;
}

// For each eligible class, finds its first eligible node in `order` and scores it; picks the
// lowest score (NaN counts as infinity; when every score is infinite, the first eligible node).
// Candidates: every node when the request asks to score every node (in walk order after the
// nodes outside allowed_node_ids, and the decision's node is then the lowest score of all) or
// the cluster has at most
// kExplainAllNodesUpTo nodes (each scored or with its reason), otherwise the node found per
// class plus one entry per ineligible class. The decision's allocation is `advised` unless the
// request fixes one. FAILED_PRECONDITION when nothing is eligible.
Result<PlacementDecision> ChooseByClass(const PlacementRequest& request,
                                        const ClusterIndex& cluster, const Allocation& advised,
                                        WalkOrder order, const NodeScorer& score);

inline constexpr size_t kExplainAllNodesUpTo = 64;
// How many eligible nodes of a class a walk scores past the first while none settles it
// (CandidateScore::settles).
inline constexpr size_t kMaxUnsettledPerClass = 8;

}  // namespace tailor::models
