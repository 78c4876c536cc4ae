#include "models/eligibility.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace tailor::models {
namespace {

// "(N nodes)", built piecewise: GCC 12 warns (-Wrestrict) on "lit" + std::string.
std::string NodesLabel(size_t n) {
  std::string label = "(";
  label += std::to_string(n);
  label += " nodes)";
  return label;
}

// (An empty set, the usual case, is answered without hashing the name: every node of a
// cluster is asked about on each decision that scores them all.)
bool Contains(const std::unordered_set<std::string>& set, const std::string& s) {
  return !set.empty() && set.find(s) != set.end();
}

// ChooseByClass for a request that scores every node: each node scored or given its reason,
// in the order the class walks would visit them (classes in order; within one, warm nodes
// first, then by load, reversed for kMostLoadedFirst), so that equal scores keep it; nodes
// outside the request's allowed_node_ids come first, each "not a candidate" (once asked, a
// node is not looked up again). The order comes from sorting the live slots by their keys,
// which is much cheaper than walking thousands of nodes through the classes' load-ordered sets. The
// decision's node is the lowest score (the first in that order among equals).
Result<PlacementDecision> ScoreEveryNode(const PlacementRequest& request,
                                         const ClusterIndex& cluster, const Allocation& allocation,
                                         WalkOrder order, const NodeScorer& score) {
  const auto& classes = cluster.classes();
  std::vector<Ineligibility> class_reasons;
  class_reasons.reserve(classes.size());
  for (const auto& cls : classes) class_reasons.push_back(ClassIneligibility(request, cls.info));
  struct Visit {
    uint32_t class_index;
    bool cold;      // no warm instance of the function there (or its class is ineligible)
    bool reversed;  // most loaded first (never for an ineligible class, merely listed)
    std::tuple<double, uint64_t, uint32_t> load;
  };
  std::vector<Visit> visits;
  visits.reserve(cluster.size());
  PlacementDecision d;
  d.allocation = allocation;
  d.candidates.reserve(cluster.size());
  const auto& warm = request.warm_node_ids;
  const auto& allowed = request.allowed_node_ids;
  const bool named = !request.candidates_by_slot;
  for (uint32_t slot = 0; slot < cluster.slot_count(); ++slot) {
    if (!cluster.live(slot)) continue;
    const uint32_t ci = cluster.class_index(slot);
    if (!allowed.empty() && !Contains(allowed, cluster.node(slot).node_id)) {
      // Listed first, whatever its class: the request did not ask about it.
      CandidateScore c;
      if (named) {
        c.node_id = cluster.node(slot).node_id;
        c.host_class = classes[ci].info.name;
      }
      c.slot = slot;
      c.why = Ineligible::kNotCandidate;
      c.reason = "not a candidate";
      d.candidates.push_back(std::move(c));
      continue;
    }
    const bool walked = class_reasons[ci].empty();
    const bool cold = !walked || warm.empty() || !warm.contains(cluster.node(slot).node_id);
    visits.push_back(
        {ci, cold, walked && order == WalkOrder::kMostLoadedFirst, cluster.LoadOrderKey(slot)});
  }
  if (named) {  // else read by slot, and already in slot order
    std::sort(visits.begin(), visits.end(), [](const Visit& a, const Visit& b) {
      if (a.class_index != b.class_index) return a.class_index < b.class_index;
      if (a.cold != b.cold) return b.cold;
      return a.reversed ? b.load < a.load : a.load < b.load;
    });
  }

  double best = std::numeric_limits<double>::infinity();
  for (const Visit& v : visits) {
    const NodeView& node = cluster.node(std::get<2>(v.load));
    CandidateScore& c = d.candidates.emplace_back();  // in place: thousands, 300 bytes each
    if (named) {
      c.node_id = node.node_id;
      c.host_class = classes[v.class_index].info.name;
    }
    c.slot = std::get<2>(v.load);
    Ineligibility reason = class_reasons[v.class_index].empty()
                               ? CandidateIneligibility(request, node, allocation)
                               : class_reasons[v.class_index];
    c.why = reason.why;
    c.reason = std::move(reason.text);
    c.eligible = reason.empty();
    if (c.eligible) {
      score(v.class_index, node, c);
      if (std::isnan(c.score)) c.score = std::numeric_limits<double>::infinity();
      if (d.slot == CandidateScore::kNoSlot || c.score < best) {
        best = c.score;
        d.slot = c.slot;
      }
    }
  }
  if (d.slot == CandidateScore::kNoSlot) return NoEligibleNodeError(request, d.candidates);
  d.node_id = cluster.node(d.slot).node_id;
  return d;
}

}  // namespace

