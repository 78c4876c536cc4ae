#include "scheduler/kubernetes_nodes.h"

namespace tailor::scheduler {

void KubernetesNodes::Claim(const std::string& node_id, const std::string& kubernetes_name) {
  auto old = name_of_.find(node_id);
  if (old != name_of_.end()) {
    if (old->second == kubernetes_name) return;  // the usual case: a heartbeat
    if (auto it = node_of_.find(old->second); it != node_of_.end() && it->second == node_id) {
      node_of_.erase(it);
    }
    name_of_.erase(old);
    ++claims_;
  }
  if (kubernetes_name.empty()) return;
  node_of_[kubernetes_name] = node_id;
  name_of_[node_id] = kubernetes_name;
  ++claims_;
}

const std::string& KubernetesNodes::NodeIdOf(const std::string& kubernetes_name) const {
  auto it = node_of_.find(kubernetes_name);
  return it == node_of_.end() ? kubernetes_name : it->second;
}

bool KubernetesNodes::StillValid(const Remembered& r, const models::ClusterIndex& index) const {
  // A slot keeps its node for good (a node registering again gets a new one), so a list stays
  // right until a node is added or removed or a claim changes.
  return r.slot_count == index.slot_count() && r.removals == index.removals() &&
         r.claims == claims_;
}

std::vector<uint32_t> KubernetesNodes::SlotsOf(const NameList& names,
                                               const models::ClusterIndex& index) {
  ++uses_;
  for (Remembered& r : remembered_) {
    if (r.names == names && StillValid(r, index)) {
      r.used = uses_;
      return r.slots;
    }
  }
  // The same names in another object (read by another thread): kept as the new object.
  for (Remembered& r : remembered_) {
    if (r.names != nullptr && *r.names == *names && StillValid(r, index)) {
      r.names = names;
      r.used = uses_;
      return r.slots;
    }
  }
  Remembered& r = remembered_[0].used <= remembered_[1].used ? remembered_[0] : remembered_[1];
  r.names = names;
  r.slots.clear();
  r.slots.reserve(names->size());
  for (const auto& name : *names) {
    r.slots.push_back(index.SlotOf(NodeIdOf(name)).value_or(kNoSlot));
  }
  r.slot_count = index.slot_count();
  r.removals = index.removals();
  r.claims = claims_;
  r.used = uses_;
  return r.slots;
}

}  // namespace tailor::scheduler
