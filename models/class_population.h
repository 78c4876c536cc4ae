// ClassPopulation: how functions in general compare across host classes, for a function that
// has not run on a class yet.
//
// Fitted from the (function, class) cell means of every function (log durations): for each
// ordered pair of classes, the mean and variance over functions that ran on both of
// (log duration on `to`) - (log duration on `from`); and the class that is fastest on average
// (each class's mean offset from the levels of the functions that ran there, over functions
// that ran on two classes or more, fitted jointly). A new function's first call then goes where
// functions in general run best, and a function seen on class A is expected on class B as
// functions in general compare there, give or take how much they differ from each other (the
// variance, which is what exploration draws from).
//
// Thread-safety: not thread-safe; the owner (DurationModel) serializes access.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tailor::models {

class ClassPopulation {
 public:
  struct Cell {
    uint32_t function = 0;
    uint32_t host_class = 0;
    double mean_log = 0;
  };
  struct Difference {
    double mean = 0;  // of log(duration on to) - log(duration on from)
    double var = 0;   // across functions (plus a floor)
    uint32_t functions = 0;
  };
  // Fewer functions than this on a pair of classes say nothing about it.
  static constexpr uint32_t kMinFunctions = 3;
  static constexpr uint32_t kNone = UINT32_MAX;

  // Replaces what was fitted. Cells may come in any order; at most one per (function, class);
  // class ids are below `classes`.
  void Fit(std::span<const Cell> cells, uint32_t classes);
  // Null when fewer than kMinFunctions functions ran on both classes.
  const Difference* Between(uint32_t from, uint32_t to) const;
  // The class fastest on average among those kMinFunctions or more functions compared; kNone
  // before that.
  uint32_t best_for_most() const { return best_for_most_; }

 private:
  static uint32_t BestOnAverage(const std::vector<Cell>& cells, uint32_t classes);
  uint32_t classes_ = 0;
  std::vector<Difference> pairs_;  // [from * classes_ + to]
  uint32_t best_for_most_ = kNone;
};

}  // namespace tailor::models