Ineligibility ClassIneligibility(const PlacementRequest& request, const HostClassInfo& cls) {
  for (const auto& f : request.required_features) {
    if (!std::binary_search(cls.features.begin(), cls.features.end(), f)) {
      return {Ineligible::kLacksFeature, "lacks " + f};
    }
  }
  return {};
}

Ineligibility NodeIneligibility(const PlacementRequest& request, const NodeView& node,
                                const Allocation& allocation) {
  if (!request.allowed_node_ids.empty() && !Contains(request.allowed_node_ids, node.node_id)) {
    return {Ineligible::kNotCandidate, "not a candidate"};
  }
  return CandidateIneligibility(request, node, allocation);
}

Ineligibility CandidateIneligibility(const PlacementRequest& request, const NodeView& node,
                                     const Allocation& allocation) {
  if (Contains(request.excluded_node_ids, node.node_id)) {
    return {Ineligible::kAlreadyTried, "already tried"};
  }
  if (!node.healthy) return {Ineligible::kUnhealthy, "unhealthy"};
  if (node.draining) return {Ineligible::kDraining, "draining"};
  if (node.stopping) return {Ineligible::kStopping, "stopping"};
  const Resources& cap = node.capacity;
  if ((cap.memory_bytes > 0 && allocation.memory_limit_bytes > cap.memory_bytes) ||
      (cap.cpu_millicores > 0 && allocation.cpu_millicores > cap.cpu_millicores)) {
    return {Ineligible::kTooSmall, "smaller than the allocation"};
  }
  const uint64_t idle_held =
      Contains(request.warm_node_ids, node.node_id) ? 0 : node.warm_idle_memory_bytes;
  if (cap.memory_bytes > 0 &&
      node.allocated.memory_bytes + idle_held + allocation.memory_limit_bytes > cap.memory_bytes) {
    return {Ineligible::kMemoryFull,
            idle_held > 0 ? "memory full (idle warm instances hold some)" : "memory full"};
  }
  if (cap.cpu_millicores > 0 &&
      node.allocated.cpu_millicores + allocation.cpu_millicores > cap.cpu_millicores) {
    return {Ineligible::kCpuFull, "cpu full"};
  }
  return {};
}

Ineligibility IneligibilityOf(const PlacementRequest& request, const ClusterIndex& cluster,
                              const NodeView& node, const Allocation& allocation) {
  const auto* cls = cluster.FindClass(node.host_class);
  if (cls == nullptr) return {Ineligible::kUnknownClass, "unknown host class"};
  Ineligibility reason = ClassIneligibility(request, cls->info);
  return reason.empty() ? NodeIneligibility(request, node, allocation) : reason;
}

