#include "models/eligibility.h"

#include <algorithm>
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

bool Contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

std::string ClassIneligibilityReason(const PlacementRequest& request, const HostClassInfo& cls) {
  for (const auto& f : request.required_features) {
    if (!std::binary_search(cls.features.begin(), cls.features.end(), f)) return "lacks " + f;
  }
  return "";
}

std::string NodeIneligibilityReason(const PlacementRequest& request, const NodeView& node,
                                    const Allocation& allocation) {
  if (!request.allowed_node_ids.empty() && !Contains(request.allowed_node_ids, node.node_id)) {
    return "not a candidate";
  }
  if (Contains(request.excluded_node_ids, node.node_id)) return "already tried";
  if (!node.healthy) return "unhealthy";
  if (node.capacity.memory_bytes > 0 &&
      node.allocated.memory_bytes + allocation.memory_limit_bytes > node.capacity.memory_bytes) {
    return "memory full";
  }
  if (node.capacity.cpu_millicores > 0 &&
      node.allocated.cpu_millicores + allocation.cpu_millicores > node.capacity.cpu_millicores) {
    return "cpu full";
  }
  return "";
}

std::string IneligibilityReason(const PlacementRequest& request, const ClusterIndex& cluster,
                                const NodeView& node, const Allocation& allocation) {
  const auto* cls = cluster.FindClass(node.host_class);
  if (cls == nullptr) return "unknown host class";
  std::string reason = ClassIneligibilityReason(request, cls->info);
  return reason.empty() ? NodeIneligibilityReason(request, node, allocation) : reason;
}

Status NoEligibleNodeError(const PlacementRequest& request,
                           std::span<const CandidateScore> candidates) {
  if (candidates.empty()) {
    return FailedPreconditionError("no node can take '" + request.function.name +
                                   "': no nodes are registered");
  }
  std::map<std::string, int> counts;
  for (const auto& c : candidates) {
    if (!c.eligible) ++counts[c.reason];
  }
  std::string why;
  for (const auto& [reason, n] : counts) {
    why += (why.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
  }
  return FailedPreconditionError("no node can take '" + request.function.name + "' now: " + why);
}

Result<PlacementDecision> ChooseByClass(const PlacementRequest& request,
                                        const ClusterIndex& cluster, const Allocation& allocation,
                                        WalkOrder order, const NodeScorer& score) {
  PlacementDecision d;
  d.allocation = allocation;
  const bool explain_all = cluster.size() <= kExplainAllNodesUpTo;
  d.candidates.reserve(explain_all ? cluster.size() : cluster.classes().size());
  double best = std::numeric_limits<double>::infinity();
  const auto& classes = cluster.classes();
  for (uint32_t ci = 0; ci < classes.size(); ++ci) {
    const auto& cls = classes[ci];
    if (cls.by_load.empty()) continue;
    const std::string class_reason = ClassIneligibilityReason(request, cls.info);
    if (!class_reason.empty()) {
      if (explain_all) {
        for (const auto& [load, chosen, slot] : cls.by_load) {
          CandidateScore c;
          c.node_id = cluster.node(slot).node_id;
          c.host_class = cls.info.name;
          c.reason = class_reason;
          d.candidates.push_back(std::move(c));
        }
      } else {
        CandidateScore c;
        c.node_id = NodesLabel(cls.by_load.size());
        c.host_class = cls.info.name;
        c.reason = class_reason;
        d.candidates.push_back(std::move(c));
      }
      continue;
    }
    bool found = false;
    auto visit = [&](uint32_t slot) {
      const NodeView& node = cluster.node(slot);
      CandidateScore c;
      c.node_id = node.node_id;
      c.host_class = cls.info.name;
      c.reason = NodeIneligibilityReason(request, node, allocation);
      c.eligible = c.reason.empty();
      if (c.eligible && (!found || explain_all)) {
        score(ci, node, c);
        if (!found && c.score < best) {
          best = c.score;
          d.node_id = node.node_id;
        }
        found = true;
        d.candidates.push_back(std::move(c));
      } else if (explain_all) {
        d.candidates.push_back(std::move(c));
      }
      return found && !explain_all;  // stop at the first eligible node unless explaining all
    };
    if (order == WalkOrder::kLeastLoadedFirst) {
      for (auto it = cls.by_load.begin(); it != cls.by_load.end(); ++it) {
        if (visit(std::get<2>(*it))) break;
      }
    } else {
      for (auto it = cls.by_load.rbegin(); it != cls.by_load.rend(); ++it) {
        if (visit(std::get<2>(*it))) break;
      }
    }
    if (!found && !explain_all) {
      CandidateScore c;
      c.node_id = NodesLabel(cls.by_load.size());
      c.host_class = cls.info.name;
      c.reason = "all full, unhealthy or excluded";
      d.candidates.push_back(std::move(c));
    }
  }
  if (d.node_id.empty()) return NoEligibleNodeError(request, d.candidates);
  return d;
}

}  // namespace tailor::models
