#include "bench/simulator/baseline_policies.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/eligibility.h"
#include "models/least_loaded_policy.h"
#include "models/round_robin_policy.h"

namespace tailor::sim {
namespace {

using models::Allocation;
using models::ClusterIndex;
using models::NodeView;
using models::PlacementDecision;
using models::PlacementRequest;

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

Status NoRoom(const PlacementRequest& request) {
  return FailedPreconditionError("no node has room for '" + request.function.name + "'");
}

class RandomPolicy final : public models::PlacementPolicy {
 public:
  explicit RandomPolicy(uint64_t seed) : rng_(seed) {}
  std::string_view name() const override { return "random"; }
  void Observe(const models::RunObservation&) override {}
  Result<PlacementDecision> Decide(const PlacementRequest& request,
                                   const ClusterIndex& cluster) override {
    const auto n = static_cast<uint32_t>(cluster.size());
    if (n == 0) return NoRoom(request);
    const Allocation a = models::StaticAllocation(request.function);
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
    return NoRoom(request);
  }

 private:
  std::mt19937_64 rng_;
};

class OpenWhiskPolicy final : public models::PlacementPolicy {
 public:
  std::string_view name() const override { return "openwhisk"; }
  void Observe(const models::RunObservation&) override {}
  Result<PlacementDecision> Decide(const PlacementRequest& request,
                                   const ClusterIndex& cluster) override {
    const auto n = static_cast<uint32_t>(cluster.size());
    if (n == 0) return NoRoom(request);
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
    const Allocation a = models::StaticAllocation(request.function);
    for (uint32_t i = 0; i < n; ++i) {
      const NodeView& node = cluster.node(static_cast<uint32_t>((home + uint64_t(i) * step) % n));
      if (Fits(request, cluster, node, a)) return Chosen(node, a);
    }
    return NoRoom(request);
  }

 private:
  uint32_t steps_for_ = 0;
  std::vector<uint32_t> step_sizes_;
};

class TruthIndex {
 public:
  explicit TruthIndex(const std::vector<FunctionTruth>& truth) : truth_(truth) {
    for (size_t i = 0; i < truth.size(); ++i) index_[truth[i].name] = i;
  }
  const FunctionTruth* Find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &truth_[it->second];
  }

 private:
  const std::vector<FunctionTruth>& truth_;
  std::unordered_map<std::string, size_t> index_;
};

double CpuShare(const NodeView& node) {
  return models::AllocatedCpuShare(node.allocated, node.capacity);
}

class StaticRulesPolicy final : public models::PlacementPolicy {
 public:
  explicit StaticRulesPolicy(const std::vector<FunctionTruth>& truth) : truth_(truth) {}
  std::string_view name() const override { return "static-rules"; }
  void Observe(const models::RunObservation&) override {}
  Result<PlacementDecision> Decide(const PlacementRequest& request,
                                   const ClusterIndex& cluster) override {
    const FunctionTruth* t = truth_.Find(request.function.name);
    const FunctionKind kind = t != nullptr ? t->kind : FunctionKind::kIo;
    auto any_class_has = [&](const std::string& feature) {
      for (const auto& c : cluster.classes()) {
        if (std::binary_search(c.info.features.begin(), c.info.features.end(), feature)) return true;
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
        constrained, cluster, models::StaticAllocation(request.function),
        models::WalkOrder::kLeastLoadedFirst,
        [&](uint32_t ci, const NodeView& node, models::CandidateScore& c) {
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

 private:
  TruthIndex truth_;
};

class OraclePolicy final : public models::PlacementPolicy {
 public:
  explicit OraclePolicy(const std::vector<FunctionTruth>& truth) : truth_(truth) {}
  std::string_view name() const override { return "oracle"; }
  void Observe(const models::RunObservation&) override {}
  Result<PlacementDecision> Decide(const PlacementRequest& request,
                                   const ClusterIndex& cluster) override {
    const FunctionTruth* t = truth_.Find(request.function.name);
    if (t == nullptr) return NotFoundError("the oracle has no truth for " + request.function.name);
    Allocation a;
    a.memory_limit_bytes = static_cast<uint64_t>(std::ceil(t->MaxMemoryMib())) << 20;
    a.cpu_millicores = t->CpuNeedMillicores();
    const auto& classes = cluster.classes();
    auto decided = models::ChooseByClass(
        request, cluster, a, models::WalkOrder::kLeastLoadedFirst,
        [&](uint32_t ci, const NodeView& node, models::CandidateScore& c) {
          c.score = t->ExpectedMs(classes[ci].info, CpuShare(node), a.cpu_millicores);
          c.terms = {{"true_ms", c.score}};
        });
    if (decided.ok()) decided->predicted_duration_ms = 0;
    return decided;
  }

 private:
  TruthIndex truth_;
};

}  // namespace

std::vector<std::string> BaselineNames() {
  return {"random", "round-robin", "openwhisk", "least-loaded", "static-rules", "oracle"};
}

Result<std::unique_ptr<models::PlacementPolicy>> MakeBaseline(
    std::string_view name, const std::vector<FunctionTruth>& truth, uint64_t seed) {
  std::unique_ptr<models::PlacementPolicy> p;
  if (name == "random") p = std::make_unique<RandomPolicy>(seed);
  if (name == "round-robin") p = std::make_unique<models::RoundRobinPolicy>();
  if (name == "openwhisk") p = std::make_unique<OpenWhiskPolicy>();
  if (name == "least-loaded") p = std::make_unique<models::LeastLoadedPolicy>();
  if (name == "static-rules") p = std::make_unique<StaticRulesPolicy>(truth);
  if (name == "oracle") p = std::make_unique<OraclePolicy>(truth);
  if (p == nullptr) return InvalidArgumentError("unknown baseline '" + std::string(name) + "'");
  return p;
}

}  // namespace tailor::sim
