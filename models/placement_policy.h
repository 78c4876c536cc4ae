// PlacementPolicy: how Tailor chooses a node and an allocation for one invocation.
//
// The scheduler (and the simulator) keep the cluster in a ClusterIndex (nodes grouped by host
// class, ordered by load) and describe the invocation as a PlacementRequest; a policy returns a
// PlacementDecision with the candidates it weighed, their scores and the terms behind them, so
// Explain can show why. Observe() feeds back each finished run. This is pure code: no I/O, no
// clocks, no protobuf; the same objects run in the scheduler and the simulator.
//
// Thread-safety: a policy is not thread-safe; the scheduler calls it under its own lock.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tailor::models {

struct Resources {
  uint64_t memory_bytes = 0;
  uint32_t cpu_millicores = 0;
};

// The share of a node's CPU capacity that in-flight invocations hold (0 with no capacity).
inline double AllocatedCpuShare(const Resources& allocated, const Resources& capacity) {
  return capacity.cpu_millicores > 0 ? double(allocated.cpu_millicores) / capacity.cpu_millicores
                                     : 0.0;
}

struct NodeView {
  std::string node_id;
  std::string host_class;  // hardware signature shared by identical hosts
  bool healthy = true;
  bool draining = false;              // takes no new placements (an operator's drain)
  bool stopping = false;              // its agent is shutting down: no new placements either
  std::vector<std::string> features;  // CPU features the node advertises, sorted
  Resources capacity;                 // what the node can give to invocations
  Resources allocated;                // held by invocations in flight
  uint32_t running_invocations = 0;
  uint32_t queued_invocations = 0;
  // Runs the node's agent starts at once; more wait in its queue. 0: unknown, taken as one per
  // core.
  uint32_t max_concurrent_runs = 0;
  double cpu_utilization = 0;     // 0..1, from the last heartbeat
  uint32_t cache_ways_total = 0;  // allocatable L3 ways (0: no cache allocation)
  // Memory idle warm instances hold there (their limits): held for every function but the one
  // whose idle instance a call would reuse (PlacementRequest::warm_node_ids).
  uint64_t warm_idle_memory_bytes = 0;
};

struct FunctionInfo {
  std::string name;
  uint64_t memory_hint_bytes = 0;  // from the manifest; 0 if none
  uint64_t max_memory_bytes = 0;   // the manifest's ceiling; 0 if none
  uint32_t timeout_ms = 0;
  double latency_target_ms = 0;  // optional p95 target; 0 if none
  // CPU features the function is known to run faster with (a manifest hint), sorted: before a
  // function has run on a class, a class lacking one counts as slower. Besides CPU feature
  // names, two words describe what a function is bound by: kLargeL3Hint (a class "has" it when
  // its L3 is the largest of the cluster's) and kMemoryBandwidthHint (no class has it; it puts
  // the function among functions like it, whose load sensitivity it starts from).
  std::vector<std::string> preferred_features;
};

inline constexpr std::string_view kLargeL3Hint = "large_l3";
inline constexpr std::string_view kMemoryBandwidthHint = "memory_bandwidth";

struct Allocation {
  uint64_t memory_limit_bytes = 0;
  uint32_t cpu_millicores = 0;
  uint32_t cache_ways = 0;
};

struct PlacementRequest {
  FunctionInfo function;
  uint64_t payload_bytes = 0;
  std::vector<std::string> required_features;
  // Hashed: a Kubernetes pod may name thousands of nodes.
  std::unordered_set<std::string> allowed_node_ids;   // empty: every node
  std::unordered_set<std::string> excluded_node_ids;  // nodes already tried
  // Set by a caller whose allocation is decided elsewhere (a Kubernetes pod's requests): nodes
  // are judged for it instead of the policy's advice.
  std::optional<Allocation> fixed_allocation;
  // Score every eligible node and give every ineligible one its reason (a ranking of the
  // nodes), not only the first eligible node of each class.
  bool score_every_node = false;
  // With score_every_node: the caller reads the candidates by slot (ClusterIndex::node and
  // class_index name the node and its class), so they come in slot order instead of the class
  // walks' (no sort of every node; among nodes of equal score the decision may then name
  // another) and carry no node_id or host_class (two string copies per node saved).
  bool candidates_by_slot = false;
  // Nodes holding an idle warm instance of the function (runtime = "lambda"): a call there
  // starts warm, elsewhere it pays the function's cold start, which policies that learn it
  // weigh. Within a class, such a node is visited first.
  std::unordered_set<std::string> warm_node_ids;
  // Set by a caller that keeps a call it could not place and asks again as room frees (the
  // simulator's wait queue, the gateway's admission queue). `performance` may then answer
  // RESOURCE_EXHAUSTED (kNoCapacity) although a slower, crowded class has room, while the
  // function's best class is only full now: for at most twice what the best class would save,
  // and only when the caller can still wait that long; the refusal's retry hint says how long
  // (LearnedPolicy). Unset: a call is refused only when no node has room.
  struct CallerWait {
    double waited_ms = 0;                                      // since the call arrived
    double left_ms = std::numeric_limits<double>::infinity();  // until the caller gives up
  };
  std::optional<CallerWait> caller_wait;
};

