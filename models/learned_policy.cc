#include "models/learned_policy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>

#include "common/byte_codec.h"
#include "models/eligibility.h"

namespace tailor::models {
namespace {

// Before a function has any run: a guess of 100 ms, very uncertain.
constexpr double kUnknownMeanLog = 4.6;
constexpr double kUnknownVarLog = 4.0;
// How a class no population knows compares with the others, before any run there: between
// about half and twice as fast. Not kUnknownVarLog, which is mostly the function's own level,
// the same on every class: counted as risk it would make such a class look 7x slower.
constexpr double kUnknownClassVarLog = 0.5;
// Future calls expected per call so far (the horizon of the value of information). Small: on
// the simulator's suite, greedy and lightly exploring do best for functions called rarely,
// and a busy function's horizon grows with its calls anyway.
constexpr double kHorizonPerRun = 0.25;
// What a preferred feature (FunctionInfo::preferred_features) the class lacks adds to a
// function's expected log duration there until it has run there (2x).
constexpr double kMissingPreferredFeatureLog = 0.7;
// An exploratory call whose report has not come after this many other runs of its function is
// taken as lost (ExplorationInFlight).
constexpr uint64_t kExplorationReportWindowRuns = 64;
// Efficiency's target when the manifest gives none: a node's expected median (its load
// included) within this factor of the best class's median. (Was: a class's observed p95
// within 2x of the best class's observed p95, a threshold as noisy as a few runs' tail.)
constexpr double kTargetOverBestMedian = 2.0;
// Efficiency's score tiers, each ordered by the packing order: a running node that meets the
// target (or any that meets a manifest's target); a running node where the call misses the
// default target by at most kNearMissOverTarget and packs (its load leaves the call within
// kTargetOverBestMedian of its class's own median), kNearMissScore plus that place; a host to
// start where it meets the default target, kStartsHostScore plus it; a node where it misses
// further but packs, kOverflowScore plus it; the rest kOverloadedScore plus their expected
// completion ms.
constexpr double kNearMissOverTarget = 1.25;
constexpr double kNearMissScore = 1e8;
constexpr double kStartsHostScore = 1e9;
constexpr double kOverflowScore = 1e10;
constexpr double kOverloadedScore = 1e12;
// Within the overflow tier, a node the call would start comes after a running one of the same
// class (less than the packing order's step between classes).
constexpr double kStartsHostMissingTarget = 0.5;
// What the memory_bandwidth hint implies before functions like it have taught their own: a
// run on a node whose CPU is fully held by others takes e^0.5 = 1.6x as long (co-runners share
// the memory bandwidth). An assumption, as the simulator's memory-bound truth is.
constexpr double kBandwidthBoundLoadPrior = 0.5;
// Before any population exists (a new cluster), a class's hardware is all there is: each
// CPU feature the models know and each doubling of L3 count as this much faster (log).
constexpr double kHardwarePriorLog = 0.05;
// For a function hinted memory_bandwidth, 0.3 as much: the memory bus, not the core, sets the
// pace of bandwidth-bound code (the simulator's memory kind assumes durations that follow
// clock^0.3; it could not be measured on these machines, docs/simulator.md).
constexpr double kBandwidthBoundHardwarePriorLog = 0.015;
// performance's price of a nearly full class (ContentionPriceLog): nothing while the class's
// least loaded node has at most kContentionFreeShare of its CPU allocated, rising to
// kContentionPriceLog (e^0.3 = 1.35x) when that node is full. A class that is fastest for
// everyone then keeps its last room for the functions that gain most there, instead of for
// whichever came first (a cache-bound function spilling its L3 elsewhere for 2-3x, pushed out
// by functions 1.1x faster there). Tried on the suite: 0.5-0.7 also helped a crowded cluster,
// but lost to static-rules on heavy-noise and payloads (docs/benchmarks.md).
constexpr double kContentionPriceLog = 0.3;
constexpr double kContentionFreeShare = 0.6;
// performance, for a caller that may wait (PlacementRequest::caller_wait): a call waits for
// the function's best class, while that class is only full now, instead of taking room on a
// class that would run it more than kWaitGain times as long and is itself crowded (even its
// least loaded node more than kWaitCrowdedShare allocated: an overload, where a slower run holds
// room others need longer). Both classes are judged at their load now: a full class stays as
// full while calls queue for it (each leaving run's room is taken by the next), so a function
// co-runners slow down gains less there than an idle node would promise. Counted idle, a
// memory-bound function 1.1x faster on the full class waited as if 1.75x, and p-small's seed 5
// queued 10,199 calls against static-rules' 648 (2,046 judged so); counting only the room the call
// needs freed (a lower share) did worse on tight and the multi-core overloads. It waits at most
// kWaitBudget times the time the best class would save: more than the call itself gains, since
// under overload the slower run's extra time is taken from calls queued behind it. Chosen on the
// suite's tight scenario and on four-way and mixed with more multi-core functions
// (--multicore-share 0.3-0.5), which overload them, with the caller asking again when the wait's
// retry hint passes (a budget of 0.5-1x the saving did worse there); without the crowded condition,
// short calls queued behind long ones on multicore (docs/benchmarks.md).
constexpr double kWaitGain = 1.3;
constexpr double kWaitCrowdedShare = 0.75;
constexpr double kWaitBudget = 2.0;
// performance, for a caller that may wait, when no node has the CPU the call is advised (a
// crunch: every node's CPU allocated, calls queued for whole cores): a short call may run now
// on the most CPU a node that could otherwise take it has left, at least kMinSqueezedMillicores
// and 1/kMaxSqueezeStretch of its advice, its run stretched by advice / what is left, once it
// has waited as long as the stretch adds to its run (rent or buy: about twice the better of
// waiting and squeezing at worst); until then its refusal's retry hint says when. Only a call
// whose stretched run is at most kMaxSqueezedRunMs: the fraction of a core left beside calls
// that need whole ones then serves many short calls in turn, where one long call would hold it
// (with no bound, tight's whole trace did 2-3x worse; 20 ms helped less than 100-500 ms, and
// 100 ms did best on most overloaded lines, docs/benchmarks.md). A squeezed run teaches no
// duration (ResourceProfiles::RanBelowAdvice). Found in the whole 2019 trace's crunches: a 1 ms
// call waited 2 s in a queue of 350 while one node had 600 millicores left.
constexpr uint32_t kMinSqueezedMillicores = 100;
constexpr double kMaxSqueezeStretch = 8.0;
constexpr double kMaxSqueezedRunMs = 100.0;
// The crunch rule for a call of a function that has never run: its length is unknown (the
// prior's 100 ms is a guess about any function), so no bound on its run tells a short call
// from a long one. It is squeezed whatever its length, to at most kMaxUnknownSqueezeStretch
// times its run (a long call then takes at most twice as long), once it has waited
// kUnknownSqueezeWaitFactor times what the stretch adds to the guess: a call soon given a whole
// core is then seldom squeezed. A squeezed run that was throttled teaches no duration, so the
// function's next call in the crunch is judged the same way. Found in the whole 2019 trace's
// multicore line: a function's only call, 1 ms long, waited 2 s (a slowdown of 3,000) while a
// node had 600-800 millicores left. A stretch of 1.5 did worse than 2 on the 60-minute
// overloads; waiting 1x lost p-small's near tie and x-4way-small to static-rules, 6x did worse
// on the overloads (docs/benchmarks.md).
constexpr double kMaxUnknownSqueezeStretch = 2.0;
constexpr double kUnknownSqueezeWaitFactor = 3.0;
// The crunch rule's limits: for a function that has run, and for one that never ran.
struct SqueezeLimits {
  double max_stretch;  // advice / what is left, at most
  double max_run_ms;   // the stretched expected run, at most
  double wait_factor;  // times what the stretch adds: how long the call waits first
};
constexpr SqueezeLimits kSqueezeKnown{kMaxSqueezeStretch, kMaxSqueezedRunMs, 1.0};
constexpr SqueezeLimits kSqueezeNeverRan{
    kMaxUnknownSqueezeStretch, std::numeric_limits<double>::infinity(), kUnknownSqueezeWaitFactor};
// performance: a function whose load coefficient (log duration per unit of a node's allocated
// CPU share) is below kPackBelowLoadSensitivity runs at most ~10% longer on a full node, so it
// fills the fuller nodes of a class first, and the emptier ones stay for functions co-runners
// slow down (cache- and memory-bound code: as Paragon and Quasar co-locate by measured
// sensitivity). Only once its own runs weigh most in that coefficient (kPackAfterRuns: 71% its
// own, DurationModel::kOwnLoadRuns): before, it is its group's mean, and a new function that
// packs on a guess may be one that suffers (at 20 runs heavy-noise lost to static-rules). Not a
// function that keeps warm instances: the walk scores one node per class, and the fullest is
// seldom the one holding its idle instance. Chosen on the suite (docs/benchmarks.md).
constexpr double kPackBelowLoadSensitivity = 0.1;
constexpr uint64_t kPackAfterRuns = 50;

bool HasHint(const FunctionInfo& function, std::string_view hint) {
  const auto& hints = function.preferred_features;
  return std::find(hints.begin(), hints.end(), hint) != hints.end();
}

// E[max(0, rival - X)] for X ~ N(mean, var): how much lower than `rival` the class's true
// log duration is expected to turn out (0 when there is no rival).
double ExpectedImprovement(double mean, double var, double rival) {
  if (!std::isfinite(rival) || var <= 0)
    return std::max(0.0, std::isfinite(rival) ? rival - mean : 0.0);
  const double sd = std::sqrt(var);
  const double z = (rival - mean) / sd;
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
  const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  return sd * (z * cdf + pdf);
}

// The sum of a class's feature vector past its bias term, speed left out (HostFeatureVector:
// feature bits, log2 of L3 over 16 MiB, log2 speed).
double HardwareScore(const std::vector<double>& x) {
  double score = 0;
  for (size_t i = 1; i + 1 < x.size(); ++i) score += x[i];
  return score;
}

// The hardware prior's score of a class no population compares for `function`. A function
// with manifest hints has named what its code uses (PreferredFeaturesLog counts those): of
// the rest only L3 counts (log2 over 16 MiB, HostFeatureVector's last but one), not features
// it never said it uses. Counting them ranked a cold cluster's slowest class, the one with
// every feature, first for its crypto functions (eight-class; docs/benchmarks.md).
double HardwarePriorScore(const FunctionInfo& function, const std::vector<double>& x) {
  if (function.preferred_features.empty() || x.size() < 2) return HardwareScore(x);
  return x[x.size() - 2];
}

// A class a function has not run on, whose comparison with the class it ran on most
// (`reference`) no population has measured: the model's estimate there (`mean`, `var`)
// combined, by precision, with what the hardware prior says, the reference's estimate moved by
// `hardware_offset_log` (the function's hardware prior per feature the class has fewer) and
// kUnknownClassVarLog wider. Before a function's first run the hardware prior alone ranks such
// classes; without this, one run made the regression their only estimator, and from a run or
// two on one class it extrapolates a class with fewer features as near the first run's time
// (its intercept's prior mean), often shorter than the function's level: a burst then went to
// the oldest class and ran 4-7x longer there.
void CombineWithHardwarePrior(double reference_mean, double reference_var,
                              double hardware_offset_log, double& mean, double& var) {
  const double prior_mean = reference_mean + hardware_offset_log;
  const double prior_var = kUnknownClassVarLog + reference_var;
  const double precision = 1.0 / var + 1.0 / prior_var;
  mean = (mean / var + prior_mean / prior_var) / precision;
  var = 1.0 / precision;
}

// Efficiency's packing order of the classes, the same for every function: larger hosts first
// (more room per active host), then richer hardware, then index order. `rank[ci]` is how many
// classes come before class ci. A class's cores and hardware never change under its index, so
// the order changes only when classes are added. (Classes without nodes count too: ranks are
// whole numbers a score multiplies by 4, so a gap in them never changes which class wins.)
void RankForPacking(const std::vector<ClusterIndex::ClassEntry>& classes,
                    std::vector<double>& rank) {
  std::vector<double> hardware(classes.size());
  for (size_t ci = 0; ci < classes.size(); ++ci) {
    hardware[ci] = HardwareScore(classes[ci].feature_vector);
  }
  auto before = [&](size_t a, size_t b) {
    const uint32_t ca = classes[a].info.cores, cb = classes[b].info.cores;
    if (ca != cb) return ca > cb;
    return hardware[a] != hardware[b] ? hardware[a] > hardware[b] : a < b;
  };
  rank.assign(classes.size(), 0.0);
  for (size_t ci = 0; ci < classes.size(); ++ci) {
    for (size_t cj = 0; cj < classes.size(); ++cj) {
      if (cj != ci && before(cj, ci)) rank[ci] += 1;
    }
  }
}

// Whether a class has a preferred feature: a CPU feature it reports, or kLargeL3Hint when its
// L3 is the largest of the cluster's (`largest_l3_bytes`).
bool HasFeature(const HostClassInfo& cls, const std::string& feature, uint64_t largest_l3_bytes) {
  if (feature == kLargeL3Hint) return cls.l3_bytes > 0 && cls.l3_bytes >= largest_l3_bytes;
  return std::binary_search(cls.features.begin(), cls.features.end(), feature);
}

// What the cluster offers of a function's hints: the largest L3 of the classes with nodes, and
// bit k set when some such class has the k-th preferred feature (the first 32). Nothing to find
// for a function without hints (most decisions).
struct HintView {
  uint64_t largest_l3_bytes = 0;
  uint32_t offered = 0;
};

HintView ViewHints(const FunctionInfo& function,
                   const std::vector<ClusterIndex::ClassEntry>& classes) {
  HintView view;
  const auto& preferred = function.preferred_features;
  if (preferred.empty()) return view;
  for (const auto& cls : classes) {
    if (cls.by_load.empty()) continue;
    view.largest_l3_bytes = std::max(view.largest_l3_bytes, cls.info.l3_bytes);
  }
  for (size_t k = 0; k < preferred.size() && k < 32; ++k) {
    for (const auto& cls : classes) {
      if (!cls.by_load.empty() && HasFeature(cls.info, preferred[k], view.largest_l3_bytes)) {
        view.offered |= 1u << k;
        break;
      }
    }
  }
  return view;
}

// What a function's preferred features say of a class it has not run on, in log duration: each
// one the class lacks, and some class has, counts against it (one no class has tells nothing,
// and charging it only to the classes not yet run on would keep a function off them for good).
// When the function has run mostly on a class lacking a feature (`reference`, or null before
// any run), each such feature the class has counts for it: its runs measured the function
// without the feature, and without this credit a class with it would never be expected faster.
double PreferredFeaturesLog(const std::vector<std::string>& preferred, const HintView& hints,
                            const HostClassInfo& cls, const HostClassInfo* reference) {
  double log = 0;
  for (size_t k = 0; k < preferred.size() && k < 32; ++k) {
    if ((hints.offered >> k & 1u) == 0) continue;
    if (!HasFeature(cls, preferred[k], hints.largest_l3_bytes)) {
      log += kMissingPreferredFeatureLog;
    } else if (reference != nullptr &&
               !HasFeature(*reference, preferred[k], hints.largest_l3_bytes)) {
      log -= kMissingPreferredFeatureLog;
    }
  }
  return log;
}

// The CPU share allocated on the class's least loaded node. O(1): the class's walk order
// starts with it.
double LeastLoadedShare(const ClusterIndex::ClassEntry& cls) {
  return cls.by_load.empty() ? 0.0 : std::get<0>(*cls.by_load.begin());
}

// What a call pays on `cls` for taking room others may need more, in log duration: 0 until
// even its least loaded node is more than kContentionFreeShare allocated, then rising linearly
// to kContentionPriceLog.
double ContentionPriceLog(const ClusterIndex::ClassEntry& cls) {
  if (cls.by_load.empty()) return 0;
  const double pressure =
      (LeastLoadedShare(cls) - kContentionFreeShare) / (1 - kContentionFreeShare);
  return kContentionPriceLog * std::clamp(pressure, 0.0, 1.0);
}

// Whether the class (index `ci` in `cluster`) has no room in `d` only because its nodes are
// full now (a run's end may make room), not because they are unhealthy, tried or too small.
bool OnlyFullNow(const PlacementDecision& d, const ClusterIndex& cluster, size_t ci) {
  const std::string& name = cluster.classes()[ci].info.name;
  bool full = false;
  for (const auto& c : d.candidates) {
    // A candidate read by slot carries no class name; one standing for several nodes no slot.
    const bool in_class = c.slot != CandidateScore::kNoSlot ? cluster.class_index(c.slot) == ci
                                                            : c.host_class == name;
    if (!in_class) continue;
    if (c.eligible) return false;
    full = full || c.why == Ineligible::kCpuFull || c.why == Ineligible::kMemoryFull;
  }
  return full;
}

// Whether performance packs a function (kPackBelowLoadSensitivity, kPackAfterRuns).
bool PacksAsLoadInsensitive(double load_sensitivity, uint64_t runs) {
  return runs >= kPackAfterRuns && load_sensitivity < kPackBelowLoadSensitivity;
}

// The most CPU left on a node that could take the call but for its CPU (0: none).
uint32_t MostCpuLeftMillicores(const PlacementRequest& request, const ClusterIndex& cluster,
                               const Allocation& allocation) {
  Allocation without_cpu = allocation;
  without_cpu.cpu_millicores = 0;
  uint32_t most = 0;
  for (uint32_t slot = 0; slot < cluster.slot_count(); ++slot) {
    if (!cluster.live(slot)) continue;
    const NodeView& node = cluster.node(slot);
    if (node.capacity.cpu_millicores <= node.allocated.cpu_millicores) continue;
    if (!IneligibilityOf(request, cluster, node, without_cpu).empty()) continue;
    most = std::max(most, node.capacity.cpu_millicores - node.allocated.cpu_millicores);
  }
  return most;
}

// performance's crunch rule (kMinSqueezedMillicores): the call on the most CPU a node has left,
// if it has waited as long as the stretch would add to `run_ms` of the node it would take;
// else `refused`, with a retry hint for when squeezing will be worth it, within `limits`.
Result<PlacementDecision> SqueezeIntoCpuLeft(const PlacementRequest& request,
                                             const ClusterIndex& cluster, const Allocation& advised,
                                             WalkOrder walk, const NodeScorer& score,
                                             const std::function<double(const NodeView&)>& run_ms,
                                             const SqueezeLimits& limits, const Status& refused) {
  const uint32_t left = MostCpuLeftMillicores(request, cluster, advised);
  if (left <
      std::max<double>(kMinSqueezedMillicores, advised.cpu_millicores / limits.max_stretch)) {
    return refused;
  }
  Allocation squeezed = advised;
  squeezed.cpu_millicores = left;
  auto there = ChooseByClass(request, cluster, squeezed, walk, score);
  if (!there.ok()) return refused;
  const double stretch = static_cast<double>(advised.cpu_millicores) / left;
  const double here_ms = run_ms(*cluster.Find(there->node_id));
  if (here_ms * stretch > limits.max_run_ms) return refused;
  const double added_ms = here_ms * (stretch - 1.0) * limits.wait_factor;
  const double wait_left_ms = added_ms - request.caller_wait->waited_ms;
  if (wait_left_ms <= 0) return there;
  if (wait_left_ms >= request.caller_wait->left_ms) return refused;
  return refused.WithRetryAfter(
      std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait_left_ms))));
}

