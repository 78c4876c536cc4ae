// DecayedHistogram: streaming quantiles of a positive quantity (durations, memory) with
// exponential forgetting, so a function whose behaviour changes is relearned.
//
// Values fall into log-spaced buckets (kBucketsPerOctave per doubling, from kMinValue up);
// each Add first multiplies every weight by `decay` (lazily, through a running scale). A
// quantile is read by walking the buckets, and answered with the bucket's geometric midpoint:
// relative error at most 2^(1/(2*kBucketsPerOctave)) - 1, about 4.4%.
//
// Thread-safety: not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace tailor::models {

class DecayedHistogram {
 public:
  static constexpr int kBucketsPerOctave = 8;
  static constexpr int kOctaves = 48;  // kMinValue .. kMinValue * 2^48
  static constexpr double kMinValue = 1e-3;

  explicit DecayedHistogram(double decay = 1.0) : decay_(decay) {}

  void Add(double value);
  // q in [0, 1]; 0 when empty.
  double Quantile(double q) const;
  double weight() const { return total_ / scale_; }
  double max() const { return max_; }

  // A compact text form for saving; Restore accepts what Save wrote.
  std::string Save() const;
  bool Restore(const std::string& text);

 private:
  static int BucketOf(double value);
  void Renormalize();

  double decay_;
  double scale_ = 1.0;  // stored weights are true weights x scale_
  double total_ = 0;
  double max_ = 0;
  std::array<double, kBucketsPerOctave * kOctaves> buckets_{};
};

}  // namespace tailor::models
