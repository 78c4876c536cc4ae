#include "models/decayed_histogram.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace tailor::models {

uint32_t DecayedHistogram::BucketOf(double value) {
  if (!(value > kMinValue)) return 0;
  const int b = static_cast<int>(std::floor(std::log2(value / kMinValue) * kBucketsPerOctave));
  return static_cast<uint32_t>(std::clamp(b, 0, static_cast<int>(kBuckets) - 1));
}

void DecayedHistogram::Renormalize() {
  for (auto& b : buckets_) b.weight /= scale_;
  total_ /= scale_;
  scale_ = 1.0;
}

void DecayedHistogram::Add(double value) {
  // Decaying every old weight by d is the same as growing new weights by 1/d.
  if (decay_ < 1.0) {
    scale_ /= decay_;
    if (scale_ > 1e100) Renormalize();
  }
  const uint32_t index = BucketOf(value);
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), index,
                             [](const Bucket& b, uint32_t i) { return b.index < i; });
  if (it == buckets_.end() || it->index != index) it = buckets_.insert(it, Bucket{index, 0.0});
  it->weight += scale_;
  total_ += scale_;
  max_ = std::max(max_, value);
}

double DecayedHistogram::Quantile(double q) const {
  if (total_ <= 0) return 0;
  const double target = std::clamp(q, 0.0, 1.0) * total_;
  double seen = 0;
  for (const Bucket& b : buckets_) {
    seen += b.weight;
    if (seen >= target && b.weight > 0) {
      return kMinValue * std::exp2((b.index + 0.5) / kBucketsPerOctave);
    }
  }
  return max_;
}

void DecayedHistogram::Write(ByteWriter& out) const {
  out.F64(decay_);
  out.F64(max_);
  uint32_t filled = 0;
  for (const Bucket& b : buckets_) filled += b.weight > 0 ? 1 : 0;
  out.U64(filled);
  for (const Bucket& b : buckets_) {
    if (b.weight <= 0) continue;
    out.U32(b.index);
    out.F64(b.weight / scale_);
  }
}

bool DecayedHistogram::Read(ByteReader& in) {
  DecayedHistogram h;
  h.decay_ = in.F64();
  h.max_ = in.F64();
  if (!(h.decay_ > 0 && h.decay_ <= 1) || !std::isfinite(h.max_) || h.max_ < 0) in.Fail();
  const size_t filled = in.Count(kBuckets, 12);
  int64_t previous = -1;
  for (size_t i = 0; i < filled && in.ok(); ++i) {
    const uint32_t b = in.U32();
    const double w = in.F64();
    if (b >= kBuckets || static_cast<int64_t>(b) <= previous || !std::isfinite(w) || w < 0) {
      in.Fail();
      break;
    }
    previous = b;
    if (w > 0) h.buckets_.push_back({b, w});
    h.total_ += w;
  }
  if (!in.ok() || !std::isfinite(h.total_)) return false;
  *this = h;
  return true;
}

std::string DecayedHistogram::Save() const {
  ByteWriter out;
  Write(out);
  return out.Take();
}

bool DecayedHistogram::Restore(std::string_view bytes) {
  ByteReader in(bytes);
  DecayedHistogram h;
  if (!h.Read(in) || !in.AtEnd()) return false;
  *this = h;
  return true;
}

}  // namespace tailor::models