// How much longer a call that may wait should wait for room on its best class (kWaitGain),
// 0 for not at all: it would run `on_best_ms` there and `here_ms` on the chosen node, whose
// class's least loaded node has `here_least_share` of its CPU allocated.
double WaitForBestClassMs(double on_best_ms, double here_ms, double here_least_share,
                          const PlacementRequest::CallerWait& wait) {
  const double wait_left_ms = kWaitBudget * (here_ms - on_best_ms) - wait.waited_ms;
  const bool waits = here_ms > kWaitGain * on_best_ms && here_least_share > kWaitCrowdedShare &&
                     wait_left_ms > 0 && wait_left_ms < wait.left_ms;
  return waits ? wait_left_ms : 0.0;
}

}  // namespace

struct LearnedPolicy::Learned {
  explicit Learned(const DurationModelOptions& options) : model(options) {}
  DurationModel model;
  ResourceProfiles resources;
  NodeSlowness node_slowness;
  ColdStarts cold_starts;
  std::unordered_map<std::string, PredictionCache> cache;
  uint64_t class_shifts_seen = 0;
  std::unordered_map<std::string, StatisticsByClass> statistics;
  std::vector<const std::pair<const std::string, StatisticsByClass>*> statistics_order;
  uint64_t generation = NewGeneration();
  std::vector<std::string> class_names;
  std::vector<std::vector<double>> class_vectors;
  std::unordered_map<std::string, size_t> class_position;
};

