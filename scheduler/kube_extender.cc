#include "scheduler/kube_extender.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "common/names.h"

namespace tailor::scheduler {
namespace {

using nlohmann::json;

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ExtenderFilterResult with only Error set.
KubeExtender::Answer FilterError(const std::string& message) {
  return {200, Dump(json{{"Nodes", nullptr},
                         {"NodeNames", nullptr},
                         {"FailedNodes", json::object()},
                         {"FailedAndUnresolvableNodes", json::object()},
                         {"Error", message}})};
}

// The passing nodes, in the form kube-scheduler sent them.
json PassingNodes(const ExtenderArgs& args, const std::vector<bool>& passes, bool names) {
  if (names) {
    json out = json::array();
    for (size_t i = 0; i < args.node_names.size(); ++i) {
      if (passes[i]) out.push_back(args.node_names[i]);
    }
    return out;
  }
  json list = args.node_list;
  json* items = GoField(list, "items");
  if (items == nullptr || !items->is_array()) return list;
  json kept = json::array();
  for (size_t i = 0; i < items->size() && i < passes.size(); ++i) {
    if (passes[i]) kept.push_back(std::move((*items)[i]));
  }
  *items = std::move(kept);
  return list;
}

std::string NotAFunctionFilter(const ExtenderArgs& args) {
  const std::vector<bool> all(args.node_names.size(), true);
  const bool names = args.node_cache_capable;
  return Dump(json{{"Nodes", names ? json(nullptr) : PassingNodes(args, all, false)},
                   {"NodeNames", names ? PassingNodes(args, all, true) : json(nullptr)},
                   {"FailedNodes", json::object()},
                   {"FailedAndUnresolvableNodes", json::object()},
                   {"Error", ""}});
}

json HostPriority(const std::string& host, int64_t score) {
  return json{{"Host", host}, {"Score", score}};
}

std::string AllZero(const ExtenderArgs& args) {
  json list = json::array();
  for (const auto& name : args.node_names) list.push_back(HostPriority(name, 0));
  return Dump(list);
}

std::unordered_map<std::string_view, const RankedNode*> ByNode(const Ranking& ranking) {
  std::unordered_map<std::string_view, const RankedNode*> by_node;
  by_node.reserve(ranking.nodes.size());
  for (const auto& n : ranking.nodes) by_node.emplace(n.node_id, &n);
  return by_node;
}

}  // namespace

std::vector<int64_t> ExtenderScores(const std::vector<double>& s) {
  std::vector<int64_t> out(s.size(), 0);
  double best = std::numeric_limits<double>::infinity();
  double worst = -best;
  bool all_positive = true;
  for (double x : s) {
    if (!std::isfinite(x)) continue;
    best = std::min(best, x);
    worst = std::max(worst, x);
    all_positive &= x > 0;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isfinite(s[i])) continue;
    double points = kMaxExtenderScore;
    if (all_positive) {
      points = kMaxExtenderScore * best / s[i];
    } else if (worst > best) {
      points = kMaxExtenderScore * (worst - s[i]) / (worst - best);
    }
    out[i] = std::clamp<int64_t>(std::llround(points), 0, kMaxExtenderScore);
  }
  return out;
}

Result<Ranking> KubeExtender::RankFor(const ExtenderArgs& args) {
  PlaceInput input;
  input.function_name = args.pod.function;
  input.function_version = args.pod.version;
  input.required_features = args.pod.required_features;
  input.policy = options_.policy;
  input.allocation = args.pod.requests;
  input.candidate_node_ids.reserve(args.node_names.size());
  for (const auto& name : args.node_names) {
    // A name outside Tailor's node id grammar cannot be a node Tailor knows.
    if (CheckName(NameKind::kNodeId, name, "node").ok()) input.candidate_node_ids.push_back(name);
  }
  if (input.candidate_node_ids.empty()) return Ranking{};
  return placer_.Rank(input);
}

KubeExtender::Answer KubeExtender::Filter(std::string_view body) {
  auto args = ParseExtenderArgs(body);
  if (!args.ok()) return FilterError("tailor: " + std::string(args.status().message()));
  if (args->pod.function.empty()) return {200, NotAFunctionFilter(*args)};
  auto ranking = RankFor(*args);
  if (!ranking.ok()) {
    return FilterError("tailor: pod " + args->pod.namespace_name + ": " +
                       std::string(ranking.status().message()));
  }
  const auto by_node = ByNode(*ranking);
  std::vector<bool> passes(args->node_names.size(), true);
  json failed = json::object(), unresolvable = json::object();
  for (size_t i = 0; i < args->node_names.size(); ++i) {
    auto it = by_node.find(args->node_names[i]);
    if (it == by_node.end() || it->second->eligible) continue;  // unknown or fine
    passes[i] = false;
    const std::string why = "tailor: " + it->second->reason;
    (models::MayPass(it->second->why) ? failed : unresolvable)[args->node_names[i]] = why;
  }
  const bool names = args->node_cache_capable;
  return {200, Dump(json{{"Nodes", names ? json(nullptr) : PassingNodes(*args, passes, false)},
                         {"NodeNames", names ? PassingNodes(*args, passes, true) : json(nullptr)},
                         {"FailedNodes", std::move(failed)},
                         {"FailedAndUnresolvableNodes", std::move(unresolvable)},
                         {"Error", ""}})};
}

KubeExtender::Answer KubeExtender::Prioritize(std::string_view body) {
  auto args = ParseExtenderArgs(body);
  if (!args.ok()) {
    return {400, Dump(json{{"error", std::string(args.status().message())},
                           {"field", args.status().field()}})};
  }
  if (args->pod.function.empty()) return {200, AllZero(*args)};
  auto ranking = RankFor(*args);
  if (!ranking.ok()) return {200, AllZero(*args)};
  std::vector<double> policy_scores;
  for (const auto& n : ranking->nodes) {
    if (n.eligible) policy_scores.push_back(n.score);
  }
  const std::vector<int64_t> points = ExtenderScores(policy_scores);
  std::unordered_map<std::string_view, int64_t> by_node;
  int64_t sum = 0;
  for (size_t i = 0, k = 0; i < ranking->nodes.size(); ++i) {
    const RankedNode& n = ranking->nodes[i];
    const int64_t p = n.eligible ? points[k++] : 0;
    by_node.emplace(n.node_id, p);
    sum += p;
  }
  const int64_t neutral = by_node.empty() ? 0 : sum / static_cast<int64_t>(by_node.size());
  json list = json::array();
  for (const auto& name : args->node_names) {
    auto it = by_node.find(name);
    list.push_back(HostPriority(name, it == by_node.end() ? neutral : it->second));
  }
  return {200, Dump(list)};
}

}  // namespace tailor::scheduler
