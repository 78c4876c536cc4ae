#include "bench/simulator/baseline_policies.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <unordered_map>

#include "bench/simulator/function_truth.h"
#include "models/cluster_index.h"
#include "models/eligibility.h"
#include "models/resource_profile.h"

namespace tailor::sim {
namespace {

using models::Allocation;
using models::CandidateScore;
using models::ClusterIndex;
using models::NodeView;
using models::PlacementDecision;
using models::PlacementRequest;
using models::WalkOrder;

constexpr std::string_view kStaticSuffix = "+static";

bool Fits(const PlacementRequest& request, const ClusterIndex& cluster, const NodeView& node,
          const Allocation& allocation) {
  return models::IneligibilityOf(request, cluster, node, allocation).empty();
}

Result<PlacementDecision> Chosen(const NodeView& node, const Allocation& allocation) {
  PlacementDecision d;
  d.node_id = node.node_id;
  d.allocation = allocation;
  return d;
}

double CpuShare(const NodeView& node) {
  return models::AllocatedCpuShare(node.allocated, node.capacity);
}

// A baseline: its placement rule, on an allocation from Tailor's allocator (or static).
class Baseline : public models::PlacementPolicy {
 public:
  Baseline(std::string name, bool static_allocation)
      : name_(std::move(name)), static_allocation_(static_allocation) {}
  std::string_view name() const override { return name_; }
  void Observe(const models::RunObservation& run) override {
    if (!static_allocation_) profiles_.Observe(run, run.llc_miss_ratio);
  }
  Allocation AdviseAllocation(const models::FunctionInfo& function,
                              const ClusterIndex& cluster) const override {
    if (static_allocation_) return models::StaticAllocation(function);
    return profiles_.Advise(function, models::AllocationCeiling(function, cluster));
  }
  Result<PlacementDecision> Decide(const PlacementRequest& request,
                                   const ClusterIndex& cluster) final {
    return Place(request, cluster, AdviseAllocation(request.function, cluster));
  }

 protected:
  virtual Result<PlacementDecision> Place(const PlacementRequest& request,
                                          const ClusterIndex& cluster, const Allocation& a) = 0;
  // Why nothing fits, typed as eligibility.h types it (waiting helps, or never will).
  static Status NoRoom(const PlacementRequest& request, const ClusterIndex& cluster,
                       const Allocation& a) {
    auto any = models::ChooseByClass(request, cluster, a, WalkOrder::kLeastLoadedFirst,
                                     [](uint32_t, const NodeView&, CandidateScore&) {});
    return any.ok() ? InternalError("a node fits that the baseline's walk missed") : any.status();
  }

 private:
  std::string name_;
  bool static_allocation_;
  models::ResourceProfiles profiles_;
};

class RandomPolicy final : public Baseline {
 public:
  RandomPolicy(std::string name, bool static_allocation, uint64_t seed)
      : Baseline(std::move(name), static_allocation), rng_(seed) {}

 private:
  Result<PlacementDecision> Place(const PlacementRequest& request, const ClusterIndex& cluster,
                                  const Allocation& a) override {
    const auto n = static_cast<uint32_t>(cluster.size());
    if (n == 0) return NoRoom(request, cluster, a);
    std::uniform_int_distribution<uint32_t> pick(0, n - 1);
    // Sampling finds a node with room quickly unless nearly all are full; then a scan from a
    // random start keeps the choice uniform enough and the answer exact.
    for (int i = 0; i < 32; ++i) {
      const NodeView& node = cluster.node(pick(rng_));
      if (Fits(request, cluster, node, a)) return Chosen(node, a);
    }
    const uint32_t start = pick(rng_);
    for (uint32_t i = 0; i < n; ++i) {
      const NodeView& node = cluster.node((start + i) % n);
      if (Fits(request, cluster, node, a)) return Chosen(node, a);
    }
    return NoRoom(request, cluster, a);
  }

  std::mt19937_64 rng_;
};

class RoundRobinPolicy final : public Baseline {
 public:
  using Baseline::Baseline;

 private:
  Result<PlacementDecision> Place(const PlacementRequest& request, const ClusterIndex& cluster,
                                  const Allocation& a) override {
    const auto n = static_cast<uint32_t>(cluster.slot_count());
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t slot = (next_slot_ + i) % n;
      if (!cluster.live(slot) || !Fits(request, cluster, cluster.node(slot), a)) continue;
      next_slot_ = (slot + 1) % n;
      return Chosen(cluster.node(slot), a);
    }
    return NoRoom(request, cluster, a);
  }