LearnedPolicy::LearnedPolicy(Objective objective, LearnedPolicyOptions options)
    : LearnedPolicy(objective, options, std::make_shared<Learned>(options.model), true) {}

LearnedPolicy::LearnedPolicy(Objective objective, LearnedPolicy& teacher)
    : LearnedPolicy(objective, teacher.options_, teacher.learned_, false) {}

LearnedPolicy::LearnedPolicy(Objective objective, LearnedPolicyOptions options,
                             std::shared_ptr<Learned> learned, bool teaches)
    : objective_(objective),
      options_(options),
      learned_(std::move(learned)),
      teaches_(teaches),
      model_(learned_->model),
      resources_(learned_->resources),
      node_slowness_(learned_->node_slowness),
      cold_starts_(learned_->cold_starts),
      cache_(learned_->cache),
      class_shifts_seen_(learned_->class_shifts_seen),
      statistics_(learned_->statistics),
      statistics_order_(learned_->statistics_order),
      generation_(learned_->generation),
      class_names_(learned_->class_names),
      class_vectors_(learned_->class_vectors),
      class_position_(learned_->class_position) {}

std::string_view LearnedPolicy::name() const {
  switch (objective_) {
    case Objective::kPerformance:
      return "performance";
    case Objective::kEfficiency:
      return "efficiency";
    case Objective::kBalanced:
      return "balanced";
  }
  return "";
}