inline constexpr uint64_t kDefaultMemoryLimitBytes = 256ull << 20;
inline constexpr uint32_t kDefaultCpuMillicores = 1000;

// What static configuration gives a function, with nothing learned: its manifest's memory
// hint (or 256 MiB, but never more than its max_memory_bytes) and one core. The baselines
// allocate this; learned advice starts from it.
inline Allocation StaticAllocation(const FunctionInfo& function) {
  Allocation a;
  a.memory_limit_bytes =
      function.memory_hint_bytes > 0 ? function.memory_hint_bytes : kDefaultMemoryLimitBytes;
  if (function.max_memory_bytes > 0) {
    a.memory_limit_bytes = std::min(a.memory_limit_bytes, function.max_memory_bytes);
  }
  a.cpu_millicores = kDefaultCpuMillicores;
  return a;
}

// Why a node cannot take an invocation. The first five may pass by waiting (a run ends, a
// node heartbeats, a drain ends); the others will not without a change to the cluster or the
// request.
enum class Ineligible {
  kNone,
  kMemoryFull,  // in-flight runs hold the memory it needs
  kCpuFull,
  kUnhealthy,  // missed its heartbeats
  kDraining,
  kStopping,      // its agent is shutting down (it may come back)
  kAlreadyTried,  // this invocation failed there already
  kNotCandidate,  // not in the request's candidate list
  kTooSmall,      // the node has less memory or CPU than the allocation, even when idle
  kLacksFeature,  // a required CPU feature is missing
  kUnknownClass,
};
// Whether waiting may make a node with this reason eligible.
inline bool MayPass(Ineligible why) {
  return why == Ineligible::kMemoryFull || why == Ineligible::kCpuFull ||
         why == Ineligible::kUnhealthy || why == Ineligible::kDraining ||
         why == Ineligible::kStopping || why == Ineligible::kAlreadyTried;
}

// The named parts of a score, in a fixed array: scoring must not allocate per term. Names are
// string literals. Only the terms held are written or copied: a decision over thousands of
// nodes makes a candidate for each, and zeroing or copying the whole array was a visible part
// of scoring them.
class ScoreTerms {
 public:
  static constexpr size_t kMax = 10;
  ScoreTerms() {}  // NOLINT: items_ past size_ are never read, so they stay unwritten
  ScoreTerms(std::initializer_list<std::pair<const char*, double>> terms) {
    for (const auto& t : terms) push_back(t.first, t.second);
  }
  ScoreTerms(const ScoreTerms& other) { *this = other; }
  ScoreTerms& operator=(const ScoreTerms& other) {
    size_ = other.size_;
    std::copy(other.begin(), other.end(), items_.begin());
    return *this;
  }
  void push_back(const char* name, double value) {
    if (size_ < kMax) items_[size_++] = {name, value};
  }
  void emplace_back(const char* name, double value) { push_back(name, value); }
  struct Term {  // no initializers: an array of them is left unwritten until pushed
    const char* name;
    double value;
  };
  const Term* begin() const { return items_.data(); }
  const Term* end() const { return items_.data() + size_; }
  size_t size() const { return size_; }

 private:
  std::array<Term, kMax> items_;
  size_t size_ = 0;
};

struct CandidateScore {
  std::string node_id;
  std::string host_class;
  // The node's slot in the ClusterIndex decided on; kNoSlot for an entry that stands for
  // several nodes ("(N nodes)") or a policy that does not say.
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  uint32_t slot = kNoSlot;
  bool eligible = false;
  Ineligible why = Ineligible::kNone;
  std::string reason;  // why not eligible, in words
  double score = 0;    // lower is better
  ScoreTerms terms;
  // A scorer sets it false when the node is eligible but falls short of what the policy looks
  // for (a latency target it would miss): the class walk then goes on to the class's next
  // eligible nodes, up to kMaxUnsettledPerClass of them, and may choose one of those instead.
  bool settles = true;
};

struct PlacementDecision {
  std::string node_id;
  // The chosen node's slot in the ClusterIndex decided on (CandidateScore::kNoSlot when the
  // policy does not say).
  uint32_t slot = CandidateScore::kNoSlot;
  Allocation allocation;
  // The memory limit is the most the function may have: the largest node's memory, or its
  // manifest's max_memory_bytes. An OOM kill at this limit means it does not fit.
  bool memory_at_ceiling = false;
  double predicted_duration_ms = 0;  // 0: no prediction
  // The policy chose a node other than the one it predicts best among the eligible ones
  // (to learn about it), by the value of information (LearnedPolicy).
  bool explored = false;
  std::vector<CandidateScore> candidates;
};

