#include "scheduler/function_profile.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace tailor::scheduler {

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

v1::FunctionProfile ComputeProfile(const std::string& function_name,
                                   const std::vector<RunStore::StoredRun>& runs) {
  struct Acc {
    std::set<std::string> nodes;
    std::vector<double> durations_ms, peaks;
    double cpu_ratio_sum = 0;
    uint64_t cpu_ratio_n = 0, runs = 0, failures = 0, ooms = 0;
    double peak_max = 0;
    const v1::Allocation* newest_allocation = nullptr;
  };
  std::map<std::string, Acc> by_class;
  for (const auto& run : runs) {
    const auto& r = run.report;
    Acc& a = by_class[run.host_class.empty() ? "unknown" : run.host_class];
    a.nodes.insert(r.node_id());
    if (a.newest_allocation == nullptr) a.newest_allocation = &r.allocation();
    ++a.runs;
    if (r.outcome() != v1::RUN_OUTCOME_SUCCEEDED) ++a.failures;
    if (r.oom_killed()) ++a.ooms;
    if (r.outcome() == v1::RUN_OUTCOME_SUCCEEDED) a.durations_ms.push_back(r.wall_time_us() / 1000.0);
    if (r.peak_memory_bytes() > 0) {
      a.peaks.push_back(static_cast<double>(r.peak_memory_bytes()));
      a.peak_max = std::max(a.peak_max, static_cast<double>(r.peak_memory_bytes()));
    }
    if (r.wall_time_us() > 0) {
      a.cpu_ratio_sum += double(r.user_cpu_us() + r.system_cpu_us()) / r.wall_time_us();
      ++a.cpu_ratio_n;
    }
  }
  v1::FunctionProfile p;
  p.set_function_name(function_name);
  p.set_runs(runs.size());
  for (const auto& [cls, a] : by_class) {
    auto* c = p.add_classes();
    c->set_host_class(cls);
    for (const auto& n : a.nodes) c->add_node_ids(n);
    c->set_runs(a.runs);
    c->set_failures(a.failures);
    c->set_duration_p50_ms(Quantile(a.durations_ms, 0.50));
    c->set_duration_p95_ms(Quantile(a.durations_ms, 0.95));
    c->set_duration_p99_ms(Quantile(a.durations_ms, 0.99));
    c->set_cpu_per_wall(a.cpu_ratio_n ? a.cpu_ratio_sum / a.cpu_ratio_n : 0);
    c->set_peak_memory_p95_bytes(static_cast<uint64_t>(Quantile(a.peaks, 0.95)));
    c->set_peak_memory_max_bytes(static_cast<uint64_t>(a.peak_max));
    c->set_oom_kills(a.ooms);
    if (a.newest_allocation != nullptr) *c->mutable_allocation_used() = *a.newest_allocation;
  }
  return p;
}

}  // namespace tailor::scheduler
