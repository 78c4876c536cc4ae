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
#include <string_view>

#include "common/byte_codec.h"

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

  // A compact binary form for saving (common/byte_codec.h); Restore accepts what Save wrote
  // and refuses, leaving the histogram unchanged, anything else: a decay outside (0, 1], a
  // weight or maximum that is negative or not finite, a bucket out of range.
  std::string Save() const;
  bool Restore(std::string_view bytes);
  void Write(ByteWriter& out) const;
  bool Read(ByteReader& in);

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