  uint32_t next_slot_ = 0;
};

class OpenWhiskPolicy final : public Baseline {
 public:
  using Baseline::Baseline;

 private:
  Result<PlacementDecision> Place(const PlacementRequest& request, const ClusterIndex& cluster,
                                  const Allocation& a) override {
    const auto n = static_cast<uint32_t>(cluster.size());
    if (n == 0) return NoRoom(request, cluster, a);
    if (n != steps_for_) {
      // OpenWhisk's step sizes: the numbers up to n that are coprime to it.
      step_sizes_.clear();
      for (uint32_t k = 1; k <= n; ++k) {
        if (std::gcd(k, n) == 1) step_sizes_.push_back(k);
      }
      steps_for_ = n;
    }
    const uint64_t hash = std::hash<std::string>{}(request.function.name);
    const uint32_t home = static_cast<uint32_t>(hash % n);
    const uint32_t step = step_sizes_[(hash / n) % step_sizes_.size()];
    for (uint32_t i = 0; i < n; ++i) {
      const NodeView& node = cluster.node(static_cast<uint32_t>((home + uint64_t(i) * step) % n));
      if (Fits(request, cluster, node, a)) return Chosen(node, a);
    }
    return NoRoom(request, cluster, a);
  }

  uint32_t steps_for_ = 0;
  std::vector<uint32_t> step_sizes_;
};

class LeastLoadedPolicy final : public Baseline {
 public:
  using Baseline::Baseline;

 private:
  Result<PlacementDecision> Place(const PlacementRequest& request, const ClusterIndex& cluster,
                                  const Allocation& a) override {
    return models::ChooseByClass(request, cluster, a, WalkOrder::kLeastLoadedFirst,
                                 [](uint32_t, const NodeView& node, CandidateScore& c) {
                                   c.score = CpuShare(node) + 1e-3 * node.running_invocations;
                                   c.terms = {{"allocated_cpu_share", CpuShare(node)}};
                                 });
  }
};

// Kubernetes' MostAllocated: the mean over CPU and memory of (allocated + request) / capacity,
// highest first.
class MostAllocatedPolicy final : public Baseline {
 public:
  using Baseline::Baseline;

 private:
  Result<PlacementDecision> Place(const PlacementRequest& request, const ClusterIndex& cluster,
                                  const Allocation& a) override {
    return models::ChooseByClass(
        request, cluster, a, WalkOrder::kMostLoadedFirst,
        [&](uint32_t, const NodeView& node, CandidateScore& c) {
          const double cpu = double(node.allocated.cpu_millicores + a.cpu_millicores) /
                             std::max(1u, node.capacity.cpu_millicores);
          const double memory = double(node.allocated.memory_bytes + a.memory_limit_bytes) /
                                double(std::max<uint64_t>(1, node.capacity.memory_bytes));
          c.score = -(cpu + memory) / 2;
          c.terms = {{"allocated_after", -c.score}};
        });
  }
};

// Ranks classes by the speed the operator knows (0 = fastest).
class SpeedRanks {
 public:
  explicit SpeedRanks(const ClusterSpec& spec) {
    std::vector<std::pair<double, std::string>> by_speed;
    for (const auto& c : spec.classes) by_speed.emplace_back(-c.info.speed_factor, c.info.name);
    std::sort(by_speed.begin(), by_speed.end());
    for (size_t i = 0; i < by_speed.size(); ++i) rank_[by_speed[i].second] = double(i);
  }
  double Of(const std::string& host_class) const {
    auto it = rank_.find(host_class);
    return it == rank_.end() ? double(rank_.size()) : it->second;
  }

 private:
  std::unordered_map<std::string, double> rank_;
};

class FastestFirstPolicy final : public Baseline {
 public:
  FastestFirstPolicy(std::string name, bool static_allocation, const ClusterSpec& spec, bool pack)
      : Baseline(std::move(name), static_allocation), ranks_(spec), pack_(pack) {}

 private:
  Result<PlacementDecision> Place(const PlacementRequest& request, const ClusterIndex& cluster,
                                  const Allocation& a) override {
    const auto& classes = cluster.classes();
    return models::ChooseByClass(
        request, cluster, a, pack_ ? WalkOrder::kMostLoadedFirst : WalkOrder::kLeastLoadedFirst,
        [&](uint32_t ci, const NodeView& node, CandidateScore& c) {
          const double rank = ranks_.Of(classes[ci].info.name);
          c.score = rank;
          c.terms = {{"speed_rank", rank}, {"allocated_cpu_share", CpuShare(node)}};
        });
  }

