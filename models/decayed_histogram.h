// DecayedHistogram: streaming quantiles of a positive quantity (durations, memory) with
// exponential forgetting, so a function whose behaviour changes is relearned.
//
// Values fall into log-spaced buckets (kBucketsPerOctave per doubling, from kMinValue up);
// each Add first multiplies every weight by `decay` (lazily, through a running scale). A
// quantile is read by walking the buckets, and answered with the bucket's geometric midpoint:
// relative error at most 2^(1/(2*kBucketsPerOctave)) - 1, about 4.4%. Only the buckets a value
// fell in are kept (a function's durations fill a few of the 384): the scheduler keeps two
// histograms per function and class it ran on, per learned policy.
//
// Thread-safety: not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  // weight or maximum that is negative or not finite, a bucket out of range or not after the
  // one before it.
  std::string Save() const;
  bool Restore(std::string_view bytes);
  void Write(ByteWriter& out) const;
  bool Read(ByteReader& in);

 private:
  static constexpr uint32_t kBuckets = kBucketsPerOctave * kOctaves;
  static uint32_t BucketOf(double value);
  void Renormalize();
  struct Bucket {
    uint32_t index;
    double weight;
  };

  double decay_;
  double scale_ = 1.0;  // stored weights are true weights x scale_
  double total_ = 0;
  double max_ = 0;
  std::vector<Bucket> buckets_;  // the buckets that were filled, by index
};

}  // namespace tailor::models