void LearnedPolicy::Refresh(const std::string& function, PredictionCache& cache) {
  cache.classes = class_names_.size();
  cache.per_class.assign(class_names_.size(), CachedPrediction{});
  for (size_t ci = 0; ci < class_names_.size(); ++ci) {
    auto p = model_.Predict(function, class_names_[ci], class_vectors_[ci], std::nullopt, 0.0);
    cache.per_class[ci] = {p.mean_log_ms, p.var_log, p.known, p.from_population};
  }
}

const RunStatistics* LearnedPolicy::Statistics(const std::string& function,
                                               const std::string& host_class) const {
  auto f = statistics_.find(function);
  if (f == statistics_.end()) return nullptr;
  auto c = f->second.find(host_class);
  return c == f->second.end() ? nullptr : &c->second;
}

void LearnedPolicy::Observe(const RunObservation& run) {
  if (auto e = exploring_.find(run.function);
      e != exploring_.end() && e->second.host_class == run.host_class) {
    exploring_.erase(e);  // the exploratory call (or another run there) has taught its lesson
  }
  if (!teaches_) return;  // the teacher learns the run
  // A run throttled under less CPU than its function is advised (squeezed in a crunch, below)
  // ran as long as its quota made it, not as its class would run the function: its memory and
  // cold start count, its duration does not.
  const bool below_advice = resources_.RanBelowAdvice(run);
  resources_.Observe(run, run.llc_miss_ratio);
  if (run.cold_start_init_ms >= 0) {
    cold_starts_.Observe(run.function, run.host_class, run.cold_start_init_ms);
  }
  if (below_advice && run.succeeded) return;
  auto [stats, added] = statistics_.try_emplace(run.function);
  if (added) statistics_order_.push_back(&*stats);
  stats->second[run.host_class].Add(run);
  if (!run.succeeded || run.wall_ms <= 0) return;
  const std::vector<double>* features = &run.class_features;
  if (features->empty()) {
    auto it = class_position_.find(run.host_class);
    if (it == class_position_.end()) return;  // a class this policy knows nothing about
    features = &class_vectors_[it->second];
  }
  // How busy the node's CPU was when the run started (0..1): what slows a run down, where the
  // number of runs in flight would count a sleeping one like a busy one.
  const double load = std::clamp(run.cpu_utilization_at_start, 0.0, 1.0);
  const auto payload = static_cast<double>(run.payload_bytes);
  // The run's miss against its class, when the function knows the class from its own runs
  // there (a prediction from elsewhere would blame the node for the model's guess).
  if (const auto p = model_.Predict(run.function, run.host_class, *features, payload, load);
      p.known && p.cell_runs >= kMinCellRunsForNodeMiss) {
    node_slowness_.Observe(run.node_id, run.host_class, std::log(run.wall_ms) - p.mean_log_ms);
  }
  // The class learns the run as the class's typical node would have run it.
  const double node_offset_log = node_slowness_.OffsetLog(run.node_id);
  model_.Observe(run.function, run.host_class, *features, payload, load,
                 run.wall_ms * std::exp(-node_offset_log));
  if (model_.class_shifts() != class_shifts_seen_) {
    // A class-wide change moved other functions' cells: their cached predictions are stale.
    class_shifts_seen_ = model_.class_shifts();
    for (auto& [name, stale] : cache_) stale.classes = 0;
  }
  // Keep the decision-time predictions current (see PredictionCache).
  PredictionCache& cache = cache_[run.function];
  auto pos = class_position_.find(run.host_class);
  const uint64_t runs = model_.Runs(run.function);
  if (cache.classes != class_names_.size() || runs <= kAlwaysRefreshRuns ||
      runs % kFullRefreshRuns == 1 || pos == class_position_.end()) {
    Refresh(run.function, cache);
  } else {
    auto p = model_.Predict(run.function, run.host_class, class_vectors_[pos->second], std::nullopt,
                            0.0);
    cache.per_class[pos->second] = {p.mean_log_ms, p.var_log, p.known, p.from_population};
  }
}

namespace {

class DeferredRefit final : public DeferredLearning {
 public:
  explicit DeferredRefit(DurationModel::Refit refit) : refit_(std::move(refit)) {}
  void Run() override { refit_.Run(); }
  DurationModel::Refit& refit() { return refit_; }

 private:
  DurationModel::Refit refit_;
};

}  // namespace

std::unique_ptr<DeferredLearning> LearnedPolicy::TakeDeferredLearning() {
  if (!teaches_) return nullptr;  // the teacher hands out its model's refits
  std::optional<DurationModel::Refit> refit = model_.TakeDueRefit();
  if (!refit) return nullptr;
  return std::make_unique<DeferredRefit>(std::move(*refit));
}

void LearnedPolicy::InstallDeferredLearning(std::unique_ptr<DeferredLearning> learning) {
  if (auto* refit = dynamic_cast<DeferredRefit*>(learning.get())) {
    model_.InstallRefit(std::move(refit->refit()));
  }
}

Allocation LearnedPolicy::AdviseAllocation(const FunctionInfo& function,
                                           const ClusterIndex& cluster) const {
  return resources_.Advise(function, AllocationCeiling(function, cluster));
}

