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
  Function& f = functions_[function];
  auto [it, fresh] = f.by_class_.try_emplace(host_class, init_ms);
  if (!fresh) it->second += kNewestWeight * (init_ms - it->second);
  double sum = 0;
  for (const auto& [cls, ms] : f.by_class_) sum += ms;
  f.mean_ms_ = sum / static_cast<double>(f.by_class_.size());
}

const ColdStarts::Function* ColdStarts::Find(std::string_view function) const {
  auto f = functions_.find(function);
  return f == functions_.end() ? nullptr : &f->second;
}

double ColdStarts::Function::ExpectedMs(const std::string& host_class) const {
  auto c = by_class_.find(host_class);
  return c != by_class_.end() ? c->second : mean_ms_;
}

}  // namespace tailor::models
