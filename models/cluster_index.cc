#include "models/cluster_index.h"

#include <algorithm>
#include <cmath>

namespace tailor::models {

const std::vector<std::string>& ModelFeatures() {
  static const std::vector<std::string> kFeatures = {"aes",  "vaes",    "pclmulqdq", "sha_ni",
                                                     "avx2", "avx512f", "fma",       "bmi2"};
  return kFeatures;
}

std::vector<double> HostFeatureVector(const HostClassInfo& cls) {
  std::vector<double> x;
  x.reserve(ModelFeatures().size() + 3);
  x.push_back(1.0);
  for (const auto& f : ModelFeatures()) {
    x.push_back(std::binary_search(cls.features.begin(), cls.features.end(), f) ? 1.0 : 0.0);
  }
  // Centred near typical values (16 MiB, speed 1) so these do not act as a second intercept.
  x.push_back(std::log2(std::max(1.0, cls.l3_bytes / double(1 << 20)) / 16.0));
  x.push_back(std::log2(std::max(0.05, cls.speed_factor)));
  return x;
}

double ClusterIndex::LoadKey(const NodeView& n) {
  return AllocatedCpuShare(n.allocated, n.capacity) +
         1e-3 * (n.running_invocations + n.queued_invocations);
}

uint32_t ClusterIndex::ClassIndexFor(const HostClassInfo& cls) {
  auto it = class_of_.find(cls.name);
  if (it != class_of_.end()) return it->second;
  ClassEntry e;
  e.info = cls;
  e.feature_vector = HostFeatureVector(cls);
  classes_.push_back(std::move(e));
  const auto index = static_cast<uint32_t>(classes_.size() - 1);
  class_of_[cls.name] = index;
  return index;
}

namespace {
bool TakesPlacements(const NodeView& n) { return n.healthy && !n.draining && !n.stopping; }
}  // namespace

void ClusterIndex::Unindex(uint32_t slot) {
  const Slot& s = nodes_[slot];
  ClassEntry& c = classes_[s.class_index];
  c.by_load.erase({LoadKey(s.view), s.last_chosen, slot});
  if (TakesPlacements(s.view)) --c.serving;
}

void ClusterIndex::Index(uint32_t slot) {
  const Slot& s = nodes_[slot];
  ClassEntry& c = classes_[s.class_index];
  c.by_load.insert({LoadKey(s.view), s.last_chosen, slot});
  if (TakesPlacements(s.view)) ++c.serving;
}

void ClusterIndex::CountCapacity(const Resources& capacity, int delta) {
  auto count = [delta](auto& counts, auto key) {
    auto& n = counts[key];
    n += delta;
    if (n == 0) counts.erase(key);
  };
  count(memory_capacities_, capacity.memory_bytes);
  count(cpu_capacities_, capacity.cpu_millicores);
}

Resources ClusterIndex::Largest() const {
  Resources r;
  if (!memory_capacities_.empty()) r.memory_bytes = memory_capacities_.rbegin()->first;
  if (!cpu_capacities_.empty()) r.cpu_millicores = cpu_capacities_.rbegin()->first;
  return r;
}

void ClusterIndex::Remove(const std::string& node_id) {
  auto it = slot_of_.find(node_id);
  if (it == slot_of_.end()) return;
  Unindex(it->second);
  CountCapacity(nodes_[it->second].view.capacity, -1);
  nodes_[it->second].live = false;
  slot_of_.erase(it);
  --live_;
  ++removals_;
}

void ClusterIndex::Upsert(NodeView node, const HostClassInfo& cls) {
  auto it = slot_of_.find(node.node_id);
  uint32_t slot;
  if (it == slot_of_.end()) {
    slot = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
    slot_of_[node.node_id] = slot;
    ++live_;
  } else {
    slot = it->second;
    Unindex(slot);
    CountCapacity(nodes_[slot].view.capacity, -1);
    node.allocated = nodes_[slot].view.allocated;
  }
  CountCapacity(node.capacity, +1);
  Slot& s = nodes_[slot];
  s.class_index = ClassIndexFor(cls);
  s.view = std::move(node);
  s.live = true;
  Index(slot);
}

void ClusterIndex::SetHealthy(const std::string& node_id, bool healthy) {
  auto it = slot_of_.find(node_id);
  if (it == slot_of_.end()) return;
  Unindex(it->second);
  nodes_[it->second].view.healthy = healthy;
  Index(it->second);
}

void ClusterIndex::SetAllocated(const std::string& node_id, Resources allocated) {
  auto it = slot_of_.find(node_id);
  if (it == slot_of_.end()) return;
  Unindex(it->second);
  nodes_[it->second].view.allocated = allocated;
  Index(it->second);
}

void ClusterIndex::SetUsage(const std::string& node_id, Resources allocated,
                            uint32_t running_invocations) {
  auto it = slot_of_.find(node_id);
  if (it == slot_of_.end()) return;
  Unindex(it->second);
  nodes_[it->second].view.allocated = allocated;
  nodes_[it->second].view.running_invocations = running_invocations;
  Index(it->second);
}

void ClusterIndex::MarkChosen(const std::string& node_id) {
  auto it = slot_of_.find(node_id);
  if (it == slot_of_.end()) return;
  Unindex(it->second);
  nodes_[it->second].last_chosen = ++choices_;
  Index(it->second);
}

const ClusterIndex::ClassEntry* ClusterIndex::FindClass(const std::string& name) const {
  auto it = class_of_.find(name);
  return it == class_of_.end() ? nullptr : &classes_[it->second];
}

const NodeView* ClusterIndex::Find(const std::string& node_id) const {
  auto it = slot_of_.find(node_id);
  return it == slot_of_.end() ? nullptr : &nodes_[it->second].view;
}

std::optional<uint32_t> ClusterIndex::SlotOf(const std::string& node_id) const {
  auto it = slot_of_.find(node_id);
  if (it == slot_of_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tailor::models
