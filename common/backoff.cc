#include "common/backoff.h"

#include <algorithm>

namespace tailor {

ExponentialBackoff::ExponentialBackoff(Options options, uint64_t seed)
    : options_(options), rng_(seed), current_ms_(static_cast<double>(options.initial.count())) {}

std::chrono::milliseconds ExponentialBackoff::NextDelay() {
  const double max_ms = static_cast<double>(options_.max.count());
  double base = std::min(current_ms_, max_ms);
  double delay = base;
  if (options_.jitter_fraction > 0) {
    std::uniform_real_distribution<double> spread(-options_.jitter_fraction,
                                                  options_.jitter_fraction);
    delay = base * (1.0 + spread(rng_));
  }
  current_ms_ = std::min(current_ms_ * options_.multiplier, max_ms);
  ++attempts_;
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, delay)));
}

void ExponentialBackoff::Reset() {
  current_ms_ = static_cast<double>(options_.initial.count());
  attempts_ = 0;
}

}  // namespace tailor