Result<PlacementDecision> LearnedPolicy::Decide(const PlacementRequest& request,
                                                const ClusterIndex& cluster) {
  const Resources ceiling = AllocationCeiling(request.function, cluster);
  // Code bound by memory bandwidth gains little from a newer CPU and loses much to busy
  // neighbours: its manifest's hint makes it load-sensitive and weakens the hardware prior.
  const bool bandwidth_bound = HasHint(request.function, kMemoryBandwidthHint);
  {
    // Functions with the same hints (or none) are alike: they share a population prior.
    thread_local std::string group;  // reused: no allocation per decision
    group.clear();
    for (const auto& f : request.function.preferred_features) group.append(f).push_back(',');
    model_.SetGroup(request.function.name, group, bandwidth_bound ? kBandwidthBoundLoadPrior : 0.0);
  }
  Allocation allocation = resources_.Advise(request.function, ceiling);
  const auto& classes = cluster.classes();
  // Per class: the posterior of the expected log duration at zero load, and a draw from it.
  if (class_names_.size() != classes.size()) {
    // New host classes appeared: remember their order (the caches refresh lazily).
    for (size_t ci = class_names_.size(); ci < classes.size(); ++ci) {
      class_names_.push_back(classes[ci].info.name);
      class_vectors_.push_back(classes[ci].feature_vector);
      class_position_[classes[ci].info.name] = ci;
    }
  }
  // Its own order, where the class order may have grown in a decision of the teacher's.
  if (pack_rank_.size() != classes.size()) RankForPacking(classes, pack_rank_);
  static const PredictionCache kNothingKnown;
  const PredictionCache* found = &kNothingKnown;
  auto it = cache_.find(request.function.name);
  if (it == cache_.end() && model_.Runs(request.function.name) > 0) {
    // Known to the model but not cached (just restored): fill the cache once.
    it = cache_.emplace(request.function.name, PredictionCache{}).first;
    Refresh(request.function.name, it->second);
  }
  if (it != cache_.end()) {
    if (it->second.classes != classes.size()) Refresh(request.function.name, it->second);
    found = &it->second;
  }
  const PredictionCache& cache = *found;
  auto known = [&](size_t ci) { return ci < cache.per_class.size() && cache.per_class[ci].known; };
  const double payload_term =
      model_.PayloadTerm(request.function.name, static_cast<double>(request.payload_bytes));
  struct ClassView {
    double mean = kUnknownMeanLog, var = kUnknownVarLog;
    double draw = kUnknownMeanLog;  // what decides: the mean less the value of learning it
    double observed_p95_ms = 0;     // from RunStatistics once the class has 3+ runs (only
                                    // for efficiency with a manifest target)
    bool eligible = false;          // has nodes and every required feature
    double price_log = 0;           // performance: ContentionPriceLog
  };
  thread_local std::vector<ClassView> per_class;  // reused: no allocation per decision
  per_class.assign(classes.size(), ClassView{});
  double best_mean = std::numeric_limits<double>::infinity();
  const uint64_t runs = model_.Runs(request.function.name);
  const std::unordered_map<std::string, RunStatistics>* function_stats = nullptr;
  if (auto fs = statistics_.find(request.function.name); fs != statistics_.end()) {
    function_stats = &fs->second;
  }
  const HintView hints = ViewHints(request.function, classes);
  const double hardware_prior_log =
      bandwidth_bound ? kBandwidthBoundHardwarePriorLog : kHardwarePriorLog;
  // Before a first run, bandwidth-bound code is drawn by no hardware: its data streams through
  // memory, so no CPU feature and no L3 says which class feeds it faster (the node's load
  // decides). Counting L3 sent a cold two-way cluster's memory-bound first calls to its
  // larger-L3, slower-clocked class.
  const double first_call_prior_log = bandwidth_bound ? 0.0 : hardware_prior_log;
  const size_t reference = MostRunClass(function_stats);
  const double reference_hardware =
      known(reference) ? HardwareScore(class_vectors_[reference]) : 0.0;
  for (size_t ci = 0; ci < classes.size(); ++ci) {
    const auto& cls = classes[ci];
    if (cls.by_load.empty()) continue;
    ClassView& v = per_class[ci];
    const bool ran_here = function_stats != nullptr && function_stats->contains(cls.info.name);
    if (known(ci)) {
      v.mean = cache.per_class[ci].mean + payload_term;
      v.var = cache.per_class[ci].var;
      if (!ran_here && !cache.per_class[ci].from_population && known(reference)) {
        const auto& ref = cache.per_class[reference];
        CombineWithHardwarePrior(
            ref.mean + payload_term, ref.var,
            hardware_prior_log * (reference_hardware - HardwareScore(cls.feature_vector)), v.mean,
            v.var);
      }
    } else if (const auto prior = model_.PopulationPrior(request.function.name, cls.info.name);
               prior.known) {
      // A function with no run yet: the class as it is for functions like it (its own level is
      // unknown but the same on every class).
      v.mean = kUnknownMeanLog + prior.offset_log;
      v.var = prior.var_log;
    } else {
      v.mean = kUnknownMeanLog -
               first_call_prior_log * HardwarePriorScore(request.function, cls.feature_vector);
      v.var = kUnknownClassVarLog;
    }
    if (!request.function.preferred_features.empty() && !ran_here) {
      v.mean += PreferredFeaturesLog(
          request.function.preferred_features, hints, cls.info,
          reference < classes.size() && known(reference) ? &classes[reference].info : nullptr);
    }
    if (objective_ == Objective::kEfficiency && request.function.latency_target_ms > 0 &&
        function_stats != nullptr) {  // only a manifest's p95 target is judged on tails
      if (auto st = function_stats->find(cls.info.name);
          st != function_stats->end() && st->second.runs() >= 3) {
        v.observed_p95_ms = st->second.DurationQuantileMs(0.95);
      }
    }
    v.draw = v.mean;  // less the value of information below, when there is a horizon
    if (objective_ == Objective::kPerformance) v.price_log = ContentionPriceLog(cls);
    // A class none of whose nodes takes placements now (failed, drained) sets no bar: judged
    // against it, every class that can run the call looked slow (efficiency's target, the
    // value of trying another class).
    v.eligible = ClassIneligibility(request, cls.info).empty() && cls.serving > 0;
    if (v.eligible) best_mean = std::min(best_mean, v.mean);
  }
  // Exploration by the value of information: a class counts as better than its mean by what
  // learning it is expected to save over the function's future calls (expected improvement on
  // the best other class, times a horizon taken from the calls so far). A new or rare function
  // goes where it is expected to run best; a busy one tries classes that may well be better.
  // One exploratory call at a time: what it will teach is worth learning once, not once for
  // each call of a batch that arrives before its report (they would all go to the same class).
  // efficiency decides on the means: the value of information is run time saved, which it does
  // not seek, and a try on another class is a host kept running for it (it still learns each
  // class its packing and overflow send calls to). Exploring as performance does cost it about
  // as many host-hours as it saved and lowered its SLO attainment (docs/benchmarks.md).
  const bool greedy =
      objective_ == Objective::kEfficiency || ExplorationInFlight(request.function.name, runs);
  const double horizon =
      greedy ? 0.0 : options_.exploration * kHorizonPerRun * static_cast<double>(runs);
  double second_mean = std::numeric_limits<double>::infinity();
  size_t best_class = classes.size();
  for (size_t ci = 0; ci < classes.size(); ++ci) {
    if (!per_class[ci].eligible) continue;
    if (per_class[ci].mean == best_mean && best_class == classes.size()) {
      best_class = ci;
    } else {
      second_mean = std::min(second_mean, per_class[ci].mean);
    }
  }
  for (size_t ci = 0; ci < classes.size() && horizon > 0; ++ci) {
    ClassView& v = per_class[ci];
    // A challenger is worth learning by how much it may turn out better than the best; the
    // best by how much it may turn out worse than the runner-up (its lead is no information:
    // counting it would let a class that merely looks best keep the others from ever being
    // tried).
    v.draw = ci == best_class ? v.mean - horizon * ExpectedImprovement(-v.mean, v.var, -second_mean)
                              : v.mean - horizon * ExpectedImprovement(v.mean, v.var, best_mean);
  }
  const double load_sensitivity = model_.LoadSensitivity(request.function.name);
  const double best_ms = std::isfinite(best_mean) ? std::exp(best_mean) : 1.0;
  // Efficiency's target: the manifest's p95 (0: none; then a median within
  // kTargetOverBestMedian of the best class's, below).
  const double target_p95_ms = request.function.latency_target_ms;

  // What a node's score depends on besides its class. When every node is scored (thousands,
  // in slot order), nodes of a class alike in all of it (the idle nodes of a large cluster)
  // score alike: each class's last node's score is reused. (A class walk scores a node or two
  // per class: there the table would cost more than it saves.)
  struct NodeInputs {
    double slots = -1, in_flight = 0, share = 0;
    // What starting a new instance adds there (0 on a warm node, and for functions that keep
    // no instances).
    double cold_ms = 0;
    double node_log = 0;
    // Nothing runs, is held or is kept warm there: a call would start the host.
    bool starts_host = false;
    bool operator==(const NodeInputs&) const = default;
  };
  // The score of a node if the class's expected log duration were `log_ms`: with the draw it
  // decides, with the mean it is what the policy predicts best (for `explored`).
  struct Scored {
    double score, run_ms, queue_ms;
    bool meets;
  };
  auto score_with = [&](double log_ms, const ClassView& v, const NodeInputs& n, double pack_rank) {
    const double share = n.share, cold_ms = n.cold_ms;
    const double load_term = load_sensitivity * share;
    // The expected run time, not the median: a class known only roughly may well be slow
    // (E[e^X] = e^(mean + var/2) for X normal).
    Scored s{0, std::exp(log_ms + load_term + v.var / 2), 0, false};
    s.queue_ms = std::max(0.0, n.in_flight + 1 - n.slots) / n.slots * s.run_ms;
    const double waits_ms = s.queue_ms + cold_ms;
    switch (objective_) {
      case Objective::kPerformance:
        // The run as long as the class's price makes it: a function that gains little on a
        // nearly full class leaves its last room to one that gains more.
        s.score = s.run_ms * std::exp(v.price_log) + waits_ms;
        break;
      case Objective::kBalanced:
        s.score = (s.run_ms + waits_ms) / best_ms + share;
        break;
      case Objective::kEfficiency: {
        // The target is about the node: its class, its load and its queue. A cold start is
        // not counted against it (a short function would miss it on every node but the few
        // with its warm instances, and keep those hosts running for it); the packing order
        // below prefers a warm instance within a class.
        const double loaded_median_ms = std::exp(log_ms + load_term);
        if (request.function.latency_target_ms > 0) {
          // The manifest's p95 target: the class's observed p95 once it has a few runs, else
          // the model's estimate.
          const double p95_ms =
              v.observed_p95_ms > 0
                  ? v.observed_p95_ms * std::exp(load_term)
                  : std::exp(log_ms + load_term + 1.645 * options_.model.noise_sd_log);
          s.meets = p95_ms + s.queue_ms <= target_p95_ms;
        } else {
          // Without one: the node's expected median, its load included, within
          // kTargetOverBestMedian of the best class's. Medians from the model on both sides:
          // a class's p95 from a handful of runs is a noisy threshold (a rarely used class's
          // low sample made the packed one look too slow and kept a function on idle hosts).
          s.meets = loaded_median_ms + s.queue_ms <= kTargetOverBestMedian * best_ms;
        }
        // Meeting the target first; then the class packed first (the same order for every
        // function, so that all fill the same hosts and the others stay idle); then a warm
        // instance before a new one (which costs memory too); then the fullest node.
        const double packing_order = 4.0 * pack_rank - share + (cold_ms > 0 ? 1.0 : 0.0);
        // A running node that meets the target first. A host the call would start (nothing
        // runs, is held or kept warm there) comes here only under a manifest's target (its
        // owner asked for it); the default target does not start a host while a running one
        // misses it by little.
        if (s.meets && (target_p95_ms > 0 || !n.starts_host)) {
          s.score = packing_order;
          break;
        }
        // Else the call packs, in the same order, on a node whose load and queue leave it
        // within kTargetOverBestMedian of its class's own median. (Was: the class expected
        // fastest, its fullest node. A smaller class predicted a little faster drew every
        // overflow onto hosts of its own while the larger class's busy hosts had room: the old
        // class's 8-core hosts on the simulator's mixed cluster. Before that: the fastest node,
        // an idle one, so every overflow opened another host.)
        const bool packs =
            loaded_median_ms + s.queue_ms <= kTargetOverBestMedian * std::exp(log_ms);
        const bool near_miss =
            !s.meets && packs && !n.starts_host && target_p95_ms <= 0 &&
            loaded_median_ms + s.queue_ms <= kNearMissOverTarget * kTargetOverBestMedian * best_ms;
        if (near_miss) {
          s.score = kNearMissScore + packing_order;
        } else if (s.meets) {  // a host to start, where it meets the default target
          s.score = kStartsHostScore + packing_order;
        } else if (packs) {  // misses: a running node first within the class
          s.score =
              kOverflowScore + packing_order + (n.starts_host ? kStartsHostMissingTarget : 0.0);
        } else {
          s.score = kOverloadedScore + s.run_ms + waits_ms;
        }
        break;
      }
    }
    return s;
  };
  const ColdStarts::Function* cold = cold_starts_.Find(request.function.name);
  struct LastScored {
    NodeInputs inputs;
    double score = 0;
    ScoreTerms terms;
    bool settles = true;
  };
  std::vector<LastScored> last_of_class(request.score_every_node ? classes.size() : 0);
  auto score = [&](uint32_t ci, const NodeView& node, CandidateScore& c) {
    const ClassView& v = per_class[ci];
    const double slots = node.max_concurrent_runs > 0 ? node.max_concurrent_runs
                                                      : std::max(1u, classes[ci].info.cores);
    const double in_flight = node.running_invocations + node.queued_invocations;
    const double share = AllocatedCpuShare(node.allocated, node.capacity);
    const double cold_ms = cold == nullptr || request.warm_node_ids.contains(node.node_id)
                               ? 0.0
                               : cold->ExpectedMs(node.host_class);
    const double pack_rank = ci < pack_rank_.size() ? pack_rank_[ci] : 0.0;
    // A node learned apart from its class (a straggler) runs its class's prediction times this.
    const double node_log = node_slowness_.size() > 0 ? node_slowness_.OffsetLog(node.node_id) : 0;
    const bool starts_host = in_flight <= 0 && share <= 0 && node.warm_idle_memory_bytes == 0 &&
                             !request.warm_node_ids.contains(node.node_id);
    const NodeInputs inputs{slots, in_flight, share, cold_ms, node_log, starts_host};
    LastScored* last = ci < last_of_class.size() ? &last_of_class[ci] : nullptr;
    if (last != nullptr && inputs == last->inputs) {
      c.score = last->score;
      c.terms = last->terms;
      c.settles = last->settles;
      return;
    }
    const Scored drawn = score_with(v.draw + node_log, v, inputs, pack_rank);
    const Scored expected = score_with(v.mean + node_log, v, inputs, pack_rank);
    c.score = drawn.score;
    c.terms = {{"predicted_ms", std::exp(v.mean + node_log + load_sensitivity * share)},
               {"decided_ms", drawn.run_ms},
               {"uncertainty_log", std::sqrt(v.var)},
               {"queue_ms", drawn.queue_ms},
               {"allocated_cpu_share", share},
               {kPredictedScoreTerm, expected.score}};
    if (cold_ms > 0) c.terms.emplace_back("cold_start_ms", cold_ms);
    if (node_log != 0) c.terms.emplace_back("node_apart_log", node_log);
    if (v.price_log > 0) c.terms.emplace_back("class_price_log", v.price_log);
    // A slow node does not speak for its class: the walk scores the class's next nodes too.
    c.settles = node_log <= 0;
    if (objective_ == Objective::kEfficiency) {
      c.terms.emplace_back("meets_target", drawn.meets);
      c.settles = drawn.meets;  // a fuller node that misses it: try the class's next ones
    }
    if (last != nullptr) *last = {inputs, c.score, c.terms, c.settles};
  };
  // Interference-aware co-location: a function its own runs show co-runners barely slow walks
  // each class from its fullest node, so the emptier nodes stay for those they do slow.
  const bool packs = objective_ == Objective::kEfficiency ||
                     (objective_ == Objective::kPerformance &&
                      PacksAsLoadInsensitive(load_sensitivity, runs) && cold == nullptr);
  const WalkOrder walk = packs ? WalkOrder::kMostLoadedFirst : WalkOrder::kLeastLoadedFirst;
  auto decided = ChooseByClass(request, cluster, allocation, walk, score);
  double stretch = 1.0;  // how much longer than advised the run will take (squeezed: more)
  if (!decided.ok() && objective_ == Objective::kPerformance && request.caller_wait &&
      !request.fixed_allocation && decided.status().code() == StatusCode::kResourceExhausted) {
    auto expected_run_ms = [&](const NodeView& node) {
      const ClassView& v = per_class[class_position_.at(node.host_class)];
      return std::exp(v.mean + node_slowness_.OffsetLog(node.node_id) +
                      load_sensitivity * AllocatedCpuShare(node.allocated, node.capacity) +
                      v.var / 2);
    };
    decided = SqueezeIntoCpuLeft(request, cluster, allocation, walk, score, expected_run_ms,
                                 runs == 0 ? kSqueezeNeverRan : kSqueezeKnown, decided.status());
    if (decided.ok()) {
      stretch = static_cast<double>(allocation.cpu_millicores) / decided->allocation.cpu_millicores;
    }
  }
  if (!decided.ok()) return decided;
  const NodeView* chosen = cluster.Find(decided->node_id);
  if (objective_ == Objective::kPerformance && request.caller_wait && stretch <= 1.0 &&
      best_class < classes.size() && classes[best_class].info.name != chosen->host_class &&
      OnlyFullNow(*decided, cluster, best_class)) {
    const size_t here = class_position_.at(chosen->host_class);
    const double share = AllocatedCpuShare(chosen->allocated, chosen->capacity);
    const ClassView& b = per_class[best_class];
    const ClassView& c = per_class[here];
    // Room frees on a full class as calls leave it, each taken by the next: the call would run
    // there as loaded as that class is now, not idle.
    const double best_share = LeastLoadedShare(classes[best_class]);
    const double on_best_ms = std::exp(b.mean + load_sensitivity * best_share + b.var / 2);
    const double here_ms = std::exp(c.mean + load_sensitivity * share + c.var / 2);
    if (const double wait_ms = WaitForBestClassMs(
            on_best_ms, here_ms, LeastLoadedShare(classes[here]), *request.caller_wait);
        wait_ms > 0) {
      char faster[32];
      std::snprintf(faster, sizeof faster, "%.2fx", here_ms / on_best_ms);
      return ResourceExhaustedError("'" + request.function.name + "' waits for room on class '" +
                                    classes[best_class].info.name + "', where it runs " + faster +
                                    " faster than on '" + chosen->host_class + "'")
          .WithReason(ErrorReason::kNoCapacity)
          .WithRetryAfter(std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait_ms))));
    }
  }
  for (size_t ci = 0; ci < classes.size(); ++ci) {
    if (classes[ci].info.name != chosen->host_class) continue;
    const ClassView& v = per_class[ci];
    const double share = AllocatedCpuShare(chosen->allocated, chosen->capacity);
    decided->predicted_duration_ms =
        known(ci) ? stretch * std::exp(v.mean + node_slowness_.OffsetLog(chosen->node_id) +
                                       load_sensitivity * share)
                  : 0.0;
  }
  decided->explored = ChoseOtherThanPredictedBest(*decided);
  if (decided->explored) exploring_[request.function.name] = {chosen->host_class, runs};
  decided->memory_at_ceiling =
      ceiling.memory_bytes > 0 && allocation.memory_limit_bytes >= ceiling.memory_bytes;
  decided->allocation.cache_ways =
      resources_.AdviseCacheWays(request.function.name, chosen->cache_ways_total);
  return decided;
}