// One finished run, as the models see it.
struct RunObservation {
  std::string function;
  std::string node_id;
  std::string host_class;
  std::vector<double> class_features;  // HostFeatureVector of host_class; empty if unknown
  uint64_t payload_bytes = 0;
  double wall_ms = 0;
  double cpu_ms = 0;
  uint64_t peak_memory_bytes = 0;
  uint64_t memory_limit_bytes = 0;
  uint32_t cpu_quota_millicores = 0;   // the run's CPU quota; 0: none
  double cpu_throttled_fraction = -1;  // periods the quota ran out / periods; -1: not measured
  // Time its tasks were ready but waited for a CPU (co-runners holding the cores); -1: not
  // measured.
  double cpu_waiting_ms = -1;
  bool oom_killed = false;
  bool succeeded = false;
  uint32_t running_at_start = 0;
  double cpu_utilization_at_start = 0;
  double llc_miss_ratio = -1;  // LLC misses / references when perf measured them, else -1
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t llc_occupancy_bytes = 0;     // resctrl, 0 when not measured
  uint64_t memory_bandwidth_bytes = 0;  // resctrl, 0 when not measured
  // A run that started a new warm instance: its init time (not part of wall_ms); -1 otherwise.
  double cold_start_init_ms = -1;
};

class ClusterIndex;

// The most an allocation may be on this cluster: the largest node's memory and CPU, and the
// function's max_memory_bytes when lower.
Resources AllocationCeiling(const FunctionInfo& function, const ClusterIndex& cluster);

// Learning too slow to run under the lock that serializes a policy's decisions (a refit over
// every function a policy knows): taken from the policy under that lock, run without it, and
// installed under it again (PlacementPolicy::TakeDeferredLearning).
class DeferredLearning {
 public:
  virtual ~DeferredLearning() = default;
  // Touches nothing of the policy it came from: may run on any thread while it decides.
  virtual void Run() = 0;
};

// A policy's state saved a part at a time (PlacementPolicy::StartSave), so that the lock that
// serializes the policy's decisions is held for one part, not for the whole save.
class StateSave {
 public:
  virtual ~StateSave() = default;
  // Writes the next part, of at most about `max_functions` functions; true once the whole
  // state is written. Call with the policy's lock held, as for any call to the policy, which
  // must outlive this save. What the policy learns between parts may be saved or not: each
  // record (what one function taught one part of the policy) is saved as it was at one moment,
  // and records may be from moments apart.
  virtual bool WriteSome(size_t max_functions) = 0;
  // The saved state, for RestoreState; once WriteSome has returned true. Needs no lock.
  virtual std::string Take() && = 0;
};

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;
  virtual std::string_view name() const = 0;
  // Chooses a node of `cluster`. FAILED_PRECONDITION, naming the reasons, when none is
  // eligible. The caller reserves the allocation and calls cluster.MarkChosen.
  virtual Result<PlacementDecision> Decide(const PlacementRequest& request,
                                           const ClusterIndex& cluster) = 0;
  virtual void Observe(const RunObservation& run) = 0;
  // What the policy would allocate to the function now (what `tailorctl profile` shows). By
  // default the static allocation.
  virtual Allocation AdviseAllocation(const FunctionInfo& function,
                                      const ClusterIndex& cluster) const;
  // What the policy learned, for the scheduler to persist; empty when it learns nothing.
  virtual std::string SaveState() const { return ""; }
  // SaveState a part at a time. By default in one part.
  virtual std::unique_ptr<StateSave> StartSave() const;
  // INVALID_ARGUMENT (state unchanged) for text SaveState did not write.
  virtual Status RestoreState(const std::string& state) {
    return state.empty() ? OkStatus() : InvalidArgumentError("this policy keeps no state");
  }
  // From now on Observe leaves its slow learning to TakeDeferredLearning instead of doing it
  // at once (the scheduler; the simulator learns inline, where results must not depend on
  // threads). Until that learning is installed, decisions use what was learned before it.
  virtual void DeferSlowLearning() {}
  // Slow learning that is due, or null. The caller runs it and gives it back to
  // InstallDeferredLearning of the same policy (a policy hands out one at a time, until it is
  // given back).
  virtual std::unique_ptr<DeferredLearning> TakeDeferredLearning() { return nullptr; }
  virtual void InstallDeferredLearning(std::unique_ptr<DeferredLearning> /*learning*/) {}
};

}  // namespace tailor::models
