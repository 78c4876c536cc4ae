#include "models/round_robin_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/least_loaded_policy.h"
#include "models/policy_table.h"
#include "tests/models/test_cluster.h"

namespace tailor::models {
namespace {

using testing::TestClass;
using testing::TestNode;

std::vector<std::string> Picks(RoundRobinPolicy& p, const PlacementRequest& req,
                               const ClusterIndex& index, int count) {
  std::vector<std::string> picks;
  for (int i = 0; i < count; ++i) {
    auto d = p.Decide(req, index);
    if (!d.ok()) {
      picks.push_back("error");
      continue;
    }
    picks.push_back(d->node_id);
  }
  return picks;
}

TEST(RoundRobinPolicyTest, CyclesThroughNodesRegardlessOfLoadOrSpeed) {
  ClusterIndex index;
  index.Upsert(TestNode("old", "slow"), TestClass("slow", {}));
  index.Upsert(TestNode("mid", "mid"), TestClass("mid"));
  index.Upsert(TestNode("new", "fast"), TestClass("fast", {"aes", "sha_ni"}));
  index.SetAllocated("new", {0, 1000});  // load does not matter while there is room
  RoundRobinPolicy p;
  PlacementRequest req;
  req.function.name = "aes-gcm";
  req.function.memory_hint_bytes = 64ull << 20;
  EXPECT_THAT(Picks(p, req, index, 6),
              ::testing::ElementsAre("old", "mid", "new", "old", "mid", "new"));
  auto d = p.Decide(req, index);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->allocation.memory_limit_bytes, 64ull << 20);
  EXPECT_EQ(d->allocation.cpu_millicores, kDefaultCpuMillicores);
  EXPECT_EQ(d->predicted_duration_ms, 0) << "round-robin predicts nothing";
  EXPECT_FALSE(d->explored);
}

TEST(RoundRobinPolicyTest, SkipsNodesThatCannotTakeTheInvocationAndSaysWhy) {
  ClusterIndex index;
  index.Upsert(TestNode("a", "x"), TestClass("x"));
  index.Upsert(TestNode("b", "x"), TestClass("x"));
  index.Upsert(TestNode("c", "y"), TestClass("y", {"aes", "sha_ni"}));
  index.SetAllocated("b", {0, 4000});  // full
  RoundRobinPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  EXPECT_THAT(Picks(p, req, index, 4), ::testing::ElementsAre("a", "c", "a", "c"));

  // Starting at b (full): the explanation lists b with its reason, then the chosen c.
  RoundRobinPolicy q;
  ASSERT_TRUE(q.Decide(req, index).ok());  // a
  auto d = q.Decide(req, index);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node_id, "c");
  ASSERT_EQ(d->candidates.size(), 2u);
  EXPECT_EQ(d->candidates[0].node_id, "b");
  EXPECT_FALSE(d->candidates[0].eligible);
  EXPECT_FALSE(d->candidates[0].reason.empty());
  EXPECT_TRUE(d->candidates[1].eligible);

  req.required_features = {"sha_ni"};
  EXPECT_THAT(Picks(p, req, index, 2), ::testing::ElementsAre("c", "c"));
  index.SetHealthy("c", false);
  auto none = p.Decide(req, index);
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(none.status().message(), ::testing::HasSubstr("2 lacks sha_ni"));
  EXPECT_THAT(none.status().message(), ::testing::HasSubstr("1 unhealthy"));
}

TEST(RoundRobinPolicyTest, LargeClustersExplainOnlyTheChoiceButStillCountFailures) {
  ClusterIndex index;
  for (int i = 0; i < 100; ++i) {
    std::string id = "n";
    id += std::to_string(i);
    index.Upsert(TestNode(id, "x"), TestClass("x"));
  }
  RoundRobinPolicy p;
  PlacementRequest req;
  req.function.name = "f";
  auto d = p.Decide(req, index);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->candidates.size(), 1u);
  req.required_features = {"avx512f"};
  auto none = p.Decide(req, index);
  EXPECT_THAT(none.status().message(), ::testing::HasSubstr("100 lacks avx512f"));
}

TEST(RoundRobinPolicyTest, IsInThePolicyTable) {
  auto p = MakePolicy("round-robin");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->name(), "round-robin");
  EXPECT_THAT(PolicyNames(), ::testing::Contains("round-robin"));
}

}  // namespace
}  // namespace tailor::models
