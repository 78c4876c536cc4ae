// ClusterIndex: the nodes a policy chooses from, grouped by host class and, within a class,
// ordered by load, so a decision looks at a few nodes per class instead of every node.
//
// The owner (the scheduler's Placer, or the simulator) keeps it current: Upsert when a node
// registers or heartbeats, SetHealthy on lease changes, SetAllocated when reservations change,
// MarkChosen after a decision (equally loaded nodes then take turns). Within a class, nodes are
// ordered by (allocated CPU share + 0.001 x running invocations, last chosen, insertion).
//
// Thread-safety: not thread-safe; the owner serializes access.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "models/placement_policy.h"

namespace tailor::models {

// What identical hosts share. `features` is sorted.
struct HostClassInfo {
  std::string name;
  std::vector<std::string> features;
  uint64_t l3_bytes = 0;
  uint32_t cores = 0;
  double speed_factor = 1.0;  // relative clock/throughput (1.0 = reference)
};

class ClusterIndex {
 public:
  struct ClassEntry {
    HostClassInfo info;
    std::vector<double> feature_vector;  // HostFeatureVector(info)
    // (load key, last chosen, node slot) in ascending order.
    std::set<std::tuple<double, uint64_t, uint32_t>> by_load;
  };

  // Adds or replaces a node; `node.host_class` must equal `cls.name`. The node's `allocated`
  // is kept from the previous version when the node was already known.
  void Upsert(NodeView node, const HostClassInfo& cls);
  void SetHealthy(const std::string& node_id, bool healthy);
  void SetAllocated(const std::string& node_id, Resources allocated);
  // Allocation and running invocations together (one re-index), as a simulator tracks them.
  void SetUsage(const std::string& node_id, Resources allocated, uint32_t running_invocations);
  void MarkChosen(const std::string& node_id);

  size_t size() const { return live_; }
  const NodeView* Find(const std::string& node_id) const;
  const ClassEntry* FindClass(const std::string& name) const;
  const std::vector<ClassEntry>& classes() const { return classes_; }
  const NodeView& node(uint32_t slot) const { return nodes_[slot].view; }
  // Every node, in slot order (for small clusters and explanations).
  template <typename F>
  void ForEachNode(F&& f) const {
    for (const auto& n : nodes_) {
      if (n.live) f(n.view);
    }
  }

 private:
  struct Slot {
    NodeView view;
    uint32_t class_index = 0;
    uint64_t last_chosen = 0;
    bool live = false;
  };
  static double LoadKey(const NodeView& n);
  void Unindex(uint32_t slot);
  void Index(uint32_t slot);
  uint32_t ClassIndexFor(const HostClassInfo& cls);

  std::vector<Slot> nodes_;
  std::unordered_map<std::string, uint32_t> slot_of_;
  std::vector<ClassEntry> classes_;
  std::unordered_map<std::string, uint32_t> class_of_;
  size_t live_ = 0;
  uint64_t choices_ = 0;
};

// The numeric description of a host class the models regress on: a bias term, one 0/1 per
// feature in ModelFeatures(), log2 of the L3 size over 16 MiB, and log2 of the speed factor.
std::vector<double> HostFeatureVector(const HostClassInfo& cls);
// The CPU features the models look at, in vector order.
const std::vector<std::string>& ModelFeatures();

}  // namespace tailor::models