size_t LearnedPolicy::MostRunClass(
    const std::unordered_map<std::string, RunStatistics>* function_stats) const {
  size_t most = class_names_.size();
  double most_runs = 0;
  if (function_stats == nullptr) return most;
  for (const auto& [name, stats] : *function_stats) {
    auto pos = class_position_.find(name);
    if (pos != class_position_.end() && stats.runs() > most_runs) {
      most = pos->second;
      most_runs = stats.runs();
    }
  }
  return most;
}

bool LearnedPolicy::ExplorationInFlight(const std::string& function, uint64_t runs) {
  auto e = exploring_.find(function);
  if (e == exploring_.end()) return false;
  // A report that never comes (a platform that places and never reports) must not stop the
  // function's exploration for good.
  if (runs >= e->second.runs_at_decision + kExplorationReportWindowRuns) {
    exploring_.erase(e);
    return false;
  }
  return true;
}

bool ChoseOtherThanPredictedBest(const PlacementDecision& d) {
  auto predicted = [](const CandidateScore& c) {
    for (const auto& [name, value] : c.terms) {
      if (name == kPredictedScoreTerm) return value;
    }
    return c.score;
  };
  double best = std::numeric_limits<double>::infinity();
  double chosen = best;
  for (const auto& c : d.candidates) {
    if (!c.eligible) continue;
    const double p = predicted(c);
    best = std::min(best, p);
    if (d.slot != CandidateScore::kNoSlot ? c.slot == d.slot : c.node_id == d.node_id) chosen = p;
  }
  return chosen > best + 1e-9 * std::max(1.0, std::abs(best));
}

