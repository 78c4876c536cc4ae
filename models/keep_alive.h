// KeepAlive: how long an idle warm instance of one function is kept, learned from the gaps
// between that function's invocations (the end of one to the start of the next).
//
// A "gap" is how long the instance an invocation takes had been idle, or, for a cold start,
// how long the newest instance retired unused would have had to wait (agent/runtime/warm_pool.h
// and the simulator measure them the same way). Keeping an instance idle for a window w costs
// memory for min(gap, w) of every gap, and every gap longer than w is a cold start. Over the
// gaps seen (the newest kKeepAliveHistory), the learner picks the window, from a fixed ladder
// (none, then 2 minutes .. 2 hours), that minimizes
//
//   idle seconds + cold_start_cost_s x cold starts
//
// where cold_start_cost_s is what one cold start is worth in seconds of one idle instance
// (default 1200: twenty idle minutes). So a function called every 12 minutes keeps its
// instance through the gap (a fixed 10-minute window would idle 10 minutes and still start
// cold), one called hourly keeps none, and one with mostly short gaps and a few long ones
// covers the short ones and starts cold after the long ones. The ladder starts at 2 minutes:
// shorter windows, which the steady gaps of a busy function would pick, leave it no instances
// for its next burst (measured on the Azure 2019 trace: docs/benchmarks.md). With fewer than
// min_gaps gaps the fixed window is used, as OpenWhisk's default. "Serverless in the Wild" (ATC
// '20) found per-function windows from the idle-time distribution beat any fixed window; this is a
// cost-weighted form of that idea.
//
// Pure: no I/O, no clock. Thread-safety: none (one owner).
#pragma once

#include <cstddef>
#include <deque>

namespace tailor::models {

inline constexpr size_t kKeepAliveHistory = 256;

struct KeepAliveOptions {
  double fixed_window_s = 600;      // before enough gaps are known
  double cold_start_cost_s = 1200;  // one cold start, in seconds of one idle instance
  size_t min_gaps = 5;
};

class KeepAliveLearner {
 public:
  explicit KeepAliveLearner(KeepAliveOptions options = {}) : options_(options) {}
  // A gap between two invocations, in seconds (negative and non-finite ones are ignored).
  void Observe(double gap_s);
  // The window to keep an idle instance for now, in seconds.
  double WindowSeconds() const;
  size_t gaps() const { return gaps_.size(); }

 private:
  KeepAliveOptions options_;
  std::deque<double> gaps_;
};

}  // namespace tailor::models
