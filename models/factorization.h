// Factorization: every function's per-class cell means (log durations) as a low-rank matrix,
//
//   cell mean ~ mu + bf[f] + bc[c] + U.row(f) . V.row(c)
//
// (a bias per function and per class plus rank-kRank factors), fitted by alternating ridge
// least squares. It predicts a function on a class it never ran on from the classes it did,
// as functions of the same shape run there (DurationModel's third estimator).
//
// Fit is the slow part (every cell, kIterations times): a copy can be fitted apart from the
// model that owns the original and moved back (DurationModel::Refit). RefitRow is one
// function's row against the current class factors, cheap enough for every run.
//
// Thread-safety: not thread-safe; distinct objects may be used on distinct threads.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <span>
#include <vector>

namespace tailor::models {

struct FactorizationOptions {
  double lambda = 0.1;  // ridge penalty
  int iterations = 10;  // alternations per Fit
};

class Factorization {
 public:
  static constexpr int kRank = 2;
  // A cell's weight counts at most this much (its decayed number of runs): a busy function
  // must not decide the class factors alone.
  static constexpr double kMaxCellWeight = 5.0;

  struct Cell {
    uint32_t function = 0;
    uint32_t host_class = 0;
    double mean_log = 0;
    double weight = 0;  // capped at kMaxCellWeight by the caller
  };
  explicit Factorization(FactorizationOptions options = {}) : options_(options) {}

  // Refits everything to `cells` (sorted by function; a function's cells in the order its
  // row should sum them) over `functions` rows and `classes` columns (cells out of range
  // are left out; unsorted cells are sorted first). Rows and columns fitted
  // before start where they were; new ones from small random values (a fixed seed: the same
  // cells give the same fit). False, changing nothing, when no cell has weight.
  bool Fit(std::span<const Cell> cells, uint32_t functions, uint32_t classes);
  // Refits one function's row against the current class factors from its cells (any
  // function field; classes newer than the last Fit are skipped). No-op for a function newer
  // than the last Fit.
  void RefitRow(uint32_t function, std::span<const Cell> cells);

  bool fitted() const { return fitted_; }
  // Whether Predict covers the pair (both were in the last Fit).
  bool Covers(uint32_t function, uint32_t host_class) const {
    return fitted_ && function < bf_.size() && host_class < bc_.size();
  }
  // REQUIRES: Covers(function, host_class).
  double Predict(uint32_t function, uint32_t host_class) const {
    return mu_ + bf_[function] + bc_[host_class] + U_.row(function).dot(V_.row(host_class));
  }
  // The weighted root mean square miss of the last Fit over its cells, plus 0.02.
  double rmse() const { return rmse_; }

 private:
  using Factors = Eigen::Matrix<double, Eigen::Dynamic, kRank, Eigen::RowMajor>;
  using Normal = Eigen::Matrix<double, kRank + 1, kRank + 1>;
  using Vector = Eigen::Matrix<double, kRank + 1, 1>;
  // Solves one row (bias and factors) from its normal equations.
  Vector Solve(const Normal& a, const Vector& rhs) const;
  void RefitClass(uint32_t host_class, std::span<const Cell* const> cells);

  FactorizationOptions options_;
  bool fitted_ = false;
  double mu_ = 0;
  Eigen::VectorXd bf_, bc_;
  Factors U_, V_;
  double rmse_ = 1.0;
};

}  // namespace tailor::models
