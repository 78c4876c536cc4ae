// LearnedPolicy: Tailor's own policies, on a DurationModel and ResourceProfiles learned from
// every run report.
//
//   performance  lowest predicted completion time: the expected run time on the node (its
//                class's prediction, plus half its variance: a class known only roughly may well
//                be slow, plus the function's load sensitivity times the node's allocated CPU
//                share) plus the time waiting in the node's agent for a run slot (runs in
//                flight beyond its max_concurrent_runs, one per core when it does not say).
//                The run time counts e^price longer on a nearly full class (up to 1.35x when
//                even the class's least loaded node is full, nothing below 60% allocated), so
//                that a class fastest for everyone keeps its last room for the functions that
//                gain most there (the "class_price_log" term).
//   efficiency   among the nodes whose class still meets the function's latency target (its
//                manifest's p95 target, or an expected median, the node's load included,
//                within twice the best class's median; a cold start is not counted), those of
//                the class packed first (larger hosts, then richer hardware: the same order for
//                every function), the fullest; a full node that would miss the target (its load
//                slows the call) passes the walk to the class's next nodes. For the default
//                target a host the call would start (nothing runs, is held or kept warm there)
//                comes after a running node that misses it by at most a quarter. When no node
//                with room meets it (the classes that would are full), the call still packs,
//                in the same order: the class packed first, its fullest node whose load and
//                queue keep the call within twice its class's own median. Fewer, fuller hosts.
//   balanced     completion time relative to the best class, plus the node's allocated share.
//
// What a class is expected to do for a function (DurationModel): its own runs there once it has
// some; before that, the regression and similar functions; for a function that never ran, its
// population (ClassPopulation: functions with the same manifest hints, else functions without
// hints), less a penalty per preferred feature the class lacks and some class has; on a new
// cluster with no population yet, its hardware (more model features and more L3 count as
// slightly faster; for a function with hints, only L3 besides its hinted features; nothing
// for one hinted memory_bandwidth, whose data streams through memory). A node is scored by
// the class's expected duration, e^(mean + var/2), its load and queue included; a class the
// function never ran on is uncertain by at most DurationModel::kCrossClassVarLog besides its
// level where it ran. Load sensitivity likewise: the function's own, blended with its group's
// mean while it has few runs (a group hinted memory_bandwidth is taken as load-sensitive until
// its functions have taught their own).
//
// Exploration by the value of information, deterministic: each class counts as faster than its
// mean by what learning it is expected to save, times a horizon that grows with the function's
// calls so far (scaled by `exploration`; 0 is greedy): for a challenger, how much it may turn out
// faster than the best class; for the best, how much it may turn out slower than the runner-up.
// A new or rare function goes where it is expected to run best; a busy one tries classes that
// may well be better for it, until its runs there say otherwise, one call at a time (calls
// that come before the try's report decide on the means). efficiency always decides on the
// means: what exploring saves is run time, and a try keeps a host running. A decision says
// whether it explored (chose a node other than the best by the means).
//
// Thread-safety: not thread-safe (see PlacementPolicy); a policy that shares another's learning
// is used under the same lock as that one.
#pragma once

#include <memory>
#include <string_view>

#include "common/generation.h"
#include "models/cluster_index.h"
#include "models/cold_starts.h"
#include "models/duration_model.h"
#include "models/node_slowness.h"
#include "models/placement_policy.h"
#include "models/resource_profile.h"
#include "models/run_statistics.h"

namespace tailor::models {

enum class Objective { kPerformance, kEfficiency, kBalanced };

// The name of the score term that holds a candidate's predicted score (the score with its
// class's expected duration, without the value of information). Terms are found by this
// pointer, not by comparing text: a decision over 5,000 nodes looks it up in each.
inline constexpr char kPredictedScoreTerm[] = "predicted_score";

// Whether a decision chose a node whose predicted score (its kPredictedScoreTerm term; the
// score when it has none) is worse than the best predicted score among the eligible
// candidates. What `explored` means.
bool ChoseOtherThanPredictedBest(const PlacementDecision& decision);

struct LearnedPolicyOptions {
  double exploration = 1.0;  // scales the value of information (0: greedy; efficiency always is)
  DurationModelOptions model;
};

class LearnedPolicy final : public PlacementPolicy {
 public:
  LearnedPolicy(Objective objective, LearnedPolicyOptions options = {});
  // A policy that decides by its own objective on what `teacher` learns. Where every policy
  // learns from every run (the scheduler), each would learn the same: this one learns nothing
  // itself (its Observe only ends its own explorations), saves nothing and restores nothing (an
  // old saved state of its own is accepted and dropped). It takes the teacher's options (its
  // exploration scale and model). REQUIRES: `teacher` outlives it, is not itself a sharer, and
  // is only used under the same lock as this policy.
  LearnedPolicy(Objective objective, LearnedPolicy& teacher);
  LearnedPolicy(const LearnedPolicy&) = delete;
  LearnedPolicy& operator=(const LearnedPolicy&) = delete;
  std::string_view name() const override;
  Objective objective() const { return objective_; }
  Result<PlacementDecision> Decide(const PlacementRequest& request,
                                   const ClusterIndex& cluster) override;
  void Observe(const RunObservation& run) override;
  std::string SaveState() const override;
  // The resource profiles, the run statistics and the duration model, a few functions per
  // part (in the order each first saw them), then the node slowness with the model's last part.
  // A save that outlives a RestoreState, or a class-wide shift during the model's parts, starts
  // again; after kMaxSaveRestarts it saves what is left in one part.
  std::unique_ptr<StateSave> StartSave() const override;
  static constexpr int kMaxSaveRestarts = 3;
  Status RestoreState(const std::string& state) override;
  // The duration model's refits (DurationModel::Refit).
  void DeferSlowLearning() override {
    if (teaches_) model_.DeferRefits();
  }
  std::unique_ptr<DeferredLearning> TakeDeferredLearning() override;
  void InstallDeferredLearning(std::unique_ptr<DeferredLearning> learning) override;

