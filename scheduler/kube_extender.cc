#include "scheduler/kube_extender.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tailor::scheduler {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// ExtenderFilterResult, written by hand around the Nodes text (which may be megabytes).
std::string FilterResult(std::string_view nodes_text, std::string_view node_names_text,
                         const json& failed, const json& unresolvable, const std::string& error) {
  std::string out;
  out.reserve(nodes_text.size() + node_names_text.size() + 256);
  out += "{\"Nodes\":";
  out += nodes_text;
  out += ",\"NodeNames\":";
  out += node_names_text;
  out += ",\"FailedNodes\":" + Dump(failed);
  out += ",\"FailedAndUnresolvableNodes\":" + Dump(unresolvable);
  out += ",\"Error\":" + Dump(json(error)) + "}";
  return out;
}

KubeExtender::Answer FilterError(const std::string& message) {
  return {200, FilterResult("null", "null", json::object(), json::object(), message)};
}

// The filter's answer with the nodes that pass, in the form kube-scheduler sent them: names,
// or the NodeList as it came with only the passing Nodes in its items.
std::string PassingNodes(const ExtenderArgs& args, const std::vector<bool>& passes,
                         const json& failed, const json& unresolvable) {
  if (args.node_cache_capable) {
    const NodeNameList& named = args.node_name_list();
    if (std::all_of(passes.begin(), passes.end(), [](bool p) { return p; })) {
      return FilterResult("null", named.text, failed, unresolvable, "");  // as sent
    }
    std::string names = "[";
    names.reserve(named.text.size());
    for (size_t i = 0; i < named.quoted.size(); ++i) {
      if (!passes[i]) continue;
      if (names.size() > 1) names += ',';
      names += named.QuotedName(i);
    }
    names += ']';
    return FilterResult("null", names, failed, unresolvable, "");
  }
  const std::string_view list = args.node_list_text;
  std::string nodes(list.substr(0, args.items.begin));
  if (args.node_items.empty()) {
    nodes += args.items.In(list);  // null or []: as it came
  } else {
    nodes += '[';
    bool first = true;
    for (size_t i = 0; i < args.node_items.size(); ++i) {
      if (!passes[i]) continue;
      if (!first) nodes += ',';
      nodes += args.node_items[i].In(list);
      first = false;
    }
    nodes += ']';
  }
  nodes += list.substr(args.items.end);
  return FilterResult(nodes, "null", failed, unresolvable, "");
}

// Appends {"Host": host, "Score": score} to a HostPriorityList being written (written by hand:
// a list may hold thousands of hosts, and building JSON objects for each costs more than the
// ranking).
void AppendHostPriority(std::string& out, std::string_view quoted_host, int64_t score) {
  using namespace std::string_view_literals;
  out += out.size() > 1 ? ",{\"Host\":"sv : "{\"Host\":"sv;
  out += quoted_host;
  out += ",\"Score\":"sv;
  if (score >= 0 && score <= 9) {
    out += static_cast<char>('0' + score);  // the usual case: 0..10 (kMaxExtenderScore)
  } else {
    out += std::to_string(score);
  }
  out += '}';
}

std::string AllZero(const ExtenderArgs& args) {
  std::string out = "[";
  const NodeNameList& named = args.node_name_list();
  for (size_t i = 0; i < named.quoted.size(); ++i) AppendHostPriority(out, named.QuotedName(i), 0);
  return out + "]";
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

Result<std::vector<NodeVerdict>> KubeExtender::VerdictsFor(const ExtenderArgs& args, bool scored) {
  PlaceInput input;
  input.function_name = args.pod.function;
  input.function_version = args.pod.version;
  input.required_features = args.pod.required_features;
  input.policy = options_.policy;
  input.allocation = args.pod.requests;
  return placer_.JudgeKubernetesNodes(input, args.shared_names(), scored);
}

KubeExtender::Answer KubeExtender::Filter(std::string_view body) {
  auto args = ParseExtenderArgs(body);
  if (!args.ok()) return FilterError("tailor: " + std::string(args.status().message()));
  const std::vector<std::string>& names = args->node_names();
  std::vector<bool> passes(names.size(), true);
  json failed = json::object(), unresolvable = json::object();
  if (args->pod.function.empty()) {  // not a function: untouched
    return {200, PassingNodes(*args, passes, failed, unresolvable)};
  }
  auto verdicts = VerdictsFor(*args, /*scored=*/false);
  if (!verdicts.ok()) {
    return FilterError("tailor: pod " + args->pod.namespace_name + ": " +
                       std::string(verdicts.status().message()));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const NodeVerdict& node = (*verdicts)[i];
    if (!node.known || node.eligible) continue;  // unknown or fine
    passes[i] = false;
    const std::string why = "tailor: " + node.reason;
    (models::MayPass(node.why) ? failed : unresolvable)[names[i]] = why;
  }
  return {200, PassingNodes(*args, passes, failed, unresolvable)};
}

KubeExtender::Answer KubeExtender::Prioritize(std::string_view body) {
  auto args = ParseExtenderArgs(body);
  if (!args.ok()) {
    return {400, Dump(json{{"error", std::string(args.status().message())},
                           {"field", args.status().field()}})};
  }
  if (args->pod.function.empty()) return {200, AllZero(*args)};
  auto verdicts = VerdictsFor(*args, /*scored=*/true);
  if (!verdicts.ok()) return {200, AllZero(*args)};
  std::vector<double> policy_scores;
  for (const auto& n : *verdicts) {
    if (n.eligible) policy_scores.push_back(n.score);
  }
  const std::vector<int64_t> points = ExtenderScores(policy_scores);
  // Points in the order named (an ineligible node gets none); an unknown node gets the known
  // nodes' mean, so it is neither favoured nor failed.
  std::vector<int64_t> points_of(verdicts->size(), 0);
  int64_t sum = 0, known = 0;
  for (size_t i = 0, k = 0; i < verdicts->size(); ++i) {
    if ((*verdicts)[i].eligible) points_of[i] = points[k++];
    sum += points_of[i];
    known += (*verdicts)[i].known ? 1 : 0;
  }
  const int64_t neutral = known == 0 ? 0 : sum / known;
  const NodeNameList& named = args->node_name_list();
  std::string list = "[";
  list.reserve(named.text.size() + named.quoted.size() * 24);
  for (size_t i = 0; i < named.quoted.size(); ++i) {
    AppendHostPriority(list, named.QuotedName(i), (*verdicts)[i].known ? points_of[i] : neutral);
  }
  return {200, list + "]"};
}

}  // namespace tailor::scheduler
