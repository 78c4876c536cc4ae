#include "common/clock.h"

#include <cassert>

namespace tailor {

RealClock& RealClock::Get() {
  static RealClock clock;
  return clock;
}

SimulatedClock::SimulatedClock(WallTime wall_start) : wall_start_(wall_start) {}

MonotonicTime SimulatedClock::MonotonicNow() const {
  // Offset from the epoch of steady_clock by a constant so that time points are never zero.
  return MonotonicTime(std::chrono::hours(1) +
                       std::chrono::nanoseconds(elapsed_ns_.load(std::memory_order_acquire)));
}

WallTime SimulatedClock::WallNow() const {
  return wall_start_ + std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(
                           elapsed_ns_.load(std::memory_order_acquire)));
}

void SimulatedClock::Advance(std::chrono::nanoseconds delta) {
  assert(delta.count() >= 0);
  if (delta.count() < 0) return;
  elapsed_ns_.fetch_add(delta.count(), std::memory_order_acq_rel);
}

int64_t ToUnixMillis(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

WallTime FromUnixMillis(int64_t unix_ms) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::milliseconds(unix_ms)));
}

}  // namespace tailor
