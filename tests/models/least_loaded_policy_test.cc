#include "models/least_loaded_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "models/policy_table.h"
#include "tests/models/test_cluster.h"

namespace tailor::models {
namespace {

using testing::TestClass;
using testing::TestNode;

TEST(ClusterIndexTest, KeepsNodesByClassInLoadOrder) {
  ClusterIndex index;
  index.Upsert(TestNode("a", "x"), TestClass("x"));
  index.Upsert(TestNode("b", "x"), TestClass("x"));
  index.Upsert(TestNode("c", "y"), TestClass("y"));
  EXPECT_EQ(index.size(), 3u);
  ASSERT_EQ(index.classes().size(), 2u);
  index.SetAllocated("a", {0, 3000});
  const auto& x = index.classes()[0];
  EXPECT_EQ(index.node(std::get<2>(*x.by_load.begin())).node_id, "b");
  // A heartbeat (Upsert) keeps the allocation the owner set.
  index.Upsert(TestNode("a", "x"), TestClass("x"));
  EXPECT_EQ(index.Find("a")->allocated.cpu_millicores, 3000u);
  EXPECT_EQ(index.node(std::get<2>(*x.by_load.begin())).node_id, "b");
  // The feature vector: bias, one flag per model feature, L3, speed.
  EXPECT_EQ(x.feature_vector.size(), ModelFeatures().size() + 3);
  EXPECT_EQ(x.feature_vector[0], 1.0);
  EXPECT_EQ(x.feature_vector[1], 1.0);  // aes
}

TEST(LeastLoadedPolicyTest, PicksTheLeastAllocatedNode) {
  ClusterIndex index;
  for (const char* id : {"busy", "idle", "half"}) index.Upsert(TestNode(id, "x"), TestClass("x"));
  index.SetAllocated("busy", {0, 3000});
  index.SetAllocated("half", {0, 2000});
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  auto d = p.Decide(req, index);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "idle");
  EXPECT_EQ(d->allocation.memory_limit_bytes, kDefaultMemoryLimitBytes);
  ASSERT_EQ(d->candidates.size(), 3u) << "a small cluster explains every node";
}

TEST(LeastLoadedPolicyTest, EqualNodesTakeTurnsWithinAndAcrossClasses) {
  ClusterIndex index;
  index.Upsert(TestNode("a", "x"), TestClass("x"));
  index.Upsert(TestNode("b", "x"), TestClass("x"));
  index.Upsert(TestNode("c", "y"), TestClass("y"));
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  std::map<std::string, int> picks;
  for (int i = 0; i < 9; ++i) {
    auto d = p.Decide(req, index);
    ASSERT_TRUE(d.ok());
    index.MarkChosen(d->node_id);
    ++picks[d->node_id];
  }
  EXPECT_EQ(picks["a"], 3);
  EXPECT_EQ(picks["b"], 3);
  EXPECT_EQ(picks["c"], 3);
}

TEST(LeastLoadedPolicyTest, NoEligibleNodeSaysWhy) {
  ClusterIndex index;
  index.Upsert(TestNode("a", "x"), TestClass("x"));
  index.Upsert(TestNode("b", "y"), TestClass("y", {"aes", "avx512f"}));
  index.SetHealthy("b", false);
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  req.required_features = {"avx512f"};
  // The node with the feature is only unhealthy: waiting may help.
  auto d = p.Decide(req, index);
  EXPECT_EQ(d.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(d.status().reason(), ErrorReason::kNoCapacity);
  EXPECT_THAT(d.status().message(), ::testing::HasSubstr("1 lacks avx512f"));
  EXPECT_THAT(d.status().message(), ::testing::HasSubstr("1 unhealthy"));
  // No node has the feature at all: it will not pass.
  req.required_features = {"sha_ni"};
  auto never = p.Decide(req, index);
  EXPECT_EQ(never.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(never.status().reason(), ErrorReason::kDoesNotFit);
  req.required_features.clear();
  req.excluded_node_ids = {"a"};
  EXPECT_EQ(p.Decide(req, index).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(p.Decide(req, ClusterIndex()).status().code(), StatusCode::kUnavailable);
}

TEST(LeastLoadedPolicyTest, AStoppingNodeTakesNothingNewAndWaitingMayHelp) {
  ClusterIndex index;
  NodeView stopping = TestNode("a", "x");
  stopping.stopping = true;
  index.Upsert(stopping, TestClass("x"));
  index.Upsert(TestNode("b", "x"), TestClass("x"));
  index.SetAllocated("b", {0, 1000});  // the stopping node would otherwise be the idler one
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  auto d = p.Decide(req, index);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "b");
  // With only the stopping node left, the answer is "not now", not "never".
  req.excluded_node_ids = {"b"};
  auto none = p.Decide(req, index);
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(none.status().reason(), ErrorReason::kNoCapacity);
  EXPECT_THAT(none.status().message(), ::testing::HasSubstr("1 stopping"));
}

TEST(LeastLoadedPolicyTest, FullNodesAreResourceExhaustedAndTooSmallOnesDoNotFit) {
  ClusterIndex index;
  NodeView n = TestNode("a", "x");
  n.capacity = {512ull << 20, 1000};
  index.Upsert(n, TestClass("x"));
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";  // the static allocation: 256 MiB, one core
  index.SetAllocated("a", {384ull << 20, 0});
  auto full = p.Decide(req, index);
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(full.status().reason(), ErrorReason::kNoCapacity);
  index.SetAllocated("a", {});
  req.function.memory_hint_bytes = 1ull << 30;  // more than the node has
  auto too_big = p.Decide(req, index);
  EXPECT_EQ(too_big.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(too_big.status().reason(), ErrorReason::kDoesNotFit);
  EXPECT_THAT(too_big.status().message(), ::testing::HasSubstr("smaller than the allocation"));
}

TEST(LeastLoadedPolicyTest, LargeClustersExplainOneNodePerClass) {
  ClusterIndex index;
  for (int i = 0; i < 200; ++i) {
    const std::string cls = i % 2 ? "odd" : "even";
    std::string id = "n";  // built piecewise: GCC 12 warns on "lit" + std::string
    id += std::to_string(i);
    index.Upsert(TestNode(id, cls), TestClass(cls));
  }
  LeastLoadedPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  auto d = p.Decide(req, index);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->candidates.size(), 2u);
}

TEST(PolicyTableTest, MakesKnownPoliciesAndNamesThemOnError) {
  EXPECT_EQ((*MakePolicy("least-loaded"))->name(), "least-loaded");
  EXPECT_EQ(MakePolicy("performance", PolicySettings{.exploration = -1}).status().code(),
            StatusCode::kInvalidArgument);
  auto bad = MakePolicy("psychic");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("least-loaded"));
}

}  // namespace
}  // namespace tailor::models