// State format (common/byte_codec.h): "tailor-learned-policy", version 3, the duration model,
// the resource profiles, a count of (function, host class, run statistics) (by function in the
// order first seen, by class name within one; any order reads), then the node slowness.
// Version 2, the same without the node slowness, is still read (the nodes are then
// relearned). Version 1 was text (doubles printed with 17 digits; a subnormal one could not be
// read back).
namespace {
constexpr char kStateMagic[] = "tailor-learned-policy";
constexpr uint32_t kStateVersion = 3;
constexpr uint32_t kOldestReadableStateVersion = 2;
}  // namespace

class LearnedPolicy::PartedSave final : public StateSave {
 public:
  explicit PartedSave(const LearnedPolicy& policy) : policy_(policy) { Begin(); }
  bool WriteSome(size_t max_functions) override;
  std::string Take() && override;

 private:
  enum class Phase { kResources, kStatistics, kModel, kDone };
  void Begin();
  // The next part of the current phase; true once the last phase is done.
  bool Step(size_t max_functions);
  // The run statistics of the next `max_functions` functions; true once all are written.
  bool WriteStatistics(size_t max_functions);

  const LearnedPolicy& policy_;
  uint64_t generation_ = 0;
  int restarts_ = 0;
  Phase phase_ = Phase::kResources;
  ResourceProfiles::PartedSave resources_;
  size_t next_function_ = 0;  // in statistics_order_
  uint64_t cells_ = 0;
  ByteParts statistics_;
  DurationModel::PartedSave model_;
  std::string node_slowness_;
};

