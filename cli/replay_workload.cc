#include "cli/replay_workload.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "common/file_util.h"

namespace tailor::cli {

Result<std::vector<WorkloadFunction>> ParseWorkload(std::string_view toml_text) {
  toml::table t;
  try {
    t = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError(std::string("workload is not valid TOML: ") +
                                std::string(e.description()) + " at line " +
                                std::to_string(e.source().begin.line));
  }
  const toml::array* functions = t["function"].as_array();
  if (functions == nullptr || functions->empty()) {
    return InvalidArgumentError("workload: no [[function]] tables");
  }
  std::vector<WorkloadFunction> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < functions->size(); ++i) {
    const toml::table* f = functions->get(i)->as_table();
    const std::string where = "workload: function " + std::to_string(i + 1);
    if (f == nullptr) return InvalidArgumentError(where + " is not a table");
    WorkloadFunction w;
    auto name = (*f)["name"].value<std::string>();
    if (!name || name->empty()) return InvalidArgumentError(where + ": 'name' is required");
    w.name = *name;
    if (!seen.insert(w.name).second) {
      return InvalidArgumentError(where + ": '" + w.name + "' is listed twice");
    }
    if (auto payload = (*f)["payload"]; payload) {
      auto text = payload.value<std::string>();
      if (!text) return InvalidArgumentError(where + ": 'payload' must be a string");
      w.payload = *text;
    }
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::vector<WorkloadFunction>> LoadWorkload(const std::string& path) {
  TAILOR_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  auto parsed = ParseWorkload(text);
  if (!parsed.ok()) {
    return Status(parsed.status().code(), path + ": " + std::string(parsed.status().message()));
  }
  return parsed;
}

namespace {

// Per-minute counts of a function over the window, from the 2019 counts or by bucketing the
// 2021 trace's exact arrivals.
std::vector<std::vector<uint32_t>> CountsPerMinute(const Trace& trace, uint32_t minutes) {
  std::vector<std::vector<uint32_t>> counts(trace.functions.size(),
                                            std::vector<uint32_t>(minutes, 0));
  for (size_t f = 0; f < trace.functions.size(); ++f) {
    const auto& pm = trace.functions[f].per_minute;
    for (uint32_t m = 0; m < minutes && m < pm.size(); ++m) counts[f][m] = pm[m];
  }
  for (const auto& a : trace.exact_arrivals) {
    const auto m = static_cast<uint64_t>(a.time_ms / 60000.0);
    if (m < minutes) ++counts[a.function][m];
  }
  return counts;
}

}  // namespace

Result<Schedule> BuildSchedule(const Trace& trace, const std::vector<WorkloadFunction>& workload,
                               const ScheduleOptions& options) {
  if (workload.empty()) return InvalidArgumentError("the workload has no functions");
  if (options.trace_minutes == 0) return InvalidArgumentError("trace minutes must be at least 1");
  if (!(options.duration_ms > 0)) return InvalidArgumentError("the duration must be positive");
  if (options.invocations < workload.size()) {
    return InvalidArgumentError("at least one invocation per workload function is needed (" +
                                std::to_string(workload.size()) + ")");
  }
  if (!(options.skew >= 0 && options.skew <= 1)) {
    return InvalidArgumentError("skew must be between 0 and 1");
  }
  const uint32_t minutes = options.trace_minutes;
  const auto counts = CountsPerMinute(trace, minutes);

  std::vector<std::pair<uint64_t, uint32_t>> ranked;  // (calls in the window, function)
  for (uint32_t f = 0; f < counts.size(); ++f) {
    const uint64_t total = std::accumulate(counts[f].begin(), counts[f].end(), uint64_t{0});
    if (total > 0) ranked.emplace_back(total, f);
  }
  if (ranked.size() < workload.size()) {
    return InvalidArgumentError("the trace has " + std::to_string(ranked.size()) +
                                " functions active in its first " + std::to_string(minutes) +
                                " minutes; the workload needs " + std::to_string(workload.size()));
  }
  std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return trace.functions[a.second].name < trace.functions[b.second].name;
  });

  Schedule schedule;
  double weight_sum = 0;
  std::vector<double> weight(workload.size());
  for (size_t i = 0; i < workload.size(); ++i) {
    weight[i] = std::pow(double(ranked[i].first), options.skew);
    weight_sum += weight[i];
    schedule.trace_function.push_back(trace.functions[ranked[i].second].name);
    schedule.trace_calls.push_back(ranked[i].first);
  }

  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double minute_ms = options.duration_ms / minutes;
  for (uint32_t i = 0; i < workload.size(); ++i) {
    const double target = options.invocations * weight[i] / weight_sum;
    const auto& per_minute = counts[ranked[i].second];
    const double per_trace_call = target / double(ranked[i].first);
    for (uint32_t m = 0; m < minutes; ++m) {
      const double expected = per_minute[m] * per_trace_call;
      auto n = static_cast<uint64_t>(expected);
      if (unit(rng) < expected - double(n)) ++n;
      for (uint64_t k = 0; k < n; ++k) {
        schedule.calls.push_back({(m + unit(rng)) * minute_ms, i});
      }
    }
  }
  std::sort(schedule.calls.begin(), schedule.calls.end(),
            [](const ScheduledCall& a, const ScheduledCall& b) {
              return a.at_ms < b.at_ms || (a.at_ms == b.at_ms && a.function < b.function);
            });
  return schedule;
}

}  // namespace tailor::cli
