#include "models/learned_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/eligibility.h"

namespace tailor::models {
namespace {

// Before a function has any run: a guess of 100 ms, very uncertain.
constexpr double kUnknownMeanLog = 4.6;
constexpr double kUnknownVarLog = 4.0;

}  // namespace

LearnedPolicy::LearnedPolicy(Objective objective, LearnedPolicyOptions options)
    : objective_(objective), options_(options), model_(options.model), rng_(options.seed) {}

std::string_view LearnedPolicy::name() const {
  switch (objective_) {
    case Objective::kPerformance: return "performance";
    case Objective::kEfficiency: return "efficiency";
    case Objective::kBalanced: return "balanced";
  }
  return "";
}

void LearnedPolicy::Observe(const RunObservation& run) {
  resources_.Observe(run);
  if (!run.succeeded || run.wall_ms <= 0) return;
  const std::vector<double>* features = &run.class_features;
  if (features->empty()) {
    auto it = class_features_.find(run.host_class);
    if (it == class_features_.end()) return;  // a class this policy knows nothing about
    features = &it->second;
  }
  const double load = run.running_at_start;  // in-flight runs besides this one, at its start
  model_.Observe(run.function, run.host_class, *features, static_cast<double>(run.payload_bytes),
                 load, run.wall_ms);
}

Result<PlacementDecision> LearnedPolicy::Decide(const PlacementRequest& request,
                                                const ClusterIndex& cluster) {
  Allocation allocation = resources_.Advise(request.function);
  const auto& classes = cluster.classes();
  // Per class: the posterior of the expected log duration at zero load, and a draw from it.
  struct ClassView {
    double mean = kUnknownMeanLog, var = kUnknownVarLog, draw = kUnknownMeanLog;
  };
  std::vector<ClassView> per_class(classes.size());
  double best_mean = std::numeric_limits<double>::infinity();
  std::normal_distribution<double> standard(0.0, 1.0);
  for (size_t ci = 0; ci < classes.size(); ++ci) {
    const auto& cls = classes[ci];
    class_features_.try_emplace(cls.info.name, cls.feature_vector);
    if (cls.by_load.empty()) continue;
    auto p = model_.Predict(request.function.name, cls.info.name, cls.feature_vector,
                            static_cast<double>(request.payload_bytes), 0.0);
    ClassView& v = per_class[ci];
    if (p.known) {
      v.mean = p.mean_log_ms;
      v.var = p.var_log;
    }
    v.draw = v.mean + options_.exploration * std::sqrt(v.var) * standard(rng_);
    if (ClassIneligibilityReason(request, cls.info).empty()) best_mean = std::min(best_mean, v.mean);
  }
  const double load_sensitivity = model_.LoadSensitivity(request.function.name);
  const double best_ms = std::isfinite(best_mean) ? std::exp(best_mean) : 1.0;
  const double target_ms = request.function.latency_target_ms > 0
                               ? request.function.latency_target_ms
                               : 1.5 * best_ms;

  auto score = [&](uint32_t ci, const NodeView& node, CandidateScore& c) {
    const ClassView& v = per_class[ci];
    const double cores = std::max(1u, classes[ci].info.cores);
    const double in_flight = node.running_invocations + node.queued_invocations;
    const double load_term = load_sensitivity * in_flight;
    const double run_ms = std::exp(v.draw + load_term);
    const double queue_ms = std::max(0.0, in_flight + 1 - cores) / cores * run_ms;
    const double share = node.capacity.cpu_millicores > 0
                             ? double(node.allocated.cpu_millicores) / node.capacity.cpu_millicores
                             : 0.0;
    c.terms = {{"predicted_ms", std::exp(v.mean + load_term)},
               {"sampled_ms", run_ms},
               {"uncertainty_log", std::sqrt(v.var)},
               {"queue_ms", queue_ms},
               {"allocated_cpu_share", share}};
    switch (objective_) {
      case Objective::kPerformance:
        c.score = run_ms + queue_ms;
        break;
      case Objective::kBalanced:
        c.score = (run_ms + queue_ms) / best_ms + share;
        break;
      case Objective::kEfficiency: {
        const double p95_ms = std::exp(v.draw + load_term + 1.645 * options_.model.noise_sd_log);
        const bool meets = p95_ms + queue_ms <= target_ms;
        c.terms.emplace_back("meets_target", meets ? 1.0 : 0.0);
        // Meeting the target first; then the fullest node; else the fastest.
        c.score = meets ? -share : 1e6 + run_ms + queue_ms;
        break;
      }
    }
  };
  auto decided = ChooseByClass(request, cluster, allocation,
                               objective_ == Objective::kEfficiency ? WalkOrder::kMostLoadedFirst
                                                                    : WalkOrder::kLeastLoadedFirst,
                               score);
  if (!decided.ok()) return decided;
  const NodeView* chosen = cluster.Find(decided->node_id);
  for (size_t ci = 0; ci < classes.size(); ++ci) {
    if (classes[ci].info.name != chosen->host_class) continue;
    const ClassView& v = per_class[ci];
    decided->predicted_duration_ms =
        model_.Predict(request.function.name, chosen->host_class, classes[ci].feature_vector,
                       static_cast<double>(request.payload_bytes), 0.0)
                .known
            ? std::exp(v.mean + load_sensitivity * (chosen->running_invocations +
                                                    chosen->queued_invocations))
            : 0.0;
    decided->explored = v.mean > best_mean + 1e-9;
  }
  decided->allocation.cache_ways =
      resources_.AdviseCacheWays(request.function.name, chosen->cache_ways_total);
  return decided;
}

}  // namespace tailor::models
