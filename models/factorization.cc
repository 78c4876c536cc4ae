#include "models/factorization.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>

namespace tailor::models {

Factorization::Vector Factorization::Solve(const Normal& a, const Vector& rhs) const {
  return a.ldlt().solve(rhs);
}

void Factorization::RefitRow(uint32_t function, std::span<const Cell> cells) {
  if (function >= bf_.size()) return;  // newer than the last Fit
  Normal a = Normal::Identity() * options_.lambda;
  Vector rhs = Vector::Zero();
  for (const Cell& cell : cells) {
    if (cell.host_class >= bc_.size()) continue;
    Vector z;
    z[0] = 1.0;
    z.tail<kRank>() = V_.row(cell.host_class).transpose();
    a += cell.weight * z * z.transpose();
    rhs += cell.weight * z * (cell.mean_log - mu_ - bc_[cell.host_class]);
  }
  const Vector solution = Solve(a, rhs);
  bf_[function] = solution[0];
  U_.row(function) = solution.tail<kRank>().transpose();
}

void Factorization::RefitClass(uint32_t host_class, std::span<const Cell* const> cells) {
  Normal a = Normal::Identity() * options_.lambda;
  Vector rhs = Vector::Zero();
  for (const Cell* cell : cells) {
    Vector z;
    z[0] = 1.0;
    z.tail<kRank>() = U_.row(cell->function).transpose();
    a += cell->weight * z * z.transpose();
    rhs += cell->weight * z * (cell->mean_log - mu_ - bf_[cell->function]);
  }
  const Vector solution = Solve(a, rhs);
  bc_[host_class] = solution[0];
  V_.row(host_class) = solution.tail<kRank>().transpose();
}

bool Factorization::Fit(std::span<const Cell> cells, uint32_t functions, uint32_t classes) {
  if (functions == 0 || classes == 0) return false;
  auto out_of_range = [&](const Cell& cell) {
    return cell.function >= functions || cell.host_class >= classes;
  };
  auto by_function = [](const Cell& a, const Cell& b) { return a.function < b.function; };
  if (std::any_of(cells.begin(), cells.end(), out_of_range) ||
      !std::is_sorted(cells.begin(), cells.end(), by_function)) {
    std::vector<Cell> valid;
    std::remove_copy_if(cells.begin(), cells.end(), std::back_inserter(valid), out_of_range);
    std::stable_sort(valid.begin(), valid.end(), by_function);
    return Fit(valid, functions, classes);
  }
  double sum = 0, weight_sum = 0;
  for (const Cell& cell : cells) {
    sum += cell.weight * cell.mean_log;
    weight_sum += cell.weight;
  }
  if (weight_sum == 0) return false;
  mu_ = sum / weight_sum;
  std::mt19937_64 rng(42);
  std::normal_distribution<double> init(0.0, 0.1);
  auto grow = [&](Factors& factors, Eigen::VectorXd& bias, uint32_t rows) {
    const auto old = factors.rows();
    factors.conservativeResize(rows, kRank);
    bias.conservativeResize(rows);
    for (auto r = old; r < static_cast<Eigen::Index>(rows); ++r) {
      for (int j = 0; j < kRank; ++j) factors(r, j) = init(rng);
      bias[r] = 0;
    }
  };
  grow(U_, bf_, functions);
  grow(V_, bc_, classes);
  // Each function's cells (they come together) and each class's.
  std::vector<size_t> first(functions + 1, 0);
  for (const Cell& cell : cells) ++first[cell.function + 1];
  for (uint32_t f = 0; f < functions; ++f) first[f + 1] += first[f];
  std::vector<std::vector<const Cell*>> by_class(classes);
  for (const Cell& cell : cells) by_class[cell.host_class].push_back(&cell);
  for (int it = 0; it < options_.iterations; ++it) {
    for (uint32_t f = 0; f < functions; ++f) {
      RefitRow(f, cells.subspan(first[f], first[f + 1] - first[f]));
    }
    for (uint32_t c = 0; c < classes; ++c) RefitClass(c, by_class[c]);
  }
  double squared = 0;
  for (const Cell& cell : cells) {
    const double miss = cell.mean_log - Predict(cell.function, cell.host_class);
    squared += cell.weight * miss * miss;
  }
  rmse_ = std::sqrt(squared / weight_sum) + 0.02;
  fitted_ = true;
  return true;
}

}  // namespace tailor::models
