#include "models/decayed_histogram.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace tailor::models {

int DecayedHistogram::BucketOf(double value) {
  if (!(value > kMinValue)) return 0;
  const int b = static_cast<int>(std::floor(std::log2(value / kMinValue) * kBucketsPerOctave));
  return std::clamp(b, 0, kBucketsPerOctave * kOctaves - 1);
}

void DecayedHistogram::Renormalize() {
  for (auto& w : buckets_) w /= scale_;
  total_ /= scale_;
  scale_ = 1.0;
}

void DecayedHistogram::Add(double value) {
  // Decaying every old weight by d is the same as growing new weights by 1/d.
  if (decay_ < 1.0) {
    scale_ /= decay_;
    if (scale_ > 1e100) Renormalize();
  }
  buckets_[BucketOf(value)] += scale_;
  total_ += scale_;
  max_ = std::max(max_, value);
}

double DecayedHistogram::Quantile(double q) const {
  if (total_ <= 0) return 0;
  const double target = std::clamp(q, 0.0, 1.0) * total_;
  double seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= target && buckets_[b] > 0) {
      return kMinValue * std::exp2((b + 0.5) / kBucketsPerOctave);
    }
  }
  return max_;
}

std::string DecayedHistogram::Save() const {
  std::ostringstream out;
  out.precision(17);
  out << decay_ << ' ' << max_;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    if (buckets_[b] > 0) out << ' ' << b << ':' << buckets_[b] / scale_;
  }
  return out.str();
}

bool DecayedHistogram::Restore(const std::string& text) {
  std::istringstream in(text);
  DecayedHistogram h;
  if (!(in >> h.decay_ >> h.max_)) return false;
  std::string cell;
  while (in >> cell) {
    const size_t colon = cell.find(':');
    if (colon == std::string::npos) return false;
    const size_t b = std::stoul(cell.substr(0, colon));
    if (b >= h.buckets_.size()) return false;
    h.buckets_[b] = std::stod(cell.substr(colon + 1));
    h.total_ += h.buckets_[b];
  }
  *this = h;
  return true;
}

}  // namespace tailor::models
