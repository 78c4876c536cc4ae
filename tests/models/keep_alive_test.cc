// The keep-alive learner: a fixed window until gaps are known, then the window that costs least
// in idle seconds plus cold starts over the gaps seen.
#include "models/keep_alive.h"

#include <gtest/gtest.h>

namespace tailor::models {
namespace {

TEST(KeepAliveTest, TheFixedWindowHoldsUntilEnoughGapsAreKnown) {
  KeepAliveLearner learner({.fixed_window_s = 600, .cold_start_cost_s = 600, .min_gaps = 5});
  for (int i = 0; i < 4; ++i) learner.Observe(3600);
  EXPECT_EQ(learner.WindowSeconds(), 600);
}

TEST(KeepAliveTest, TwelveMinuteGapsAreIdledThroughOnlyWhenAColdStartCostsMoreThanTheWait) {
  // The fixed 10-minute window pays both: 10 idle minutes and a cold start every call.
  KeepAliveLearner cheap_cold({.cold_start_cost_s = 600});
  KeepAliveLearner dear_cold({.cold_start_cost_s = 1200});
  for (int i = 0; i < 20; ++i) cheap_cold.Observe(720), dear_cold.Observe(720);
  EXPECT_EQ(cheap_cold.WindowSeconds(), 0) << "12 idle minutes cost more than a cold start";
  EXPECT_GE(dear_cold.WindowSeconds(), 720) << "a cold start costs more than 12 idle minutes";
  EXPECT_LE(dear_cold.WindowSeconds(), 1200);
}

TEST(KeepAliveTest, EightAndTwelveMinuteGapsStayWarmByDefault) {
  KeepAliveLearner eight, twelve;
  for (int i = 0; i < 20; ++i) eight.Observe(480), twelve.Observe(720);
  EXPECT_GE(eight.WindowSeconds(), 480);
  EXPECT_LE(eight.WindowSeconds(), 900);
  EXPECT_GE(twelve.WindowSeconds(), 720);
  EXPECT_LE(twelve.WindowSeconds(), 1100);
}

TEST(KeepAliveTest, AnHourlyFunctionKeepsNoIdleInstance) {
  KeepAliveLearner learner;
  for (int i = 0; i < 20; ++i) learner.Observe(3 * 3600);
  EXPECT_EQ(learner.WindowSeconds(), 0);
}

TEST(KeepAliveTest, ABusyFunctionGetsTheShortestWindowWhichStillCoversABurst) {
  KeepAliveLearner learner;
  for (int i = 0; i < 50; ++i) learner.Observe(5 + i % 3);
  EXPECT_GE(learner.WindowSeconds(), 120);
  EXPECT_LE(learner.WindowSeconds(), 150);
}

TEST(KeepAliveTest, RareLongGapsAreLeftColdRatherThanIdledThrough) {
  KeepAliveLearner learner;
  for (int i = 0; i < 90; ++i) learner.Observe(20);
  for (int i = 0; i < 10; ++i) learner.Observe(5 * 3600);
  const double w = learner.WindowSeconds();
  EXPECT_GE(w, 20);
  EXPECT_LT(w, 3600);
}

TEST(KeepAliveTest, NonsenseGapsAreIgnoredAndOnlyTheNewestAreKept) {
  KeepAliveLearner learner;
  learner.Observe(-1);
  learner.Observe(std::numeric_limits<double>::quiet_NaN());
  learner.Observe(std::numeric_limits<double>::infinity());
  EXPECT_EQ(learner.gaps(), 0u);
  for (size_t i = 0; i < kKeepAliveHistory + 10; ++i) learner.Observe(1);
  EXPECT_EQ(learner.gaps(), kKeepAliveHistory);
}

}  // namespace
}  // namespace tailor::models
