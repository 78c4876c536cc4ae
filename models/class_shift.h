// ClassShift: whether the functions that ran on a host class lately agree that the whole class
// became slower or faster (a firmware update that lowers the clock, a cooling fault across a
// rack, a noisy tenant on every host of a class), and by how much.
//
// Each function brings its own estimate of the change: how far its cell on the class moved
// since a reference point, divided by the share of the cell that runs since then make up (a
// cell that one new run moved by a tenth of a miss says the same as a busy one that moved all
// the way). The class changed when enough functions report (kMinFunctions) and their median is
// both at least kMinShiftLog and kStandardErrors standard errors from zero. The spread behind
// that standard error is the larger of how the estimates differ (their median absolute
// deviation, so a function that changed on its own does not make or mask a class change) and
// how far each could miss by noise alone (the median of their variances: a handful of
// estimates can agree by chance). The change is then that median, at most kMaxShiftLog either
// way.
//
// Pure.
#pragma once

#include <optional>
#include <vector>

namespace tailor::models {

class ClassShift {
 public:
  static constexpr size_t kMinFunctions = 8;
  static constexpr double kMinShiftLog = 0.2;  // about 22%
  static constexpr double kStandardErrors = 4.0;
  static constexpr double kMaxShiftLog = 1.39;  // ln 4

  // One function's estimate of the class's change, and its variance from the function's noise.
  struct Estimate {
    double change_log = 0;
    double var_log = 0;
  };
  // One estimate per function, in any order. Nullopt when the functions do not agree on a
  // change.
  static std::optional<double> Agreed(const std::vector<Estimate>& estimates);
};

}  // namespace tailor::models
