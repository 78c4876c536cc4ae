#include "models/class_population.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace tailor::models {

namespace {
// Run-to-run noise alone makes two classes differ this much (variance of a difference of log
// durations); a pair that agrees across every function is still not known better than this.
constexpr double kVarFloor = 0.01;
}  // namespace

void ClassPopulation::Fit(std::span<const Cell> cells, uint32_t classes) {
  classes_ = classes;
  std::vector<double> sum(size_t(classes) * classes, 0.0), sum_sq(sum.size(), 0.0);
  std::vector<uint32_t> count(sum.size(), 0);
  // Group each function's cells together.
  std::vector<Cell> sorted(cells.begin(), cells.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const Cell& a, const Cell& b) { return a.function < b.function; });
  for (size_t begin = 0; begin < sorted.size();) {
    size_t end = begin;
    while (end < sorted.size() && sorted[end].function == sorted[begin].function) ++end;
    if (end - begin >= 2) {
      for (size_t i = begin; i < end; ++i) {
        for (size_t j = begin; j < end; ++j) {
          if (i == j || sorted[i].host_class >= classes || sorted[j].host_class >= classes)
            continue;
          const size_t k = size_t(sorted[i].host_class) * classes + sorted[j].host_class;
          const double d = sorted[j].mean_log - sorted[i].mean_log;
          sum[k] += d;
          sum_sq[k] += d * d;
          ++count[k];
        }
      }
    }
    begin = end;
  }
  pairs_.assign(sum.size(), Difference{});
  for (size_t k = 0; k < sum.size(); ++k) {
    if (count[k] == 0) continue;
    const double n = count[k];
    Difference& d = pairs_[k];
    d.functions = count[k];
    d.mean = sum[k] / n;
    d.var = std::max(0.0, sum_sq[k] / n - d.mean * d.mean) + kVarFloor;
  }
  best_for_most_ = BestOnAverage(sorted, classes);
}

uint32_t ClassPopulation::BestOnAverage(const std::vector<Cell>& cells, uint32_t classes) {
  // cell mean ~ level[function] + offset[class], fitted by alternating means over the functions
  // seen on two classes or more (a function on one class says nothing about classes).
  std::unordered_map<uint32_t, uint32_t> seen_on;
  for (const auto& c : cells) ++seen_on[c.function];
  std::vector<Cell> used;
  for (const auto& c : cells) {
    if (seen_on[c.function] >= 2 && c.host_class < classes) used.push_back(c);
  }
  if (used.empty()) return kNone;
  std::unordered_map<uint32_t, double> level;
  std::vector<double> offset(classes, 0.0), sum(classes), count(classes);
  for (int it = 0; it < 8; ++it) {
    std::unordered_map<uint32_t, std::pair<double, double>> by_function;
    for (const auto& c : used) {
      auto& [s, n] = by_function[c.function];
      s += c.mean_log - offset[c.host_class];
      n += 1;
    }
    for (const auto& [f, sn] : by_function) level[f] = sn.first / sn.second;
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0.0);
    for (const auto& c : used) {
      sum[c.host_class] += c.mean_log - level[c.function];
      count[c.host_class] += 1;
    }
    for (uint32_t k = 0; k < classes; ++k) offset[k] = count[k] > 0 ? sum[k] / count[k] : 0.0;
  }
  uint32_t best = kNone;
  for (uint32_t k = 0; k < classes; ++k) {
    if (count[k] < kMinFunctions) continue;
    if (best == kNone || offset[k] < offset[best]) best = k;
  }
  return best;
}

const ClassPopulation::Difference* ClassPopulation::Between(uint32_t from, uint32_t to) const {
  if (from >= classes_ || to >= classes_) return nullptr;
  const Difference& d = pairs_[size_t(from) * classes_ + to];
  return d.functions >= kMinFunctions ? &d : nullptr;
}

}  // namespace tailor::models
