#include "models/node_slowness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace tailor::models {
namespace {

// Misses of `runs` runs on each of a class's nodes: noise with sd `noise_sd`, plus each node's
// own log slowness.
void Feed(NodeSlowness& s, const std::vector<std::pair<std::string, double>>& nodes, int runs,
          double noise_sd, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, noise_sd);
  for (int i = 0; i < runs; ++i) {
    for (const auto& [node, slowness_log] : nodes) {
      s.Observe(node, "c", slowness_log + noise(rng));
    }
  }
}

TEST(NodeSlownessTest, AStragglerIsLearnedApartFromItsClassAndTheOthersAreNot) {
  // (The other three look faster than the class's mean miss; the median is not moved.)
  NodeSlowness s;
  Feed(s, {{"a", std::log(2.0)}, {"b", 0}, {"c", 0}, {"d", 0}}, 30, 0.3);
  EXPECT_NEAR(s.OffsetLog("a"), std::log(2.0), 0.2);
  for (const char* normal : {"b", "c", "d"}) EXPECT_EQ(s.OffsetLog(normal), 0) << normal;
  EXPECT_EQ(s.OffsetLog("never-ran"), 0);
}

TEST(NodeSlownessTest, OfAClassHalfOfWhichStragglesTheHealthyHalfIsTheClass) {
  NodeSlowness s;
  Feed(s, {{"a", std::log(2.5)}, {"b", 0}, {"c", std::log(2.5)}, {"d", 0}}, 30, 0.3);
  EXPECT_NEAR(s.OffsetLog("a"), std::log(2.5), 0.2);
  EXPECT_NEAR(s.OffsetLog("c"), std::log(2.5), 0.2);
  EXPECT_EQ(s.OffsetLog("b"), 0);
  EXPECT_EQ(s.OffsetLog("d"), 0);
}

TEST(NodeSlownessTest, NothingIsApartBeforeEnoughRunsOrInAClassOfOne) {
  NodeSlowness few;
  Feed(few, {{"a", std::log(3.0)}, {"b", 0}, {"c", 0}, {"d", 0}}, 5, 0.1);
  EXPECT_EQ(few.OffsetLog("a"), 0) << "five runs prove nothing";
  NodeSlowness alone;
  Feed(alone, {{"only", std::log(3.0)}}, 50, 0.1);
  EXPECT_EQ(alone.OffsetLog("only"), 0) << "a class of one node is its class";
  NodeSlowness pair;
  Feed(pair, {{"a", std::log(3.0)}, {"b", 0}}, 50, 0.1);
  EXPECT_EQ(pair.OffsetLog("a"), 0) << "of two nodes, either may be the odd one";
}

TEST(NodeSlownessTest, NoiseOrASmallDifferenceIsNotAStraggler) {
  NodeSlowness noisy;
  Feed(noisy, {{"a", std::log(1.3)}, {"b", 0}, {"c", 0}}, 12, 1.5);
  EXPECT_EQ(noisy.OffsetLog("a"), 0) << "a 1.3x difference under sd 1.5 needs more runs";
  NodeSlowness small;
  Feed(small, {{"a", std::log(1.08)}, {"b", 0}, {"c", 0}}, 100, 0.05);
  EXPECT_EQ(small.OffsetLog("a"), 0) << "8% is within kMinApartLog";
}

TEST(NodeSlownessTest, AFastNodeIsApartTooAndARegisteredAgainOneStartsOver) {
  NodeSlowness s;
  Feed(s, {{"a", std::log(0.5)}, {"b", 0}, {"c", 0}}, 30, 0.2);
  EXPECT_NEAR(s.OffsetLog("a"), std::log(0.5), 0.2);
  s.Observe("a", "other-class", 0);
  EXPECT_EQ(s.OffsetLog("a"), 0);
}

TEST(NodeSlownessTest, SavedStateReadsBackTheSameAndDamageIsRefused) {
  NodeSlowness s;
  Feed(s, {{"a", std::log(2.0)}, {"b", 0}, {"c", 0}}, 30, 0.3);
  const std::string saved = s.Save();
  NodeSlowness back;
  ASSERT_TRUE(back.Restore(saved));
  EXPECT_EQ(back.OffsetLog("a"), s.OffsetLog("a"));
  EXPECT_EQ(back.Save(), saved);
  // A NaN in place of a node's mean, and a truncated state: refused, nothing changed.
  std::string damaged = saved;
  // The count, node "a"'s id and class ("c"; each a length and the bytes), its weight.
  const size_t mean_at = 8 + (8 + 1) + (8 + 1) + 8;
  ASSERT_EQ(damaged[8 + 8], 'a');
  const double nan = std::nan("");
  damaged.replace(mean_at, 8, reinterpret_cast<const char*>(&nan), 8);
  EXPECT_FALSE(back.Restore(damaged));
  EXPECT_FALSE(back.Restore(saved.substr(0, saved.size() - 3)));
  EXPECT_EQ(back.OffsetLog("a"), s.OffsetLog("a"));
}

}  // namespace
}  // namespace tailor::models