Status NoEligibleNodeError(const PlacementRequest& request,
                           std::span<const CandidateScore> candidates) {
  const std::string subject = "no node can take '" + request.function.name + "'";
  if (candidates.empty()) {
    return UnavailableError(subject + ": no nodes are registered")
        .WithReason(ErrorReason::kNoCapacity);
  }
  std::map<std::string, int> counts;
  bool full = false, away = false;
  for (const auto& c : candidates) {
    if (c.eligible) continue;
    ++counts[c.reason];
    full |= c.why == Ineligible::kMemoryFull || c.why == Ineligible::kCpuFull;
    away |= MayPass(c.why);
  }
  std::string why;
  for (const auto& [reason, n] : counts) {
    why += (why.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
  }
  if (full) {
    return ResourceExhaustedError(subject + " now: " + why).WithReason(ErrorReason::kNoCapacity);
  }
  if (away) return UnavailableError(subject + " now: " + why).WithReason(ErrorReason::kNoCapacity);
  return FailedPreconditionError(subject + ": " + why).WithReason(ErrorReason::kDoesNotFit);
}

Result<PlacementDecision> ChooseByClass(const PlacementRequest& request,
                                        const ClusterIndex& cluster, const Allocation& advised,
                                        WalkOrder order, const NodeScorer& score) {
  const Allocation& allocation = EffectiveAllocation(request, advised);
  if (request.score_every_node) {
    return ScoreEveryNode(request, cluster, allocation, order, score);
  }
  PlacementDecision d;
  d.allocation = allocation;
  const bool explain_all = cluster.size() <= kExplainAllNodesUpTo;
  d.candidates.reserve(explain_all ? cluster.size() : cluster.classes().size());
  double best = std::numeric_limits<double>::infinity();
  const auto& classes = cluster.classes();
  for (uint32_t ci = 0; ci < classes.size(); ++ci) {
    const auto& cls = classes[ci];
    if (cls.by_load.empty()) continue;
    const Ineligibility class_reason = ClassIneligibility(request, cls.info);
    if (!class_reason.empty()) {
      if (explain_all) {
        for (const auto& [load, chosen, slot] : cls.by_load) {
          CandidateScore c;
          c.node_id = cluster.node(slot).node_id;
          c.host_class = cls.info.name;
          c.slot = slot;
          c.why = class_reason.why;
          c.reason = class_reason.text;
          d.candidates.push_back(std::move(c));
        }
      } else {
        CandidateScore c;
        c.node_id = NodesLabel(cls.by_load.size());
        c.host_class = cls.info.name;
        c.why = class_reason.why;
        c.reason = class_reason.text;
        d.candidates.push_back(std::move(c));
      }
      continue;
    }
    bool found = false;
    size_t unsettled = 0;  // eligible nodes scored in this class that did not settle it
    // The reason of the class's nodes that is likeliest to pass (for the summary line).
    Ineligible hopeful = Ineligible::kNone;
    auto visit = [&](uint32_t slot) {
      const NodeView& node = cluster.node(slot);
      CandidateScore c;
      c.node_id = node.node_id;
      c.host_class = cls.info.name;
      c.slot = slot;
      Ineligibility reason = NodeIneligibility(request, node, allocation);
      c.why = reason.why;
      c.reason = std::move(reason.text);
      c.eligible = reason.empty();
      if (!c.eligible && (hopeful == Ineligible::kNone || MayPass(c.why))) hopeful = c.why;
      if (c.eligible && (!found || explain_all)) {
        score(ci, node, c);
        // A score that is not a number ranks last; an eligible node is chosen whatever its
        // score, so no model state can leave a run with nowhere to go.
        if (std::isnan(c.score)) c.score = std::numeric_limits<double>::infinity();
        if (!found && (d.node_id.empty() || c.score < best)) {
          best = c.score;
          d.node_id = node.node_id;
          d.slot = slot;
        }
        found = found || c.settles || ++unsettled >= kMaxUnsettledPerClass;
        d.candidates.push_back(std::move(c));
      } else if (explain_all) {
        d.candidates.push_back(std::move(c));
      }
      return found && !explain_all;  // stop at the first eligible node unless explaining all
    };
    // Nodes with a warm instance of the function first (in walk order), then the others.
    const auto& warm = request.warm_node_ids;
    for (int pass = warm.empty() ? 1 : 0; pass < 2; ++pass) {
      auto walk = [&](auto begin, auto end) {
        for (auto it = begin; it != end; ++it) {
          const uint32_t slot = std::get<2>(*it);
          if (!warm.empty() && (warm.contains(cluster.node(slot).node_id) != (pass == 0))) {
            continue;
          }
          if (visit(slot)) return true;
        }
        return false;
      };
      const bool done = order == WalkOrder::kLeastLoadedFirst
                            ? walk(cls.by_load.begin(), cls.by_load.end())
                            : walk(cls.by_load.rbegin(), cls.by_load.rend());
      if (done) break;
    }
    if (!found && !explain_all) {
      CandidateScore c;
      c.node_id = NodesLabel(cls.by_load.size());
      c.host_class = cls.info.name;
      c.why = hopeful;
      c.reason = "all full, unhealthy, draining, too small or excluded";
      d.candidates.push_back(std::move(c));
    }
  }
  if (d.node_id.empty()) return NoEligibleNodeError(request, d.candidates);
  return d;
}

}  // namespace tailor::models
