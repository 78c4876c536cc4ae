// NodeSlowness: how much slower (or faster) each node runs than the other nodes of its host
// class, learned from its runs. A straggler (a failing fan that throttles the clock, a noisy
// neighbour outside Tailor's view, a smaller memory configuration behind the same CPU) is
// learned apart from its class, so that placement passes it over and its runs stop teaching
// the class a slowness the class's other hosts do not have.
//
// Each run gives a miss: log(observed duration) - log(the class's prediction for that run,
// payload and load included). A node keeps exponentially weighted moments of its misses
// (kDecay per run: about the last 100 runs). Its class's reference is the lower median of its
// nodes' mean misses (nodes with kMinRuns runs, at least three; recomputed as often as the
// class has runs as it has nodes, at least every 16): stragglers up to half of the class do
// not move it. A node is apart when it
// has kMinRuns runs and its mean miss differs from that reference by more than kMinApartLog
// (15%) and by more than kApartStandardErrors standard errors of its mean (a noisy function's
// misses need more runs to prove a node slow). Its offset is then that difference, at most
// kMaxOffsetLog either way; 0 otherwise, and in a class of one node.
//
// A node the policy then avoids gets fewer runs and keeps its offset until load sends runs
// there again: a repaired host is relearned only as fast as it is used.
//
// Pure. Thread-safety: none (the owning policy's lock).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tailor::models {

class NodeSlowness {
 public:
  NodeSlowness() = default;
  NodeSlowness(const NodeSlowness&) = delete;  // classes_ points into nodes_
  NodeSlowness& operator=(const NodeSlowness&) = delete;
  NodeSlowness(NodeSlowness&&) = default;  // an unordered_map's move keeps its elements
  NodeSlowness& operator=(NodeSlowness&&) = default;
  static constexpr double kDecay = 0.99;
  static constexpr double kMinRuns = 8;
  static constexpr double kMinApartLog = 0.14;  // ln 1.15
  static constexpr double kApartStandardErrors = 3.0;
  static constexpr double kMaxOffsetLog = 1.39;  // ln 4

  // One run's miss on a node of a class (log observed over log predicted).
  void Observe(const std::string& node_id, const std::string& host_class, double miss_log);
  // The node's log duration relative to its class's: > 0 slower, < 0 faster, 0 when not
  // clearly apart or unknown.
  double OffsetLog(std::string_view node_id) const;
  size_t size() const { return nodes_.size(); }

  // Everything learned, in binary (common/byte_codec.h). Restore returns false, leaving this
  // unchanged, for anything Save did not write (a moment that is not finite, a weight below 0).
  std::string Save() const;
  bool Restore(std::string_view bytes);

 private:
  struct Moments {
    double weight = 0;  // decayed number of misses
    double mean = 0;
    double mean_sq = 0;
    void Add(double miss_log);
    bool Valid() const;
  };
  struct Node {
    std::string host_class;
    Moments misses;
    double offset_log = 0;  // as of the node's last run
  };
  // Per class: the median of its nodes' mean misses, and what it is recomputed from.
  struct ClassState {
    std::vector<const Node*> nodes;  // into nodes_ (an unordered_map's elements stay put)
    double reference_log = 0;
    size_t runs_since_reference = 0;
    bool has_reference = false;
  };
  void UpdateReference(ClassState& cls);
  double OffsetOf(const Node& node) const;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The offsets of the nodes that are apart (a few, if any): looked up for every node a
  // decision scores, so kept apart from nodes_, whose entries for thousands of nodes lie all
  // over the heap.
  void RecordOffset(const std::string& node_id, double offset_log);

  std::unordered_map<std::string, Node, StringHash, std::equal_to<>> nodes_;
  std::unordered_map<std::string, ClassState> classes_;
  std::unordered_map<std::string, double, StringHash, std::equal_to<>> apart_;  // offset != 0
};

}  // namespace tailor::models
