#include "common/clock.h"

#include <gtest/gtest.h>

namespace tailor {
namespace {

using namespace std::chrono_literals;

TEST(SimulatedClockTest, MovesOnlyWhenAdvanced) {
  SimulatedClock clock;
  const auto mono = clock.MonotonicNow();
  const auto wall = clock.WallNow();
  EXPECT_EQ(clock.MonotonicNow(), mono);
  clock.Advance(1500ms);
  EXPECT_EQ(clock.MonotonicNow() - mono, 1500ms);
  EXPECT_EQ(clock.WallNow() - wall, 1500ms);
}

TEST(SimulatedClockTest, StartsAtTheGivenWallTime) {
  SimulatedClock clock(FromUnixMillis(1'234'567'000));
  EXPECT_EQ(ToUnixMillis(clock.WallNow()), 1'234'567'000);
}

TEST(RealClockTest, MonotonicDoesNotGoBackwards) {
  auto a = RealClock::Get().MonotonicNow();
  auto b = RealClock::Get().MonotonicNow();
  EXPECT_LE(a, b);
  EXPECT_GT(ToUnixMillis(RealClock::Get().WallNow()), 1'600'000'000'000);
}

TEST(ClockTest, UnixMillisRoundTrip) {
  EXPECT_EQ(ToUnixMillis(FromUnixMillis(1'700'000'123'456)), 1'700'000'123'456);
}

}  // namespace
}  // namespace tailor