void LearnedPolicy::PartedSave::Begin() {
  generation_ = policy_.generation_;
  phase_ = Phase::kResources;
  resources_ = policy_.resources_.StartSave();
  next_function_ = 0;
  cells_ = 0;
  statistics_ = ByteParts();
}

bool LearnedPolicy::PartedSave::WriteSome(size_t max_functions) {
  // RestoreState replaces everything (a new generation); a class-wide shift moves model
  // records already written.
  const bool stale = policy_.generation_ != generation_ ||
                     (phase_ == Phase::kModel && !model_.Current(policy_.model_));
  if (stale) {
    Begin();
    ++restarts_;
  }
  if (restarts_ < kMaxSaveRestarts) return Step(max_functions);
  // Shifts that keep coming must not keep a save from ever ending.
  while (!Step(SIZE_MAX)) {
  }
  return true;
}

bool LearnedPolicy::PartedSave::Step(size_t max_functions) {
  switch (phase_) {
    case Phase::kResources:
      if (resources_.WriteSome(policy_.resources_, max_functions)) phase_ = Phase::kStatistics;
      return false;
    case Phase::kStatistics:
      if (WriteStatistics(max_functions)) {
        phase_ = Phase::kModel;
        model_ = policy_.model_.StartSave();
      }
      return false;
    case Phase::kModel:
      if (!model_.WriteSome(policy_.model_, max_functions)) return false;
      node_slowness_ = policy_.node_slowness_.Save();
      phase_ = Phase::kDone;
      return true;
    case Phase::kDone:
      return true;
  }
  return true;
}

bool LearnedPolicy::PartedSave::WriteStatistics(size_t max_functions) {
  const auto& order = policy_.statistics_order_;
  const size_t end = next_function_ + std::min(max_functions, order.size() - next_function_);
  std::vector<const std::pair<const std::string, RunStatistics>*> cells;
  ByteWriter part;
  for (; next_function_ < end; ++next_function_) {
    const auto& [function, per_class] = *order[next_function_];
    // By class name, so that the same statistics always save to the same bytes.
    cells.clear();
    for (const auto& cell : per_class) cells.push_back(&cell);
    std::sort(cells.begin(), cells.end(), [](auto* a, auto* b) { return a->first < b->first; });
    for (const auto* cell : cells) {
      part.Str(function);
      part.Str(cell->first);
      part.Str(cell->second.Save());
      ++cells_;
    }
  }
  statistics_.Add(std::move(part));
  return next_function_ == order.size();
}

std::string LearnedPolicy::PartedSave::Take() && {
  ByteWriter out;
  out.Reserve(64 + sizeof(kStateMagic) + model_.size() + resources_.size() + statistics_.size() +
              node_slowness_.size());
  out.Str(kStateMagic);
  out.U32(kStateVersion);
  out.U64(model_.size());  // as Str(model_.Take()) would, without the copy
  model_.AppendTo(out);
  out.U64(resources_.size());
  resources_.AppendTo(out);
  out.U64(cells_);
  statistics_.AppendTo(out);
  out.Str(node_slowness_);
  return out.Take();
}

std::unique_ptr<StateSave> LearnedPolicy::StartSave() const {
  if (!teaches_) return PlacementPolicy::StartSave();  // an empty state, in one part
  return std::make_unique<PartedSave>(*this);
}

std::string LearnedPolicy::SaveState() const {
  if (!teaches_) return "";  // the teacher saves what it learns
  PartedSave save(*this);
  while (!save.WriteSome(SIZE_MAX)) {
  }
  return std::move(save).Take();
}

Status LearnedPolicy::RestoreState(const std::string& state) {
  if (!teaches_) return OkStatus();  // the teacher restores what it learns
  ByteReader in(state);
  if (in.Str(64) != kStateMagic || !in.ok()) {
    return InvalidArgumentError("not a saved learned-policy state");
  }
  const uint32_t version = in.U32();
  if (version < kOldestReadableStateVersion || version > kStateVersion) {
    return InvalidArgumentError("saved learned-policy state of version " + std::to_string(version) +
                                "; this scheduler reads versions " +
                                std::to_string(kOldestReadableStateVersion) + " to " +
                                std::to_string(kStateVersion));
  }
  DurationModel model(options_.model);
  if (!model.Restore(in.Str(state.size()))) {
    return InvalidArgumentError("the saved duration model does not read back");
  }
  ResourceProfiles resources;
  if (!resources.Restore(in.Str(state.size()))) {
    return InvalidArgumentError("the saved resource profiles do not read back");
  }
  std::unordered_map<std::string, StatisticsByClass> statistics;
  std::vector<const std::pair<const std::string, StatisticsByClass>*> statistics_order;
  const size_t cells = in.Count(100'000'000, 24);
  for (size_t i = 0; i < cells && in.ok(); ++i) {
    auto [stats, added] = statistics.try_emplace(in.Str(256));
    if (added) statistics_order.push_back(&*stats);
    auto [cell, new_cell] = stats->second.try_emplace(in.Str(256));
    if (!new_cell || !cell->second.Restore(in.Str(state.size()))) in.Fail();  // a cell twice
  }
  if (!in.ok()) return InvalidArgumentError("the saved run statistics do not read back");
  NodeSlowness node_slowness;
  if (version >= 3 && !node_slowness.Restore(in.Str(state.size()))) {
    return InvalidArgumentError("the saved node slowness does not read back");
  }
  if (!in.AtEnd()) return InvalidArgumentError("the saved learned-policy state has trailing bytes");
  model_ = std::move(model);
  resources_ = std::move(resources);
  statistics_ = std::move(statistics);
  statistics_order_ = std::move(statistics_order);
  generation_ = NewGeneration();
  node_slowness_ = std::move(node_slowness);
  cache_.clear();  // rebuilt lazily from the restored model
  class_shifts_seen_ = model_.class_shifts();
  return OkStatus();
}

}  // namespace tailor::models
