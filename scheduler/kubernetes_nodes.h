// KubernetesNodes: which Tailor node answers to a Kubernetes node name, and the slots in the
// placer's models::ClusterIndex of the names kube-scheduler asks about.
//
// An agent registers under its own node id and may say which Kubernetes node it runs on
// (HostInventory.kubernetes_node); a name no agent claimed is taken as a node id itself (an
// agent registered under its node's name). kube-scheduler names every candidate node, thousands
// of them, for every pod, and mostly the same list each time: the slots of the last two lists
// are remembered and reused while the same names come back, no node was added to or removed
// from the index and no claim changed (a lookup per name walks hash chains scattered over the heap;
// comparing a list against the remembered one reads memory in order). A list is recognised by
// identity first: the extender shares one list among the requests that name the same nodes, and a
// remembered list is kept alive, so the same object means the same names.
//
// Thread-safety: not thread-safe; the placer calls it under its own lock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/cluster_index.h"

namespace tailor::scheduler {

class KubernetesNodes {
 public:
  static constexpr uint32_t kNoSlot = models::CandidateScore::kNoSlot;  // an index slot

  // Records which Kubernetes node `node_id` runs on (empty: none, or the node is gone).
  void Claim(const std::string& node_id, const std::string& kubernetes_name);
  // The Tailor node id of a Kubernetes node name.
  const std::string& NodeIdOf(const std::string& kubernetes_name) const;
  using NameList = std::shared_ptr<const std::vector<std::string>>;
  // For each name, the slot in `index` of the live node it names, or kNoSlot.
  std::vector<uint32_t> SlotsOf(const NameList& names, const models::ClusterIndex& index);

 private:
  struct Remembered {
    NameList names;
    std::vector<uint32_t> slots;
    size_t slot_count = 0;  // the index's when resolved: more means a node was added
    uint64_t removals = 0;  // the index's when resolved: more means a node was removed
    uint64_t claims = 0;    // claims_ when resolved
    uint64_t used = 0;      // when last used (the older of the two is replaced)
  };
  bool StillValid(const Remembered& r, const models::ClusterIndex& index) const;

  std::unordered_map<std::string, std::string> node_of_;  // Kubernetes node -> node id
  std::unordered_map<std::string, std::string> name_of_;  // node id -> Kubernetes node
  uint64_t claims_ = 0;                                   // changes of the two maps
  std::array<Remembered, 2> remembered_;
  uint64_t uses_ = 0;
};

}  // namespace tailor::scheduler
