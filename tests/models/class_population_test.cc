// ClassPopulation on hand-made cells: pair differences over the functions that ran on both
// classes, the class best on average, and nothing said from too few functions.
#include "models/class_population.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace tailor::models {
namespace {

using Cell = ClassPopulation::Cell;

TEST(ClassPopulationTest, PairsAreFunctionsThatRanOnBothAndTheBestIsBestOnAverage) {
  // Class 0 is 0.5 (log) faster than class 1 for functions 0..2; function 3 ran on class 1
  // only and says nothing about pairs; class 2 has a single function.
  std::vector<Cell> cells;
  for (uint32_t f = 0; f < 3; ++f) {
    cells.push_back({f, 0, 3.0 + f});
    cells.push_back({f, 1, 3.5 + f + (f == 2 ? 0.3 : 0.0)});
  }
  cells.push_back({3, 1, 9.0});
  cells.push_back({0, 2, 2.0});
  ClassPopulation p;
  p.Fit(cells, 3);
  const auto* d = p.Between(0, 1);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->functions, 3u);
  EXPECT_NEAR(d->mean, (0.5 + 0.5 + 0.8) / 3, 1e-12);
  EXPECT_GT(d->var, 0.01);  // they differ by 0.3, plus the floor
  const auto* back = p.Between(1, 0);
  ASSERT_NE(back, nullptr);
  EXPECT_NEAR(back->mean, -d->mean, 1e-12);
  EXPECT_EQ(p.Between(0, 2), nullptr) << "one function is not a population";
  EXPECT_EQ(p.Between(0, 7), nullptr);
  // Class 2 looks fastest but only one function ran there.
  EXPECT_EQ(p.best_for_most(), 0u);
}

TEST(ClassPopulationTest, NothingIsKnownBeforeFunctionsRanOnTwoClasses) {
  ClassPopulation p;
  EXPECT_EQ(p.best_for_most(), ClassPopulation::kNone);
  p.Fit(std::vector<Cell>{{0, 0, 1.0}, {1, 1, 2.0}}, 2);
  EXPECT_EQ(p.best_for_most(), ClassPopulation::kNone);
  EXPECT_EQ(p.Between(0, 1), nullptr);
}

}  // namespace
}  // namespace tailor::models
