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
#include <string_view>

namespace tailor::models {

class ColdStarts {
 public:
  // What one function's cold starts cost, per host class.
  class Function {
   public:
    double ExpectedMs(const std::string& host_class) const;

   private:
    friend class ColdStarts;
    std::map<std::string, double, std::less<>> by_class_;
    double mean_ms_ = 0;
  };

  void Observe(const std::string& function, const std::string& host_class, double init_ms);
  // Null for a function never started cold (it costs 0 everywhere). Looked up once per
  // decision, not per node.
  const Function* Find(std::string_view function) const;

 private:
  std::map<std::string, Function, std::less<>> functions_;
};

}  // namespace tailor::models