  SpeedRanks ranks_;
  bool pack_;
};

class StaticRulesPolicy final : public Baseline {
 public:
  using Baseline::Baseline;

 private:
  // The rule an operator wrote for the function's manifest hints (those the simulator writes
  // for each kind); none for a function without hints, which is then only spread.
  static FunctionKind RuleFor(const std::vector<std::string>& hints) {
    auto hinted = [&](std::string_view h) {
      return std::find(hints.begin(), hints.end(), h) != hints.end();
    };
    if (hinted("aes")) return FunctionKind::kCrypto;
    if (hinted("sha_ni")) return FunctionKind::kHashing;
    if (hinted("avx512f") || hinted("avx2")) return FunctionKind::kVector;
    if (hinted(models::kLargeL3Hint)) return FunctionKind::kCache;
    if (hinted(models::kMemoryBandwidthHint)) return FunctionKind::kMemory;
    return FunctionKind::kIo;
  }

  Result<PlacementDecision> Place(const PlacementRequest& request, const ClusterIndex& cluster,
                                  const Allocation& a) override {
    const FunctionKind kind = RuleFor(request.function.preferred_features);
    auto any_class_has = [&](const std::string& feature) {
      for (const auto& c : cluster.classes()) {
        if (std::binary_search(c.info.features.begin(), c.info.features.end(), feature))
          return true;
      }
      return false;
    };
    PlacementRequest constrained = request;
    if (kind == FunctionKind::kCrypto && any_class_has("aes")) {
      constrained.required_features.push_back("aes");
    } else if (kind == FunctionKind::kHashing && any_class_has("sha_ni")) {
      constrained.required_features.push_back("sha_ni");
    }
    const auto& classes = cluster.classes();
    return models::ChooseByClass(
        constrained, cluster, a, WalkOrder::kLeastLoadedFirst,
        [&](uint32_t ci, const NodeView& node, CandidateScore& c) {
          const auto& info = classes[ci].info;
          auto has = [&](const char* f) {
            return std::binary_search(info.features.begin(), info.features.end(), f);
          };
          double rank = 0;  // 0 = the rule's first preference
          if (kind == FunctionKind::kVector) rank = has("avx512f") ? 0 : has("avx2") ? 1 : 2;
          if (kind == FunctionKind::kCache) rank = info.l3_bytes >= (32ull << 20) ? 0 : 1;
          if (kind == FunctionKind::kMemory) rank = CpuShare(node) > 0.7 ? 1 : 0;
          c.terms = {{"rule_rank", rank}, {"allocated_cpu_share", CpuShare(node)}};
          c.score = 10 * rank + CpuShare(node);
        });
  }
};

}  // namespace

std::vector<std::string> BaselineNames() {
  return {"random",         "round-robin",  "openwhisk",     "least-loaded",
          "most-allocated", "static-rules", "fastest-first", "first-fit-fastest"};
}

bool IsBaseline(std::string_view name) {
  if (name.ends_with(kStaticSuffix)) name.remove_suffix(kStaticSuffix.size());
  const auto names = BaselineNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

Result<std::unique_ptr<models::PlacementPolicy>> MakeBaseline(std::string_view name,
                                                              const ClusterSpec& cluster,
                                                              uint64_t seed) {
  std::string full(name);
  const bool fixed = name.ends_with(kStaticSuffix);
  if (fixed) name.remove_suffix(kStaticSuffix.size());
  std::unique_ptr<models::PlacementPolicy> p;
  if (name == "random") p = std::make_unique<RandomPolicy>(full, fixed, seed);
  if (name == "round-robin") p = std::make_unique<RoundRobinPolicy>(full, fixed);
  if (name == "openwhisk") p = std::make_unique<OpenWhiskPolicy>(full, fixed);
  if (name == "least-loaded") p = std::make_unique<LeastLoadedPolicy>(full, fixed);
  if (name == "most-allocated") p = std::make_unique<MostAllocatedPolicy>(full, fixed);
  if (name == "static-rules") p = std::make_unique<StaticRulesPolicy>(full, fixed);
  if (name == "fastest-first") {
    p = std::make_unique<FastestFirstPolicy>(full, fixed, cluster, /*pack=*/false);
  }
  if (name == "first-fit-fastest") {
    p = std::make_unique<FastestFirstPolicy>(full, fixed, cluster, /*pack=*/true);
  }
  if (p == nullptr) return InvalidArgumentError("unknown baseline '" + full + "'");
  return p;
}

}  // namespace tailor::sim
