#include "models/keep_alive.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace tailor::models {
namespace {

constexpr std::array<double, 13> kWindowsS = {0,    120,  300,  600,  900,  1200, 1800,
                                              2700, 3600, 4500, 5400, 6300, 7200};

}  // namespace

void KeepAliveLearner::Observe(double gap_s) {
  if (!std::isfinite(gap_s) || gap_s < 0) return;
  gaps_.push_back(gap_s);
  if (gaps_.size() > kKeepAliveHistory) gaps_.pop_front();
}

double KeepAliveLearner::WindowSeconds() const {
  if (gaps_.size() < options_.min_gaps) return options_.fixed_window_s;
  double best_window = options_.fixed_window_s;
  double best_cost = INFINITY;
  for (double w : kWindowsS) {
    double cost = 0;
    // No window (0) keeps nothing: every call starts cold, however short its gap.
    for (double g : gaps_) cost += w > 0 && g <= w ? g : w + options_.cold_start_cost_s;
    if (cost < best_cost) best_cost = cost, best_window = w;
  }
  // Kept a little past the gap the window was chosen for: a gap of exactly w is not a miss.
  return best_window == 0 ? 0 : best_window * 1.1;
}

}  // namespace tailor::models
