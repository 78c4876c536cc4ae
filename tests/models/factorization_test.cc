#include "models/factorization.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace tailor::models {
namespace {

// A matrix of log durations that is exactly biases plus rank-2 factors: 40 functions by 6
// classes.
struct RankTwoWorld {
  static constexpr uint32_t kFunctions = 40, kClasses = 6;
  double Truth(uint32_t f, uint32_t c) const {
    return 4.0 + function_bias[f] + class_bias[c] + u[f][0] * v[c][0] + u[f][1] * v[c][1];
  }
  std::vector<double> function_bias, class_bias;
  std::vector<std::array<double, 2>> u, v;
};

RankTwoWorld MakeRankTwoWorld() {
  RankTwoWorld w;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> draw(0.0, 0.5);
  for (uint32_t f = 0; f < RankTwoWorld::kFunctions; ++f) {
    w.function_bias.push_back(draw(rng));
    w.u.push_back({draw(rng), draw(rng)});
  }
  for (uint32_t c = 0; c < RankTwoWorld::kClasses; ++c) {
    w.class_bias.push_back(draw(rng));
    w.v.push_back({draw(rng), draw(rng)});
  }
  return w;
}

// Every cell but those on the diagonal band (f % kClasses == c), sorted by function.
std::vector<Factorization::Cell> SeenCells(const RankTwoWorld& w) {
  std::vector<Factorization::Cell> cells;
  for (uint32_t f = 0; f < RankTwoWorld::kFunctions; ++f) {
    for (uint32_t c = 0; c < RankTwoWorld::kClasses; ++c) {
      if (f % RankTwoWorld::kClasses != c) cells.push_back({f, c, w.Truth(f, c), 3.0});
    }
  }
  return cells;
}

TEST(FactorizationTest, PredictsCellsItNeverSawOfAMatrixOfItsOwnShape) {
  const RankTwoWorld w = MakeRankTwoWorld();
  Factorization fit({.lambda = 0.01, .iterations = 50});
  ASSERT_TRUE(fit.Fit(SeenCells(w), RankTwoWorld::kFunctions, RankTwoWorld::kClasses));
  double worst = 0;
  for (uint32_t f = 0; f < RankTwoWorld::kFunctions; ++f) {
    const uint32_t unseen = f % RankTwoWorld::kClasses;
    ASSERT_TRUE(fit.Covers(f, unseen));
    worst = std::max(worst, std::abs(fit.Predict(f, unseen) - w.Truth(f, unseen)));
  }
  // Against a spread of about 1 in log across the matrix.
  EXPECT_LT(worst, 0.1);
  EXPECT_LT(fit.rmse(), 0.05);
}

TEST(FactorizationTest, NoWeightFitsNothingAndCoversNothing) {
  Factorization fit;
  EXPECT_FALSE(fit.Fit({}, 3, 3));
  const std::vector<Factorization::Cell> weightless = {{0, 0, 4.0, 0.0}, {1, 1, 5.0, 0.0}};
  EXPECT_FALSE(fit.Fit(weightless, 3, 3));
  EXPECT_FALSE(fit.fitted());
  EXPECT_FALSE(fit.Covers(0, 0));
}

TEST(FactorizationTest, CellsInAnyOrderOrOutOfRangeFitAsTheSortedValidOnes) {
  const RankTwoWorld w = MakeRankTwoWorld();
  const std::vector<Factorization::Cell> sorted = SeenCells(w);
  std::vector<Factorization::Cell> shuffled = sorted;
  std::reverse(shuffled.begin(), shuffled.end());
  // Out of range: a function and a class beyond the fit's size.
  shuffled.push_back({RankTwoWorld::kFunctions, 0, 100.0, 5.0});
  shuffled.push_back({0, RankTwoWorld::kClasses, 100.0, 5.0});
  Factorization a, b;
  ASSERT_TRUE(a.Fit(sorted, RankTwoWorld::kFunctions, RankTwoWorld::kClasses));
  ASSERT_TRUE(b.Fit(shuffled, RankTwoWorld::kFunctions, RankTwoWorld::kClasses));
  // Within a function the reversed order sums its cells in another order: equal to rounding.
  for (uint32_t f = 0; f < RankTwoWorld::kFunctions; ++f) {
    for (uint32_t c = 0; c < RankTwoWorld::kClasses; ++c) {
      EXPECT_NEAR(a.Predict(f, c), b.Predict(f, c), 1e-9) << f << "," << c;
    }
  }
  EXPECT_FALSE(b.Covers(RankTwoWorld::kFunctions, 0));
}

TEST(FactorizationTest, ARowRefitFollowsItsFunctionsNewCellsAndSkipsNewerFunctions) {
  const RankTwoWorld w = MakeRankTwoWorld();
  Factorization fit({.lambda = 0.01, .iterations = 50});
  ASSERT_TRUE(fit.Fit(SeenCells(w), RankTwoWorld::kFunctions, RankTwoWorld::kClasses));
  // Function 0 turns 1.0 slower (in log) everywhere it ran.
  std::vector<Factorization::Cell> slower;
  for (uint32_t c = 1; c < RankTwoWorld::kClasses; ++c) {
    slower.push_back({0, c, w.Truth(0, c) + 1.0, 5.0});
  }
  const double before = fit.Predict(0, 0);
  fit.RefitRow(0, slower);
  EXPECT_NEAR(fit.Predict(0, 0) - before, 1.0, 0.1);
  // A function the last Fit did not have stays uncovered.
  fit.RefitRow(RankTwoWorld::kFunctions, slower);
  EXPECT_FALSE(fit.Covers(RankTwoWorld::kFunctions, 0));
}

}  // namespace
}  // namespace tailor::models