  // What Decide would allocate to the function now.
  Allocation AdviseAllocation(const FunctionInfo& function,
                              const ClusterIndex& cluster) const override;

  const DurationModel& model() const { return model_; }
  // Streaming statistics of a function on a host class; null before its first run there.
  const RunStatistics* Statistics(const std::string& function, const std::string& host_class) const;

 private:
  // Whether the function has an exploratory call out whose report has not come (and not been
  // given up on: kExplorationReportWindowRuns of its runs later).
  bool ExplorationInFlight(const std::string& function, uint64_t runs);
  // The index class with the most of the function's runs (the one its estimates are surest
  // of), or class_names_.size() for none.
  size_t MostRunClass(const std::unordered_map<std::string, RunStatistics>* function_stats) const;

  // What the policy learns, and the caches and class order derived from it: a policy's own, or
  // its teacher's (the members below of the same names refer into it).
  struct Learned;
  explicit LearnedPolicy(Objective objective, LearnedPolicyOptions options,
                         std::shared_ptr<Learned> learned, bool teaches);

  Objective objective_;
  LearnedPolicyOptions options_;
  std::shared_ptr<Learned> learned_;
  const bool teaches_;  // false for a policy that decides on another's learning
  DurationModel& model_;
  ResourceProfiles& resources_;
  NodeSlowness& node_slowness_;  // nodes learned apart from their class (stragglers)
  ColdStarts& cold_starts_;      // not saved: relearned from the first cold starts after a restart
  // Per function, its predictions per index class at its centre payload (DurationModel) and zero
  // load, kept up to date off the decision path: Observe refreshes the observed class at once
  // and every class every kFullRefreshRuns runs of the function, and at every run of its first
  // kAlwaysRefreshRuns (between those, other classes' predictions may lag slightly behind the
  // regression). A class-wide change (DurationModel::class_shifts) marks every function's
  // predictions stale; its next decision refreshes them. A decision then costs a lookup and a
  // draw per class.
  struct CachedPrediction {
    double mean = 0, var = 0;
    bool known = false;
    bool from_population = false;  // DurationPrediction::from_population
  };
  struct PredictionCache {
    size_t classes = 0;
    std::vector<CachedPrediction> per_class;
  };
  // A run's miss teaches NodeSlowness once its function has this many runs on the class.
  static constexpr double kMinCellRunsForNodeMiss = 2;
  static constexpr uint64_t kFullRefreshRuns = 16;
  static constexpr uint64_t kAlwaysRefreshRuns = 64;  // a new function's every run moves them
  void Refresh(const std::string& function, PredictionCache& cache);
  std::unordered_map<std::string, PredictionCache>& cache_;
  uint64_t& class_shifts_seen_;  // DurationModel::class_shifts() when cache_ was last valid
  // Per function, per class name; and the functions in the order they were first seen (what
  // saving walks: the map's nodes stay where they are as it grows).
  using StatisticsByClass = std::unordered_map<std::string, RunStatistics>;
  std::unordered_map<std::string, StatisticsByClass>& statistics_;
  std::vector<const std::pair<const std::string, StatisticsByClass>*>& statistics_order_;
  uint64_t& generation_;  // a new one at every RestoreState
  class PartedSave;
  std::vector<std::string>& class_names_;  // index class order, last seen
  std::vector<std::vector<double>>& class_vectors_;
  std::unordered_map<std::string, size_t>& class_position_;  // name -> index class
  // The policy's own from here on.
  std::vector<double> pack_rank_;  // efficiency: per index class, its packing order
  // Per function, its exploratory call in flight: where it went and the function's runs then
  // (not saved: after a restart a function may explore once more).
  struct Exploring {
    std::string host_class;
    uint64_t runs_at_decision = 0;
  };
  std::unordered_map<std::string, Exploring> exploring_;
};

}  // namespace tailor::models
