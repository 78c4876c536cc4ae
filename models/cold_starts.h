// ColdStarts: what starting a new warm instance costs a function, per host class, learned from
// the init times of its cold starts (runtime = "lambda" functions; docs/lambda.md). A
// placement weighs it against a warm instance elsewhere: "warm on a slower host" against
// "cold on a better-matched one".
//
// Each (function, class) keeps an exponentially weighted mean of init times (weight 0.2 for
// the newest); a class the function never started cold on takes the function's mean over the
// classes it did; a function never started cold costs 0 (plain functions pay their start
// inside their run time, which the duration model already learns).
//
// Pure. Thread-safety: none (the owning policy's lock).
#pragma once

#include <map>
#include <string>

namespace tailor::models {

class ColdStarts {
 public:
  void Observe(const std::string& function, const std::string& host_class, double init_ms);
  double ExpectedMs(const std::string& function, const std::string& host_class) const;

 private:
  struct PerFunction {
    std::map<std::string, double> by_class;
    double mean_ms = 0;
  };
  std::map<std::string, PerFunction, std::less<>> functions_;
};

}  // namespace tailor::models
