// ChooseByClass: a request that scores every node (a ranking of thousands of nodes) lists and
// scores them exactly as the walk of a small cluster does, in the same order.
#include "models/eligibility.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/cluster_index.h"
#include "tests/models/test_cluster.h"

namespace tailor::models {
namespace {

using testing::NodeOfClass;
using testing::TestClass;

// Three classes of four nodes: "a" and "b" have AES-NI, "plain" does not. Loads differ and
// some nodes were chosen before, so the walks' order is neither slot nor name order.
ClusterIndex MixedCluster() {
  ClusterIndex cluster;
  const std::vector<HostClassInfo> classes = {TestClass("a", {"aes"}), TestClass("plain", {}),
                                              TestClass("b", {"aes"})};
  const uint32_t millicores[] = {2000, 0, 3000, 1000};
  for (const auto& cls : classes) {
    for (int i = 0; i < 4; ++i) {
      const std::string id = cls.name + "-" + std::to_string(i);
      cluster.Upsert(NodeOfClass(cls, id, {8ull << 30, 4000}), cls);
      cluster.SetAllocated(id, {1ull << 30, millicores[i]});
    }
  }
  cluster.MarkChosen("a-1");
  cluster.SetAllocated("b-2", {9ull << 30, 1000});  // memory full for anything more
  return cluster;
}

// A slot keeps its node for good: a node removed and registered again gets a new slot, and
// removals are counted (what lets a caller trust slots it looked up before).
TEST(ClusterIndexTest, ARemovedNodeComesBackInANewSlotAndRemovalsAreCounted) {
  ClusterIndex cluster = MixedCluster();
  const uint32_t slot = cluster.SlotOf("a-2").value();
  const size_t slots = cluster.slot_count();
  EXPECT_EQ(cluster.removals(), 0u);
  cluster.Remove("nope");
  EXPECT_EQ(cluster.removals(), 0u);
  cluster.Remove("a-2");
  EXPECT_EQ(cluster.removals(), 1u);
  EXPECT_FALSE(cluster.live(slot));
  const HostClassInfo a = TestClass("a", {"aes"});
  cluster.Upsert(NodeOfClass(a, "a-2", {8ull << 30, 4000}), a);
  EXPECT_EQ(cluster.SlotOf("a-2"), slots);
  EXPECT_EQ(cluster.slot_count(), slots + 1);
}

// A class counts its nodes that take placements now, as leases lapse and come back, nodes
// drain or stop, and nodes leave; a re-index (a new allocation) does not count a node twice.
TEST(ClusterIndexTest, AClassCountsTheNodesThatTakePlacementsNow) {
  ClusterIndex cluster = MixedCluster();
  auto serving = [&](const std::string& cls) { return cluster.FindClass(cls)->serving; };
  EXPECT_EQ(serving("a"), 4u);
  cluster.SetHealthy("a-0", false);
  cluster.SetHealthy("a-0", false);
  cluster.SetAllocated("a-0", {1ull << 30, 3000});
  EXPECT_EQ(serving("a"), 3u);
  const HostClassInfo a = TestClass("a", {"aes"});
  NodeView draining = NodeOfClass(a, "a-1", {8ull << 30, 4000});
  draining.draining = true;
  cluster.Upsert(draining, a);
  NodeView stopping = NodeOfClass(a, "a-2", {8ull << 30, 4000});
  stopping.stopping = true;
  cluster.Upsert(stopping, a);
  EXPECT_EQ(serving("a"), 1u);
  cluster.Remove("a-3");
  EXPECT_EQ(serving("a"), 0u);
  cluster.SetHealthy("a-0", true);
  EXPECT_EQ(serving("a"), 1u);
  EXPECT_EQ(serving("b"), 4u);
}

struct Listed {
  std::vector<std::string> ids;
  std::vector<bool> eligible;
  std::vector<Ineligible> why;
  std::vector<double> scores;
};

Listed ListedBy(const PlacementRequest& request, const ClusterIndex& cluster, WalkOrder order) {
  const NodeScorer share = [](uint32_t, const NodeView& node, CandidateScore& c) {
    c.score = node.allocated.cpu_millicores / 1000.0 > 1.5 ? 1.0 : 0.0;  // many ties
  };
  auto decided = ChooseByClass(request, cluster, Allocation{1ull << 30, 500}, order, share);
  EXPECT_TRUE(decided.ok()) << decided.status();
  Listed out;
  if (!decided.ok()) return out;
  for (const auto& c : decided->candidates) {
    out.ids.push_back(c.node_id);
    out.eligible.push_back(c.eligible);
    out.why.push_back(c.why);
    out.scores.push_back(c.score);
  }
  return out;
}

TEST(ChooseByClassTest, ScoringEveryNodeListsThemAsTheWalkOfASmallClusterDoes) {
  const ClusterIndex cluster = MixedCluster();
  ASSERT_LE(cluster.size(), kExplainAllNodesUpTo);  // the walk explains every node here
  for (const WalkOrder order : {WalkOrder::kLeastLoadedFirst, WalkOrder::kMostLoadedFirst}) {
    for (const std::unordered_set<std::string>& warm :
         {std::unordered_set<std::string>{}, std::unordered_set<std::string>{"a-3", "plain-0"}}) {
      PlacementRequest walked;
      walked.function.name = "f";
      walked.required_features = {"aes"};
      walked.warm_node_ids = warm;
      PlacementRequest every = walked;
      every.score_every_node = true;
      const Listed a = ListedBy(walked, cluster, order);
      const Listed b = ListedBy(every, cluster, order);
      ASSERT_EQ(a.ids.size(), 12u);
      EXPECT_EQ(b.ids, a.ids);
      EXPECT_EQ(b.eligible, a.eligible);
      EXPECT_EQ(b.why, a.why);
      EXPECT_EQ(b.scores, a.scores);
    }
  }
}

// A caller that reads candidates by slot (the Kubernetes extender) gets them in slot order,
// each with the score and reason it has in the walks' order, without the node's id and class
// name (its slot names both), and the decision names its node and slot.
TEST(ChooseByClassTest, CandidatesBySlotAreTheSameCandidatesUnsortedAndUnnamed) {
  const ClusterIndex cluster = MixedCluster();
  PlacementRequest walked;
  walked.function.name = "f";
  walked.required_features = {"aes"};
  walked.warm_node_ids = {"a-3"};
  walked.score_every_node = true;
  PlacementRequest by_slot = walked;
  by_slot.candidates_by_slot = true;
  const NodeScorer share = [](uint32_t, const NodeView& node, CandidateScore& c) {
    c.score = node.allocated.cpu_millicores / 1000.0;
  };
  auto a = ChooseByClass(walked, cluster, Allocation{1ull << 30, 500}, WalkOrder::kMostLoadedFirst,
                         share);
  auto b = ChooseByClass(by_slot, cluster, Allocation{1ull << 30, 500}, WalkOrder::kMostLoadedFirst,
                         share);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(b->candidates.size(), a->candidates.size());
  std::vector<const CandidateScore*> of_slot(cluster.slot_count(), nullptr);
  for (const auto& c : a->candidates) of_slot[c.slot] = &c;
  bool walk_differs = false;
  for (size_t k = 0; k < b->candidates.size(); ++k) {
    const CandidateScore& c = b->candidates[k];
    EXPECT_EQ(c.slot, k) << "slot order";
    ASSERT_NE(of_slot[c.slot], nullptr);
    const std::string& id = of_slot[c.slot]->node_id;
    EXPECT_EQ(cluster.node(c.slot).node_id, id);
    EXPECT_EQ(cluster.classes()[cluster.class_index(c.slot)].info.name,
              of_slot[c.slot]->host_class);
    EXPECT_TRUE(c.node_id.empty() && c.host_class.empty()) << id << ": read by slot, unnamed";
    EXPECT_EQ(c.eligible, of_slot[c.slot]->eligible) << id;
    EXPECT_EQ(c.why, of_slot[c.slot]->why) << id;
    EXPECT_EQ(c.score, of_slot[c.slot]->score) << id;
    walk_differs = walk_differs || a->candidates[k].slot != k;
  }
  EXPECT_TRUE(walk_differs) << "the walks' order is not slot order here";
  EXPECT_EQ(b->node_id, "a-1") << "the lowest score: 0 millicores on an eligible node";
  ASSERT_NE(b->slot, CandidateScore::kNoSlot);
  EXPECT_EQ(cluster.node(b->slot).node_id, "a-1");
  EXPECT_EQ(a->slot, b->slot);
}

TEST(ChooseByClassTest, ScoringEveryNodeChoosesTheLowestScoreAndGivesEachNodeItsReason) {
  const ClusterIndex cluster = MixedCluster();
  PlacementRequest request;
  request.function.name = "f";
  request.required_features = {"aes"};
  request.score_every_node = true;
  const NodeScorer busiest_best = [](uint32_t, const NodeView& node, CandidateScore& c) {
    c.score = 4000.0 - node.allocated.cpu_millicores;
  };
  auto decided = ChooseByClass(request, cluster, Allocation{1ull << 30, 500},
                               WalkOrder::kLeastLoadedFirst, busiest_best);
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(decided->node_id, "a-2");  // the busiest eligible node: 3000 millicores
  for (const auto& c : decided->candidates) {
    if (c.host_class == "plain") {
      EXPECT_EQ(c.why, Ineligible::kLacksFeature) << c.node_id;
    }
    if (c.node_id == "b-2") {
      EXPECT_EQ(c.why, Ineligible::kMemoryFull);
    }
  }
}

TEST(ChooseByClassTest, ScoringEveryNodeSaysWhichNodesTheRequestDidNotAskAbout) {
  const ClusterIndex cluster = MixedCluster();
  PlacementRequest request;
  request.function.name = "f";
  request.required_features = {"aes"};
  request.allowed_node_ids = {"a-0", "plain-1", "b-3"};
  request.score_every_node = true;
  const NodeScorer zero = [](uint32_t, const NodeView&, CandidateScore& c) { c.score = 0; };
  auto decided = ChooseByClass(request, cluster, Allocation{1ull << 30, 500},
                               WalkOrder::kLeastLoadedFirst, zero);
  ASSERT_TRUE(decided.ok()) << decided.status();
  ASSERT_EQ(decided->candidates.size(), 12u);
  size_t not_asked = 0;
  for (const auto& c : decided->candidates) {
    const bool asked = request.allowed_node_ids.contains(c.node_id);
    EXPECT_EQ(c.why == Ineligible::kNotCandidate, !asked) << c.node_id;
    not_asked += !asked;
  }
  EXPECT_EQ(not_asked, 9u);
  EXPECT_EQ(decided->node_id, "a-0");  // b-3 scores the same but its class comes later
}

}  // namespace
}  // namespace tailor::models
