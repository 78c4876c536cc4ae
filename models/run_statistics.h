// RunStatistics: streaming, decayed statistics of one function on one host class: duration and
// peak-memory quantiles (p50/p95/p99 from DecayedHistogram), and decayed means of CPU time,
// bytes read and written, LLC miss ratio, LLC occupancy and memory bandwidth (the last three
// only from runs where they were measured). Decay makes a function whose behaviour changed
// relearn within a few dozen runs.
//
// Thread-safety: not thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "models/decayed_histogram.h"
#include "models/placement_policy.h"

namespace tailor::models {

class RunStatistics {
 public:
  static constexpr double kDecay = 0.95;

  void Add(const RunObservation& run);

  double runs() const { return duration_ms_.weight(); }
  double DurationQuantileMs(double q) const { return duration_ms_.Quantile(q); }
  double PeakMemoryQuantileBytes(double q) const { return peak_bytes_.Quantile(q); }
  double mean_cpu_ms() const { return cpu_ms_.value; }
  double mean_read_bytes() const { return read_bytes_.value; }
  double mean_write_bytes() const { return write_bytes_.value; }
  // -1 when never measured.
  double llc_miss_ratio() const { return llc_miss_.weight > 0 ? llc_miss_.value : -1; }
  double llc_occupancy_bytes() const { return llc_occupancy_.weight > 0 ? llc_occupancy_.value : -1; }
  double memory_bandwidth_bytes() const {
    return memory_bandwidth_.weight > 0 ? memory_bandwidth_.value : -1;
  }

  // Binary (common/byte_codec.h); Restore refuses anything Save did not write, unchanged.
  std::string Save() const;
  bool Restore(std::string_view bytes);

 private:
  struct Mean {
    double value = 0, weight = 0;
    void Add(double x) {
      weight = kDecay * weight + 1;
      value += (x - value) / weight;
    }
  };
  DecayedHistogram duration_ms_{kDecay};
  DecayedHistogram peak_bytes_{kDecay};
  Mean cpu_ms_, read_bytes_, write_bytes_, llc_miss_, llc_occupancy_, memory_bandwidth_;
};

}  // namespace tailor::models
