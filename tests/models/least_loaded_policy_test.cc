#include "models/least_loaded_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "models/policy_table.h"

namespace tailor::models {
namespace {

NodeView Node(const std::string& id, uint32_t allocated_millicores = 0) {
  NodeView n;
  n.node_id = id;
  n.capacity = {8ull << 30, 4000};
  n.allocated = {0, allocated_millicores};
  n.features = {"aes"};
  return n;
}

TEST(LeastLoadedPolicyTest, PicksTheLeastAllocatedNode) {
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  std::vector<NodeView> nodes = {Node("busy", 3000), Node("idle", 0), Node("half", 2000)};
  auto d = p.Decide(req, nodes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "idle");
  EXPECT_EQ(d->allocation.memory_limit_bytes, kDefaultMemoryLimitBytes);
  ASSERT_EQ(d->candidates.size(), 3u);
  EXPECT_DOUBLE_EQ(d->candidates[0].score, 0.75);
}

TEST(LeastLoadedPolicyTest, EqualNodesTakeTurns) {
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  req.function.memory_hint_bytes = 1 << 20;
  std::vector<NodeView> nodes = {Node("a"), Node("b"), Node("c")};
  std::map<std::string, int> picks;
  for (int i = 0; i < 9; ++i) ++picks[p.Decide(req, nodes)->node_id];
  EXPECT_EQ(picks["a"], 3);
  EXPECT_EQ(picks["b"], 3);
  EXPECT_EQ(picks["c"], 3);
}

TEST(LeastLoadedPolicyTest, NoEligibleNodeSaysWhy) {
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  req.required_features = {"avx512f"};
  std::vector<NodeView> nodes = {Node("a"), Node("b")};
  nodes[1].healthy = false;
  auto d = p.Decide(req, nodes);
  EXPECT_EQ(d.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), ::testing::HasSubstr("1 lacks avx512f"));
  EXPECT_THAT(d.status().message(), ::testing::HasSubstr("1 unhealthy"));
  EXPECT_EQ(p.Decide(req, {}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(PolicyTableTest, MakesKnownPoliciesAndNamesThemOnError) {
  EXPECT_EQ((*MakePolicy("least-loaded"))->name(), "least-loaded");
  auto bad = MakePolicy("psychic");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("least-loaded"));
}

}  // namespace
}  // namespace tailor::models
