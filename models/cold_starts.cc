#include "models/cold_starts.h"

#include <cmath>

namespace tailor::models {
namespace {

constexpr double kNewestWeight = 0.2;
constexpr double kMaxInitMs = 15.0 * 60 * 1000;  // longer is a measurement gone wrong

}  // namespace

void ColdStarts::Observe(const std::string& function, const std::string& host_class,
                         double init_ms) {
  if (!std::isfinite(init_ms) || init_ms < 0 || init_ms > kMaxInitMs) return;
  PerFunction& f = functions_[function];
  auto [it, fresh] = f.by_class.try_emplace(host_class, init_ms);
  if (!fresh) it->second += kNewestWeight * (init_ms - it->second);
  double sum = 0;
  for (const auto& [cls, ms] : f.by_class) sum += ms;
  f.mean_ms = sum / static_cast<double>(f.by_class.size());
}

double ColdStarts::ExpectedMs(const std::string& function, const std::string& host_class) const {
  auto f = functions_.find(function);
  if (f == functions_.end()) return 0;
  auto c = f->second.by_class.find(host_class);
  return c != f->second.by_class.end() ? c->second : f->second.mean_ms;
}

}  // namespace tailor::models
