#include "models/resource_profile.h"

#include <algorithm>
#include <cmath>

namespace tailor::models {

namespace {

constexpr double kHeadroom = 1.25;
constexpr double kMiB = 1 << 20;
// A run this close to its limit without an OOM kill fitted in it, whatever it measured.
constexpr double kNearLimit = 0.95;
constexpr double kThrottledShare = 0.2;
constexpr double kThrottledGrowth = 2.0;
constexpr double kMaxCores = 65'536;

// Whether a run that was not OOM-killed filled its limit (its peak says nothing more).
bool FilledItsLimit(const RunObservation& run) {
  const double limit = static_cast<double>(run.memory_limit_bytes);
  return limit > 0 && static_cast<double>(run.peak_memory_bytes) >= kNearLimit * limit;
}

// Whether the run wanted more CPU than its quota (the quota ran out in enough of its periods).
bool Throttled(const RunObservation& run) {
  return run.cpu_quota_millicores > 0 && run.cpu_throttled_fraction >= kThrottledShare;
}

// The CPU demand a successful run shows, in cores.
double CpuDemand(const RunObservation& run) {
  double demand = std::clamp(run.cpu_ms / run.wall_ms, 0.0, kMaxCores);
  const double quota = run.cpu_quota_millicores / 1000.0;
  if (Throttled(run)) {
    demand = std::max(demand, quota) * kThrottledGrowth;
  } else if (run.cpu_waiting_ms > 0 && quota > 0) {
    // A run that waited for CPUs held by others used them over less than its wall time: its
    // CPU over the time it was not kept waiting, never more than its quota let it use (its
    // wait was not its quota's: it was not throttled).
    const double ran_ms = run.wall_ms - std::min(run.cpu_waiting_ms, run.wall_ms);
    const double unstarved = ran_ms > 0 ? run.cpu_ms / ran_ms : quota;
    demand = std::max(demand, std::min(unstarved, quota));
  }
  return demand;
}

}  // namespace

void ResourceProfiles::Observe(const RunObservation& run, double llc_miss_ratio) {
  auto [it, added] = profiles_.try_emplace(run.function);
  if (added) order_.push_back(&*it);
  Profile& p = it->second;
  ++p.runs;
  p.ooms *= 0.9;
  p.saturated_weight *= 0.9;
  if (run.oom_killed) {
    p.ooms += 1;
  } else if (FilledItsLimit(run)) {
    p.saturated_limit = static_cast<double>(run.memory_limit_bytes);
    p.saturated_weight += 1;
  } else if (run.peak_memory_bytes > 0) {
    p.peaks.Add(static_cast<double>(run.peak_memory_bytes));
  }
  p.p95_peak = p.peaks.weight() > 0 ? p.peaks.Quantile(0.95) : 0;  // off the decision path
  // CPU time 0 is a report that did not measure it (a platform's), not a run that needed none.
  if (run.wall_ms > 0 && run.succeeded && std::isfinite(run.cpu_ms) && run.cpu_ms > 0 &&
      !BelowAdvice(run, p)) {
    p.cpu_ratio_weight = 0.95 * p.cpu_ratio_weight + 1;
    const double demand = CpuDemand(run);
    p.cpu_ratio += (demand - p.cpu_ratio) / p.cpu_ratio_weight;
    // A throttled run's demand is a floor, not a sample: averaged with the smaller demands of
    // earlier runs it would grow the quota by less than kThrottledGrowth, and a function that
    // needs four cores would run throttled (and up to 4x slower) for many more calls.
    if (Throttled(run)) p.cpu_ratio = std::max(p.cpu_ratio, demand);
  }
  if (llc_miss_ratio >= 0) {
    p.llc_miss = p.llc_miss < 0 ? llc_miss_ratio : 0.9 * p.llc_miss + 0.1 * llc_miss_ratio;
  }
}

double ResourceProfiles::AdvisedCpuMillicores(const Profile& p) {
  return p.cpu_ratio_weight > 0 ? std::max(100.0, std::ceil(p.cpu_ratio * 10.0) * 100.0)
                                : kDefaultCpuMillicores;
}

bool ResourceProfiles::BelowAdvice(const RunObservation& run, const Profile& p) {
  return Throttled(run) && run.cpu_quota_millicores < AdvisedCpuMillicores(p);
}

bool ResourceProfiles::RanBelowAdvice(const RunObservation& run) const {
  auto it = profiles_.find(run.function);
  return it != profiles_.end() && BelowAdvice(run, it->second);
}

Allocation ResourceProfiles::Advise(const FunctionInfo& function, const Resources& ceiling) const {
  Allocation a = StaticAllocation(function);
  double memory = static_cast<double>(a.memory_limit_bytes);
  double cpu = a.cpu_millicores;
  if (auto it = profiles_.find(function.name); it != profiles_.end()) {
    const Profile& p = it->second;
    if (p.p95_peak > 0) {
      memory = std::max(16 * kMiB, std::ceil(p.p95_peak * kHeadroom / kMiB) * kMiB);
    }
    if (p.saturated_weight > 0.5) {
      // Recent runs filled this limit without an OOM kill: it fits; hold it.
      memory = p.p95_peak > 0 ? std::max(memory, p.saturated_limit) : p.saturated_limit;
    }
    if (p.ooms > 0.5) {
      // Each recent OOM kill doubles the limit, from the larger of the advice and the hint;
      // the ceiling below is where it stops.
      memory = std::max<double>(memory, function.memory_hint_bytes) *
               std::exp2(std::min(40.0, std::round(p.ooms)));
    }
    cpu = AdvisedCpuMillicores(p);
  }
  double max_memory = 1e18;
  if (ceiling.memory_bytes > 0) max_memory = static_cast<double>(ceiling.memory_bytes);
  if (function.max_memory_bytes > 0) {
    max_memory = std::min(max_memory, static_cast<double>(function.max_memory_bytes));
  }
  a.memory_limit_bytes = static_cast<uint64_t>(std::min(memory, max_memory));
  const double max_cpu = ceiling.cpu_millicores > 0 ? ceiling.cpu_millicores : kMaxCores * 1000;
  a.cpu_millicores = static_cast<uint32_t>(std::min(cpu, max_cpu));
  return a;
}

uint32_t ResourceProfiles::AdviseCacheWays(const std::string& function, uint32_t ways_total) const {
  auto it = profiles_.find(function);
  if (ways_total == 0 || it == profiles_.end() || it->second.llc_miss <= 0.3) return 0;
  return std::min<uint32_t>(2, ways_total / 2);
}

void ResourceProfiles::WriteProfile(const std::string& name, const Profile& p, ByteWriter& out) {
  out.Str(name);
  out.U64(p.runs);
  for (double v : {p.p95_peak, p.cpu_ratio, p.cpu_ratio_weight, p.ooms, p.llc_miss,
                   p.saturated_limit, p.saturated_weight}) {
    out.F64(v);
  }
  p.peaks.Write(out);
}

ResourceProfiles::PartedSave ResourceProfiles::StartSave() const {
  PartedSave save;
  save.generation_ = generation_;
  return save;
}

bool ResourceProfiles::PartedSave::Current(const ResourceProfiles& profiles) const {
  return profiles.generation_ == generation_;
}

bool ResourceProfiles::PartedSave::WriteSome(const ResourceProfiles& profiles,
                                             size_t max_functions) {
  if (!Current(profiles)) *this = profiles.StartSave();  // restored since: start again
  const size_t end = next_ + std::min(max_functions, profiles.order_.size() - next_);
  ByteWriter part;
  for (; next_ < end; ++next_) {
    const auto& [name, p] = *profiles.order_[next_];
    WriteProfile(name, p, part);
  }
  records_.Add(std::move(part));
  return next_ == profiles.order_.size();
}

void ResourceProfiles::PartedSave::AppendTo(ByteWriter& out) const {
  out.U64(next_);
  records_.AppendTo(out);
}

std::string ResourceProfiles::PartedSave::Take() const {
  ByteWriter out;
  out.Reserve(size());
  AppendTo(out);
  return out.Take();
}

std::string ResourceProfiles::Save() const {
  PartedSave save = StartSave();
  save.WriteSome(*this, SIZE_MAX);
  return save.Take();
}

bool ResourceProfiles::Restore(std::string_view bytes) {
  ByteReader in(bytes);
  std::unordered_map<std::string, Profile> restored;
  std::vector<const std::pair<const std::string, Profile>*> order;
  const size_t n = in.Count(10'000'000, 8 + 8 + 7 * 8);
  for (size_t i = 0; i < n && in.ok(); ++i) {
    std::string name = in.Str(256);
    Profile p;
    p.runs = in.U64();
    for (double* v : {&p.p95_peak, &p.cpu_ratio, &p.cpu_ratio_weight, &p.ooms, &p.llc_miss,
                      &p.saturated_limit, &p.saturated_weight}) {
      *v = in.F64();
      if (!std::isfinite(*v)) in.Fail();
    }
    if (p.p95_peak < 0 || p.cpu_ratio < 0 || p.cpu_ratio_weight < 0 || p.ooms < 0 ||
        p.llc_miss < -1 || p.saturated_limit < 0 || p.saturated_weight < 0) {
      in.Fail();
    }
    if (!p.peaks.Read(in)) break;
    auto [it, added] = restored.try_emplace(std::move(name), std::move(p));
    if (!added) return false;  // a function twice
    order.push_back(&*it);
  }
  if (!in.AtEnd()) return false;
  profiles_ = std::move(restored);
  order_ = std::move(order);
  generation_ = NewGeneration();
  return true;
}

}  // namespace tailor::models
