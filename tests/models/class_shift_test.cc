#include "models/class_shift.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace tailor::models {
namespace {

std::vector<ClassShift::Estimate> Estimates(const std::vector<double>& changes, double var) {
  std::vector<ClassShift::Estimate> out;
  for (double c : changes) out.push_back({c, var});
  return out;
}

TEST(ClassShiftTest, FunctionsThatAgreeOnASlowdownGiveTheirMedian) {
  const auto shift =
      ClassShift::Agreed(Estimates({1.0, 1.2, 0.9, 1.1, 1.05, 0.95, 1.15, 1.3}, 0.01));
  ASSERT_TRUE(shift.has_value());
  EXPECT_NEAR(*shift, 1.075, 1e-9);  // between 1.05 and 1.1
}

TEST(ClassShiftTest, FewerFunctionsThanTheMinimumSayNothing) {
  std::vector<double> changes(ClassShift::kMinFunctions - 1, 1.0);
  EXPECT_FALSE(ClassShift::Agreed(Estimates(changes, 0.01)).has_value());
  changes.push_back(1.0);
  EXPECT_TRUE(ClassShift::Agreed(Estimates(changes, 0.01)).has_value());
}

TEST(ClassShiftTest, EstimatesThatAgreeOnlyAsFarAsTheirNoiseAllowsAreNoChange) {
  // A median of 0.3 from eight functions whose runs are each uncertain by sd 0.5: within
  // three standard errors (0.67) of nothing, however closely the eight happen to agree.
  const std::vector<double> changes = {0.28, 0.29, 0.3, 0.3, 0.3, 0.31, 0.32, 0.33};
  EXPECT_FALSE(ClassShift::Agreed(Estimates(changes, 0.25)).has_value());
  EXPECT_TRUE(ClassShift::Agreed(Estimates(changes, 0.001)).has_value());
}

TEST(ClassShiftTest, ScatteredEstimatesAreNoChange) {
  EXPECT_FALSE(ClassShift::Agreed(Estimates({-0.6, 1.4, 0.2, -0.3, 0.9, 1.1, -0.2, 0.5}, 0.001))
                   .has_value());
}

TEST(ClassShiftTest, OneFunctionThatChangedOnItsOwnIsNoChange) {
  EXPECT_FALSE(
      ClassShift::Agreed(Estimates({0.01, -0.02, 0.0, 0.02, -0.01, 0.01, 0.0, 0.01, 2.0}, 0.001))
          .has_value());
}

TEST(ClassShiftTest, AnAgreedChangeBelowTheMinimumIsNoChange) {
  EXPECT_FALSE(ClassShift::Agreed(Estimates(std::vector<double>(8, 0.05), 0)).has_value());
  const auto faster = ClassShift::Agreed(Estimates(std::vector<double>(8, -0.5), 0));
  ASSERT_TRUE(faster.has_value());
  EXPECT_DOUBLE_EQ(*faster, -0.5);
}

TEST(ClassShiftTest, AChangeIsCappedAndNonFiniteEstimatesAreRefused) {
  const auto capped = ClassShift::Agreed(Estimates(std::vector<double>(8, 5.0), 0.01));
  ASSERT_TRUE(capped.has_value());
  EXPECT_DOUBLE_EQ(*capped, ClassShift::kMaxShiftLog);
  auto estimates = Estimates(std::vector<double>(8, 1.0), 0.01);
  estimates[2].change_log = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(ClassShift::Agreed(estimates).has_value());
  estimates[2] = {1, -1};
  EXPECT_FALSE(ClassShift::Agreed(estimates).has_value());
}

}  // namespace
}  // namespace tailor::models
