#include "models/class_shift.h"

#include <algorithm>
#include <cmath>

namespace tailor::models {

namespace {

// The median of `v` (reordered in place); v is not empty.
double MedianOf(std::vector<double>& v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  const double upper = *mid;
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), mid);
  return (lower + upper) / 2;
}

}  // namespace

std::optional<double> ClassShift::Agreed(const std::vector<Estimate>& estimates) {
  if (estimates.size() < kMinFunctions) return std::nullopt;
  std::vector<double> changes, variances;
  for (const Estimate& e : estimates) {
    if (!std::isfinite(e.change_log) || !(e.var_log >= 0)) return std::nullopt;
    changes.push_back(e.change_log);
    variances.push_back(e.var_log);
  }
  const double median = MedianOf(changes);
  std::vector<double> deviations(changes.size());
  std::transform(changes.begin(), changes.end(), deviations.begin(),
                 [median](double c) { return std::abs(c - median); });
  // 1.4826 x MAD estimates a normal spread; the median of n draws varies about 1.2533 times as
  // much as their mean.
  const double sd = std::max(1.4826 * MedianOf(deviations), std::sqrt(MedianOf(variances)));
  const double standard_error = 1.2533 * sd / std::sqrt(static_cast<double>(changes.size()));
  if (std::abs(median) < kMinShiftLog || std::abs(median) < kStandardErrors * standard_error) {
    return std::nullopt;
  }
  return std::clamp(median, -kMaxShiftLog, kMaxShiftLog);
}

}  // namespace tailor::models
