#include "common/backoff.h"

#include <gtest/gtest.h>

namespace tailor {
namespace {

using namespace std::chrono_literals;

TEST(BackoffTest, GrowsGeometricallyUpToTheCapWithoutJitter) {
  ExponentialBackoff b({.initial = 100ms, .max = 1000ms, .multiplier = 2.0, .jitter_fraction = 0},
                       1);
  EXPECT_EQ(b.NextDelay(), 100ms);
  EXPECT_EQ(b.NextDelay(), 200ms);
  EXPECT_EQ(b.NextDelay(), 400ms);
  EXPECT_EQ(b.NextDelay(), 800ms);
  EXPECT_EQ(b.NextDelay(), 1000ms);
  EXPECT_EQ(b.NextDelay(), 1000ms);
  EXPECT_EQ(b.attempts(), 6);
  b.Reset();
  EXPECT_EQ(b.NextDelay(), 100ms);
}

TEST(BackoffTest, JitterStaysWithinItsFraction) {
  ExponentialBackoff b({.initial = 1000ms, .max = 1000ms, .multiplier = 2.0,
                        .jitter_fraction = 0.2},
                       42);
  bool varied = false;
  auto first = b.NextDelay();
  for (int i = 0; i < 200; ++i) {
    auto d = b.NextDelay();
    EXPECT_GE(d, 800ms);
    EXPECT_LE(d, 1200ms);
    varied |= d != first;
  }
  EXPECT_TRUE(varied);
}

TEST(BackoffTest, SameSeedSameSequence) {
  ExponentialBackoff a({}, 7), b({}, 7);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.NextDelay(), b.NextDelay());
}

}  // namespace
}  // namespace tailor
