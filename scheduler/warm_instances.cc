#include "scheduler/warm_instances.h"

namespace tailor::scheduler {

void WarmInstances::RemoveNode(const std::string& node_id) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    it->second.erase(node_id);
    it = it->second.empty() ? idle_.erase(it) : std::next(it);
  }
}

void WarmInstances::SetNode(const std::string& node_id, const v1::NodeLoad& load) {
  RemoveNode(node_id);
  for (const auto& w : load.warm_functions()) {
    if (w.idle_instances() > 0) {
      idle_[Key(w.function_name(), w.function_version())][node_id] = w.idle_instances();
    }
  }
}

void WarmInstances::Took(const std::string& function, const std::string& version,
                         const std::string& node_id) {
  auto key = idle_.find(Key(function, version));
  if (key == idle_.end()) return;
  auto node = key->second.find(node_id);
  if (node == key->second.end()) return;
  if (--node->second == 0) key->second.erase(node);
  if (key->second.empty()) idle_.erase(key);
}

void WarmInstances::Returned(const std::string& function, const std::string& version,
                             const std::string& node_id) {
  ++idle_[Key(function, version)][node_id];
}

std::unordered_set<std::string> WarmInstances::NodesOf(const std::string& function,
                                                       const std::string& version) const {
  std::unordered_set<std::string> nodes;
  auto key = idle_.find(Key(function, version));
  if (key == idle_.end()) return nodes;
  for (const auto& [node, n] : key->second) nodes.insert(node);
  return nodes;
}

}  // namespace tailor::scheduler
