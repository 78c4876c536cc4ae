#include "models/node_slowness.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/byte_codec.h"

namespace tailor::models {

void NodeSlowness::Moments::Add(double miss_log) {
  weight = weight * kDecay + 1;
  const double w = 1 / weight;
  mean += w * (miss_log - mean);
  mean_sq += w * (miss_log * miss_log - mean_sq);
}

bool NodeSlowness::Moments::Valid() const {
  return std::isfinite(weight) && weight >= 0 && weight <= 1 / (1 - kDecay) + 1 &&
         std::isfinite(mean) && std::isfinite(mean_sq) && mean_sq >= 0;
}

void NodeSlowness::Observe(const std::string& node_id, const std::string& host_class,
                           double miss_log) {
  if (!std::isfinite(miss_log) || node_id.empty()) return;
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) it = nodes_.emplace(node_id, Node{}).first;
  Node& node = it->second;
  if (node.host_class != host_class) {  // new, or re-registered as another class
    if (auto old = classes_.find(node.host_class); old != classes_.end()) {
      std::erase(old->second.nodes, &node);
    }
    node = Node{host_class, {}, 0};
    classes_[host_class].nodes.push_back(&node);
  }
  node.misses.Add(miss_log);
  ClassState& cls = classes_[host_class];
  if (++cls.runs_since_reference >= std::max<size_t>(16, cls.nodes.size())) UpdateReference(cls);
  node.offset_log = OffsetOf(node);
  RecordOffset(node_id, node.offset_log);
}

void NodeSlowness::RecordOffset(const std::string& node_id, double offset_log) {
  if (offset_log != 0) {
    apart_[node_id] = offset_log;
  } else if (!apart_.empty()) {
    apart_.erase(node_id);
  }
}

void NodeSlowness::UpdateReference(ClassState& cls) {
  cls.runs_since_reference = 0;
  thread_local std::vector<double> means;
  means.clear();
  for (const Node* n : cls.nodes) {
    if (n->misses.weight >= kMinRuns) means.push_back(n->misses.mean);
  }
  // Two nodes cannot say which of them is the odd one.
  cls.has_reference = means.size() >= 3;
  if (!cls.has_reference) return;
  // The lower median: of a class half of whose nodes straggle, the healthy half is the class.
  auto mid = means.begin() + static_cast<std::ptrdiff_t>((means.size() - 1) / 2);
  std::nth_element(means.begin(), mid, means.end());
  cls.reference_log = *mid;
}

double NodeSlowness::OffsetOf(const Node& node) const {
  auto cls = classes_.find(node.host_class);
  if (node.misses.weight < kMinRuns || cls == classes_.end() || !cls->second.has_reference) {
    return 0;
  }
  const double apart = node.misses.mean - cls->second.reference_log;
  const double var = std::max(0.0, node.misses.mean_sq - node.misses.mean * node.misses.mean);
  const double standard_error = std::sqrt(var / node.misses.weight);
  if (std::abs(apart) < kMinApartLog || std::abs(apart) < kApartStandardErrors * standard_error) {
    return 0;
  }
  return std::clamp(apart, -kMaxOffsetLog, kMaxOffsetLog);
}

double NodeSlowness::OffsetLog(std::string_view node_id) const {
  if (apart_.empty()) return 0;
  auto it = apart_.find(node_id);
  return it == apart_.end() ? 0.0 : it->second;
}

// Format (common/byte_codec.h): a count of nodes, each (id, class, weight, mean, mean_sq,
// offset), then a count of classes, each (name, reference, runs since it was computed, whether
// it exists), both sorted by name so that the same state always saves to the same bytes.
std::string NodeSlowness::Save() const {
  std::map<std::string_view, const Node*> nodes;
  for (const auto& [id, node] : nodes_) nodes.emplace(id, &node);
  std::map<std::string_view, const ClassState*> classes;
  for (const auto& [name, cls] : classes_) classes.emplace(name, &cls);
  ByteWriter out;
  out.U64(nodes.size());
  for (const auto& [id, node] : nodes) {
    out.Str(id);
    out.Str(node->host_class);
    out.F64(node->misses.weight);
    out.F64(node->misses.mean);
    out.F64(node->misses.mean_sq);
    out.F64(node->offset_log);
  }
  out.U64(classes.size());
  for (const auto& [name, cls] : classes) {
    out.Str(name);
    out.F64(cls->reference_log);
    out.U64(cls->runs_since_reference);
    out.U32(cls->has_reference ? 1 : 0);
  }
  return out.Take();
}

bool NodeSlowness::Restore(std::string_view bytes) {
  ByteReader in(bytes);
  decltype(nodes_) nodes;
  const size_t node_count = in.Count(10'000'000, 48);
  for (size_t i = 0; i < node_count && in.ok(); ++i) {
    std::string id = in.Str(256);
    Node node;
    node.host_class = in.Str(256);
    node.misses.weight = in.F64();
    node.misses.mean = in.F64();
    node.misses.mean_sq = in.F64();
    node.offset_log = in.F64();
    if (id.empty() || !node.misses.Valid() || !(std::abs(node.offset_log) <= kMaxOffsetLog) ||
        nodes.contains(id)) {
      in.Fail();
    }
    nodes.emplace(std::move(id), std::move(node));
  }
  decltype(classes_) classes;
  const size_t class_count = in.Count(10'000'000, 28);
  for (size_t i = 0; i < class_count && in.ok(); ++i) {
    std::string name = in.Str(256);
    ClassState cls;
    cls.reference_log = in.F64();
    cls.runs_since_reference = in.U64();
    const uint32_t has_reference = in.U32();
    cls.has_reference = has_reference == 1;
    if (!std::isfinite(cls.reference_log) || has_reference > 1 || classes.contains(name)) {
      in.Fail();
    }
    classes.emplace(std::move(name), std::move(cls));
  }
  for (auto& [id, node] : nodes) {
    auto cls = classes.find(node.host_class);
    if (cls == classes.end()) {
      in.Fail();
      break;
    }
    cls->second.nodes.push_back(&node);
  }
  if (!in.AtEnd()) return false;
  nodes_ = std::move(nodes);
  classes_ = std::move(classes);
  apart_.clear();
  for (const auto& [id, node] : nodes_) RecordOffset(id, node.offset_log);
  return true;
}

}  // namespace tailor::models
