// Clock: the time seam. Monotonic time (for leases, timeouts, durations) and wall time (for
// timestamps that leave the process) are kept apart, so a wall-clock jump never expires a lease.
//
// Production code takes a `Clock&` and never calls std::chrono clocks directly; tests pass a
// SimulatedClock and advance it, so lease expiry and ageing are tested without sleeping.
//
// Thread-safety: every Clock is safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tailor {

using MonotonicTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonotonicTime MonotonicNow() const = 0;
  virtual WallTime WallNow() const = 0;
};

// The process's real clocks. RealClock::Get() is a shared instance with static lifetime.
class RealClock final : public Clock {
 public:
  static RealClock& Get();
  MonotonicTime MonotonicNow() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when a test advances it. Both readings move together.
class SimulatedClock final : public Clock {
 public:
  // Starts at a fixed, arbitrary point so tests never depend on the time of day.
  explicit SimulatedClock(WallTime wall_start = WallTime(std::chrono::seconds(1'700'000'000)));

  MonotonicTime MonotonicNow() const override;
  WallTime WallNow() const override;

  // REQUIRES: delta >= 0 (time never goes backwards).
  void Advance(std::chrono::nanoseconds delta);

 private:
  const WallTime wall_start_;
  std::atomic<int64_t> elapsed_ns_{0};
};

// Milliseconds since the Unix epoch, the representation wall times take on the wire and on disk.
int64_t ToUnixMillis(WallTime t);
WallTime FromUnixMillis(int64_t unix_ms);

}  // namespace tailor
