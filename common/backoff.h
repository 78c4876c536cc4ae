// ExponentialBackoff: how long to wait before the next retry of something that keeps failing
// (an agent reconnecting to a scheduler, a dispatcher retrying an invocation).
//
// Delays grow from `initial` by `multiplier` up to `max`, each with up to ±jitter_fraction of
// random spread so that many agents do not reconnect in lockstep. Pure: the caller waits.
//
// Thread-safety: not thread-safe; one instance per retry loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace tailor {

class ExponentialBackoff {
 public:
  struct Options {
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds max{5000};
    double multiplier = 2.0;
    double jitter_fraction = 0.2;  // 0 disables jitter
  };

  ExponentialBackoff(Options options, uint64_t seed);

  // The delay before the next attempt; grows on each call until Reset().
  std::chrono::milliseconds NextDelay();
  void Reset();
  int attempts() const { return attempts_; }

 private:
  Options options_;
  std::mt19937_64 rng_;
  double current_ms_;
  int attempts_ = 0;
};

}  // namespace tailor
