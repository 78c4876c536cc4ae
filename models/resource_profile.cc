#include "models/resource_profile.h"

#include <algorithm>
#include <cmath>
#include <sstream>


namespace tailor::models {

void ResourceProfiles::Observe(const RunObservation& run, double llc_miss_ratio) {
  Profile& p = profiles_[run.function];
  ++p.runs;
  p.ooms *= 0.9;
  if (run.oom_killed) {
    p.ooms += 1;
  } else if (run.peak_memory_bytes > 0) {
    p.peaks.Add(static_cast<double>(run.peak_memory_bytes));
  }
  p.p95_peak = p.peaks.weight() > 0 ? p.peaks.Quantile(0.95) : 0;  // off the decision path
  if (run.wall_ms > 0 && run.succeeded) {
    p.cpu_ratio_weight = 0.95 * p.cpu_ratio_weight + 1;
    p.cpu_ratio += (run.cpu_ms / run.wall_ms - p.cpu_ratio) / p.cpu_ratio_weight;
  }
  if (llc_miss_ratio >= 0) {
    p.llc_miss = p.llc_miss < 0 ? llc_miss_ratio : 0.9 * p.llc_miss + 0.1 * llc_miss_ratio;
  }
}

Allocation ResourceProfiles::Advise(const FunctionInfo& function) const {
  Allocation a = StaticAllocation(function);
  auto it = profiles_.find(function.name);
  if (it == profiles_.end()) return a;
  const Profile& p = it->second;
  constexpr double kMiB = 1 << 20;
  if (p.p95_peak > 0) {
    double memory = p.p95_peak * 1.25;
    memory = std::max(16 * kMiB, std::ceil(memory / kMiB) * kMiB);
    a.memory_limit_bytes = static_cast<uint64_t>(memory);
  }
  if (p.ooms > 0.5) {
    // Each recent OOM kill doubles the limit, from the larger of the advice and the hint.
    const double factor = std::exp2(std::min(4.0, std::round(p.ooms)));
    a.memory_limit_bytes = static_cast<uint64_t>(
        std::max<double>(a.memory_limit_bytes, function.memory_hint_bytes) * factor);
  }
  if (p.cpu_ratio_weight > 0) {
    a.cpu_millicores =
        static_cast<uint32_t>(std::max(100.0, std::ceil(p.cpu_ratio * 10.0) * 100.0));
  }
  return a;
}

uint32_t ResourceProfiles::AdviseCacheWays(const std::string& function,
                                           uint32_t ways_total) const {
  auto it = profiles_.find(function);
  if (ways_total == 0 || it == profiles_.end() || it->second.llc_miss <= 0.3) return 0;
  return std::min<uint32_t>(2, ways_total / 2);
}

std::string ResourceProfiles::Save() const {
  std::ostringstream out;
  out.precision(17);
  for (const auto& [name, p] : profiles_) {
    out << name << ' ' << p.runs << ' ' << p.p95_peak << ' ' << p.cpu_ratio << ' '
        << p.cpu_ratio_weight << ' ' << p.ooms << ' ' << p.llc_miss << " | " << p.peaks.Save()
        << '\n';
  }
  return out.str();
}

bool ResourceProfiles::Restore(const std::string& text) {
  std::istringstream in(text);
  std::unordered_map<std::string, Profile> restored;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const size_t bar = line.find(" | ");
    if (bar == std::string::npos) return false;
    std::istringstream head(line.substr(0, bar));
    std::string name;
    Profile p;
    if (!(head >> name >> p.runs >> p.p95_peak >> p.cpu_ratio >> p.cpu_ratio_weight >> p.ooms >>
          p.llc_miss)) {
      return false;
    }
    if (!p.peaks.Restore(line.substr(bar + 3))) return false;
    restored[name] = std::move(p);
  }
  profiles_ = std::move(restored);
  return true;
}

}  // namespace tailor::models
