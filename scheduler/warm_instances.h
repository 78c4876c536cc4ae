// WarmInstances: where idle warm instances of runtime = "lambda" functions are, as the
// scheduler knows it: each agent's heartbeat says what it holds (and replaces what was known
// of that node); between heartbeats, a placement on a node takes one of its idle instances and
// a report of a run that left its instance up gives one back.
//
// Thread-safety: none; the Placer holds its lock around every call.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>

#include "tailor/v1/membership.pb.h"

namespace tailor::scheduler {

class WarmInstances {
 public:
  // What node `node_id` reported in its heartbeat (an empty list: none).
  void SetNode(const std::string& node_id, const v1::NodeLoad& load);
  void RemoveNode(const std::string& node_id);
  // A call of the function version was placed on the node / a run there ended leaving its
  // instance idle.
  void Took(const std::string& function, const std::string& version, const std::string& node_id);
  void Returned(const std::string& function, const std::string& version,
                const std::string& node_id);
  // The nodes with an idle instance of the function version.
  std::unordered_set<std::string> NodesOf(const std::string& function,
                                          const std::string& version) const;

 private:
  static std::string Key(const std::string& function, const std::string& version) {
    return function + "@" + version;
  }
  std::map<std::string, std::map<std::string, uint32_t>> idle_;  // key -> node -> instances
};

}  // namespace tailor::scheduler
