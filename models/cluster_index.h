// ClusterIndex: the nodes a policy chooses from, grouped by host class and, within a class,
// ordered by load, so a decision looks at a few nodes per class instead of every node.
//
// The owner (the scheduler's Placer, or the simulator) keeps it current: Upsert when a node
// registers or heartbeats, SetHealthy on lease changes, SetAllocated when reservations change,
// MarkChosen after a decision (equally loaded nodes then take turns), Remove when a node is
// deregistered. Within a class, nodes are ordered by (allocated CPU share + 0.001 x running
// invocations, last chosen, insertion). Slots keep their number: a removed node leaves a dead
// slot, so policies that cycle over slots (round-robin) stay stable. It also knows the largest
// capacity any live node has (the most an allocation can ever be given).
//
// Thread-safety: not thread-safe; the owner serializes access.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
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
    // Its nodes that take new placements now (healthy, neither draining nor stopping).
    uint32_t serving = 0;
  };

  // Adds or replaces a node; `node.host_class` must equal `cls.name`. The node's `allocated`
  // is kept from the previous version when the node was already known.
  void Upsert(NodeView node, const HostClassInfo& cls);
  void SetHealthy(const std::string& node_id, bool healthy);
  void SetAllocated(const std::string& node_id, Resources allocated);
  // Allocation and running invocations together (one re-index), as a simulator tracks them.
  void SetUsage(const std::string& node_id, Resources allocated, uint32_t running_invocations);
  void MarkChosen(const std::string& node_id);
  // Forgets a node (its slot stays, dead). No-op for an unknown node.
  void Remove(const std::string& node_id);

  size_t size() const { return live_; }
  // Slots ever used, dead ones included: node(slot) is valid for slot < slot_count(), and
  // describes a current node only when live(slot).
  size_t slot_count() const { return nodes_.size(); }
  bool live(uint32_t slot) const { return nodes_[slot].live; }
  // How many nodes were ever removed: while it and slot_count() stay the same, every slot
  // holds the node it held (a slot keeps its node for good; a node that comes back gets a
  // new one).
  uint64_t removals() const { return removals_; }
  // The most memory, and the most CPU, any live node offers (each 0 with no nodes).
  Resources Largest() const;
  const NodeView* Find(const std::string& node_id) const;
  // The live node's slot; nullopt for a node it does not know.
  std::optional<uint32_t> SlotOf(const std::string& node_id) const;
  const ClassEntry* FindClass(const std::string& name) const;
  const std::vector<ClassEntry>& classes() const { return classes_; }
  const NodeView& node(uint32_t slot) const { return nodes_[slot].view; }
  // The slot's class, as an index into classes().
  uint32_t class_index(uint32_t slot) const { return nodes_[slot].class_index; }
  // The key its class's `by_load` orders the slot by (what a walk of the class follows).
  std::tuple<double, uint64_t, uint32_t> LoadOrderKey(uint32_t slot) const {
    return {LoadKey(nodes_[slot].view), nodes_[slot].last_chosen, slot};
  }
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
  uint64_t removals_ = 0;
  std::unordered_map<std::string, uint32_t> slot_of_;
  std::vector<ClassEntry> classes_;
  std::unordered_map<std::string, uint32_t> class_of_;
  // Capacities of live nodes, counted, so the largest is at hand after any change.
  std::map<uint64_t, uint32_t> memory_capacities_;
  std::map<uint32_t, uint32_t> cpu_capacities_;
  void CountCapacity(const Resources& capacity, int delta);
  size_t live_ = 0;
  uint64_t choices_ = 0;
};

// The numeric description of a host class the models regress on: a bias term, one 0/1 per
// feature in ModelFeatures(), log2 of the L3 size over 16 MiB, and log2 of the speed factor.
std::vector<double> HostFeatureVector(const HostClassInfo& cls);
// The CPU features the models look at, in vector order.
const std::vector<std::string>& ModelFeatures();

}  // namespace tailor::models
