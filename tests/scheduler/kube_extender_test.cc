#include "scheduler/kube_extender.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "scheduler/host_class.h"
#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

using ::testing::ElementsAre;
using testing::GoodReport;
using ::testing::HasSubstr;
using testing::MakeBundle;
using testing::NodeWith;
using json = nlohmann::json;

using testing::kGiB;

TEST(ExtenderScoresTest, TheBestGetsTenAndTwiceAsSlowAboutHalf) {
  EXPECT_THAT(ExtenderScores({10, 20, 10.5, 100}), ElementsAre(10, 5, 10, 1));
  // Scores that are not all positive spread linearly from best to worst.
  EXPECT_THAT(ExtenderScores({-0.5, 0, -1}), ElementsAre(5, 0, 10));
  EXPECT_THAT(ExtenderScores({std::numeric_limits<double>::infinity(), 3}), ElementsAre(0, 10));
  EXPECT_THAT(ExtenderScores({}), ElementsAre());
}

// Two host classes: "fast-*" nodes with AES-NI where the function runs in 10 ms, "slow-*"
// nodes without where it took 40 ms. 8 GiB, 4 cores each.
class KubeExtenderTest : public testing::SchedulerDbTest {
 protected:
  void SetUp() override {
    SchedulerDbTest::SetUp();
    functions_ = FunctionRegistry::Open(db_path_, dir_.File("data"), {}, clock_).value();
    ASSERT_TRUE(functions_->Deploy("default", MakeBundle(dir_, "resize", "1"), "").ok());
    placer_ = Placer::Create({}, nodes_, *functions_, clock_).value();
    for (const char* id : {"fast-1", "fast-2"}) {
      ASSERT_TRUE(nodes_.Register(NodeWith(id, 4, 8 * kGiB, {"aes", "avx2"})).ok());
    }
    ASSERT_TRUE(nodes_.Register(NodeWith("slow-1", 4, 8 * kGiB, {"avx2"})).ok());
    const std::string fast =
        HostClassOf(NodeWith("fast-1", 4, 8 * kGiB, {"aes", "avx2"}).inventory());
    const std::string slow = HostClassOf(NodeWith("slow-1", 4, 8 * kGiB, {"avx2"}).inventory());
    for (int i = 0; i < 20; ++i) {
      placer_->Learn(GoodReport("f" + std::to_string(i), "resize", "fast-1", 1000, 10'000), fast);
      placer_->Learn(GoodReport("s" + std::to_string(i), "resize", "slow-1", 1000, 40'000), slow);
    }
    extender_ = std::make_unique<KubeExtender>(*placer_, KubeExtender::Options{});
  }

  static std::string Pod(const std::string& labels, const std::string& requests = "{}") {
    return R"({"metadata":{"name":"p","namespace":"ns","labels":)" + labels +
           R"(},"spec":{"containers":[{"resources":{"requests":)" + requests + "}}]}}";
  }
  static std::string WithNames(const std::string& pod, const std::string& names) {
    return R"({"Pod":)" + pod + R"(,"Nodes":null,"NodeNames":)" + names + "}";
  }

  static KubernetesNodes::NameList Names(std::vector<std::string> names) {
    return std::make_shared<const std::vector<std::string>>(std::move(names));
  }

  static PlaceInput Input(const std::string& function, std::vector<std::string> candidates = {},
                          std::vector<std::string> required = {}, const std::string& policy = "") {
    PlaceInput in;
    in.function_name = function;
    in.candidate_node_ids = std::move(candidates);
    in.required_features = std::move(required);
    in.policy = policy;
    return in;
  }

  NodeRegistry nodes_{NodeRegistry::Options{}, clock_, nullptr};
  std::unique_ptr<FunctionRegistry> functions_;
  std::unique_ptr<Placer> placer_;
  std::unique_ptr<KubeExtender> extender_;
};

TEST_F(KubeExtenderTest, FilterRulesOutNodesLackingARequiredFeatureForGood) {
  const auto answer = extender_->Filter(
      WithNames(Pod(R"({"tailor.dev/function":"resize","tailor.dev/requires":"aes"})"),
                R"(["fast-1","slow-1","gpu-7"])"));
  ASSERT_EQ(answer.http_status, 200);
  const json r = json::parse(answer.body);
  EXPECT_EQ(r["Error"], "");
  EXPECT_TRUE(r["Nodes"].is_null());
  // gpu-7 is not a node Tailor knows: it passes.
  EXPECT_EQ(r["NodeNames"], json::array({"fast-1", "gpu-7"}));
  EXPECT_EQ(r["FailedNodes"], json::object());
  EXPECT_THAT(r["FailedAndUnresolvableNodes"]["slow-1"].get<std::string>(), HasSubstr("lacks aes"));
}

TEST_F(KubeExtenderTest, FilterRulesOutNodesSmallerThanThePodsRequests) {
  const auto answer = extender_->Filter(WithNames(
      Pod(R"({"tailor.dev/function":"resize"})", R"({"memory":"16Gi"})"), R"(["fast-1"])"));
  const json r = json::parse(answer.body);
  EXPECT_EQ(r["NodeNames"], json::array());
  EXPECT_THAT(r["FailedAndUnresolvableNodes"]["fast-1"].get<std::string>(),
              HasSubstr("smaller than the allocation"));
}

TEST_F(KubeExtenderTest, FilterFailsADrainedNodeAsOneThatMayComeBack) {
  ASSERT_TRUE(nodes_.SetDraining("fast-2", true).ok());
  const json r = json::parse(
      extender_->Filter(WithNames(Pod(R"({"tailor.dev/function":"resize"})"), R"(["fast-2"])"))
          .body);
  EXPECT_THAT(r["FailedNodes"]["fast-2"].get<std::string>(), HasSubstr("draining"));
  EXPECT_EQ(r["FailedAndUnresolvableNodes"], json::object());
}

TEST_F(KubeExtenderTest, APodThatIsNotAFunctionPassesUntouchedInBothModes) {
  const auto names =
      extender_->Filter(WithNames(Pod(R"({"app":"web"})"), R"(["slow-1","fast-1"])"));
  EXPECT_EQ(json::parse(names.body)["NodeNames"], json::array({"slow-1", "fast-1"}));
  const std::string list =
      R"({"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[)"
      R"({"metadata":{"name":"slow-1","labels":{"zone":"b"}},"status":{"allocatable":{"cpu":"4"}}},)"
      R"({"metadata":{"name":"fast-1"}}]})";
  const json sent = json::parse(list);
  const json r = json::parse(
      extender_->Filter(R"({"Pod":)" + Pod(R"({"app":"web"})") + R"(,"Nodes":)" + list + "}").body);
  EXPECT_EQ(r["Nodes"], sent);  // sent back as it came, every field kept
  EXPECT_TRUE(r["NodeNames"].is_null());
  const json scores = json::parse(
      extender_->Prioritize(WithNames(Pod(R"({"app":"web"})"), R"(["slow-1","fast-1"])")).body);
  EXPECT_EQ(scores, json::parse(R"([{"Host":"slow-1","Score":0},{"Host":"fast-1","Score":0}])"));
}

TEST_F(KubeExtenderTest, NodeNamesComeBackExactlyWhateverTheyHoldInBothVerbs) {
  // Quotes, backslashes, control characters and non-ASCII text, escaped as JSON must escape
  // them: the answers are written by hand.
  const std::string names = R"(["a\"b","c\\d","e\u0001f","n\u00e9ud","fast-1"])";
  const json expected = json::parse(names);
  for (const std::string& labels :
       {std::string(R"({"app":"web"})"), std::string(R"({"tailor.dev/function":"resize"})")}) {
    const json filtered = json::parse(extender_->Filter(WithNames(Pod(labels), names)).body);
    EXPECT_EQ(filtered["NodeNames"], expected) << labels;  // unknown nodes pass too
    const json scores = json::parse(extender_->Prioritize(WithNames(Pod(labels), names)).body);
    ASSERT_EQ(scores.size(), expected.size()) << labels;
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(scores[i]["Host"], expected[i]);
  }
  // With a node failed, the passing names are written one by one; from a NodeList, the names
  // read from its Nodes are escaped again.
  const std::string requires_aes =
      Pod(R"({"tailor.dev/function":"resize","tailor.dev/requires":"aes"})");
  const std::string with_slow = R"(["a\"b","slow-1","n\u00e9ud"])";
  const json filtered = json::parse(extender_->Filter(WithNames(requires_aes, with_slow)).body);
  EXPECT_EQ(filtered["NodeNames"], json::array({"a\"b", "n\u00e9ud"}));
  const std::string list =
      R"({"items":[{"metadata":{"name":"c\\d"}},{"metadata":{"name":"e\u0001f"}}]})";
  const json scores = json::parse(
      extender_->Prioritize(R"({"Pod":)" + requires_aes + R"(,"Nodes":)" + list + "}").body);
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_EQ(scores[0]["Host"], "c\\d");
  EXPECT_EQ(scores[1]["Host"], "e\u0001f");
}

TEST_F(KubeExtenderTest, AFullNodeListKeepsOnlyThePassingNodes) {
  const std::string list =
      R"({"items":[{"metadata":{"name":"slow-1"}},{"metadata":{"name":"fast-1","uid":"u1"}}]})";
  const json r = json::parse(
      extender_
          ->Filter(R"({"Pod":)" +
                   Pod(R"({"tailor.dev/function":"resize","tailor.dev/requires":"aes"})") +
                   R"(,"Nodes":)" + list + "}")
          .body);
  EXPECT_EQ(r["Nodes"]["items"], json::parse(R"([{"metadata":{"name":"fast-1","uid":"u1"}}])"));
  EXPECT_THAT(r["FailedAndUnresolvableNodes"]["slow-1"].get<std::string>(), HasSubstr("lacks aes"));
}

TEST_F(KubeExtenderTest, ProblemsAreSaidInErrorWithStatus200) {
  const auto unknown =
      extender_->Filter(WithNames(Pod(R"({"tailor.dev/function":"nope"})"), R"(["fast-1"])"));
  EXPECT_EQ(unknown.http_status, 200);
  EXPECT_THAT(json::parse(unknown.body)["Error"].get<std::string>(),
              HasSubstr("pod ns/p: function 'nope' is not deployed"));
  const auto bad = extender_->Filter("{");
  EXPECT_EQ(bad.http_status, 200);
  EXPECT_THAT(json::parse(bad.body)["Error"].get<std::string>(), HasSubstr("not a JSON object"));
  // Prioritize has no Error field: a bad body is a 400; an unknown function scores nothing.
  EXPECT_EQ(extender_->Prioritize("{").http_status, 400);
  const auto zero =
      extender_->Prioritize(WithNames(Pod(R"({"tailor.dev/function":"nope"})"), R"(["fast-1"])"));
  EXPECT_EQ(zero.http_status, 200);
  EXPECT_EQ(json::parse(zero.body), json::parse(R"([{"Host":"fast-1","Score":0}])"));
}

TEST_F(KubeExtenderTest, PrioritizeFavoursTheClassTheFunctionRunsFasterOn) {
  const json r = json::parse(extender_
                                 ->Prioritize(WithNames(Pod(R"({"tailor.dev/function":"resize"})"),
                                                        R"(["slow-1","fast-1","fast-2","gpu-7"])"))
                                 .body);
  ASSERT_EQ(r.size(), 4u);
  std::map<std::string, int64_t> score;
  for (const auto& h : r) score[h["Host"]] = h["Score"];
  EXPECT_EQ(score["fast-1"], 10);
  EXPECT_EQ(score["fast-2"], 10);
  EXPECT_GE(score["slow-1"], 1);
  EXPECT_LE(score["slow-1"], 4);  // about 4x slower
  // The unknown node scores the known nodes' mean: neither failed nor favoured.
  EXPECT_EQ(score["gpu-7"], (20 + score["slow-1"]) / 3);
}

TEST_F(KubeExtenderTest, PrioritizeFollowsTheLoadTailorsOwnPlacementsPutOnANode) {
  // Two placements through Place hold 2 of fast-1's 4 cores: fast-2, idle, now ranks first
  // (this function showed no load sensitivity yet, so both score alike: the less loaded node
  // comes first, as Place would choose it).
  PlaceInput in;
  in.function_name = "resize";
  in.candidate_node_ids = {"fast-1"};
  ASSERT_TRUE(placer_->Place(in).ok());
  ASSERT_TRUE(placer_->Place(in).ok());
  auto ranking = placer_->Rank(Input("resize"));
  ASSERT_TRUE(ranking.ok()) << ranking.status();
  ASSERT_EQ(ranking->nodes.size(), 3u);
  EXPECT_EQ(ranking->nodes[0].node_id, "fast-2");
  EXPECT_EQ(ranking->nodes[1].node_id, "fast-1");
  EXPECT_EQ(ranking->nodes[2].node_id, "slow-1");
  EXPECT_NEAR(ranking->nodes[2].predicted_duration_ms, 40, 8);
}

TEST_F(KubeExtenderTest, RankWithNoEligibleNodeGivesEveryNodesReason) {
  auto ranking = placer_->Rank(Input("resize", {"slow-1", "fast-1"}, {"avx512f"}));
  ASSERT_TRUE(ranking.ok()) << ranking.status();
  ASSERT_EQ(ranking->nodes.size(), 2u);
  for (const auto& n : ranking->nodes) {
    EXPECT_FALSE(n.eligible);
    EXPECT_EQ(n.why, models::Ineligible::kLacksFeature);
    EXPECT_EQ(n.reason, "lacks avx512f");
  }
  EXPECT_EQ(placer_->Rank(Input("nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(placer_->Rank(Input("resize", {}, {}, "nope")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(KubeExtenderTest, KubernetesNodesAreJudgedAndScoredAsRankDoesInTheOrderNamed) {
  // fast-1 is drained (may come back), slow-1 lacks AES-NI (never), fast-2 is fine (and
  // named twice); gpu-7 is unknown.
  ASSERT_TRUE(nodes_.SetDraining("fast-1", true).ok());
  const std::vector<std::string> names = {"slow-1", "fast-1", "fast-2", "gpu-7", "fast-2"};
  const PlaceInput in = Input("resize", names, {"aes"});
  auto ranked = placer_->Rank(in);
  ASSERT_TRUE(ranked.ok()) << ranked.status();
  std::map<std::string, const RankedNode*> rank_says;
  for (const auto& n : ranked->nodes) rank_says[n.node_id] = &n;
  for (const bool scored : {false, true}) {
    auto verdicts =
        placer_->JudgeKubernetesNodes(Input("resize", {}, {"aes"}), Names(names), scored);
    ASSERT_TRUE(verdicts.ok()) << verdicts.status();
    ASSERT_EQ(verdicts->size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      const NodeVerdict& v = (*verdicts)[i];
      SCOPED_TRACE(names[i] + (scored ? " scored" : " judged"));
      if (names[i] == "gpu-7") {
        EXPECT_FALSE(v.known);
        EXPECT_FALSE(v.eligible);
        continue;
      }
      ASSERT_TRUE(v.known);
      const RankedNode& r = *rank_says.at(names[i]);
      EXPECT_EQ(v.eligible, r.eligible);
      EXPECT_EQ(v.why, r.why);
      EXPECT_EQ(v.reason, r.reason);
      EXPECT_EQ(v.score, scored ? r.score : 0);
    }
    EXPECT_EQ((*verdicts)[2].why, models::Ineligible::kNone);
    EXPECT_EQ((*verdicts)[1].why, models::Ineligible::kDraining);
    EXPECT_EQ((*verdicts)[0].why, models::Ineligible::kLacksFeature);
  }
  EXPECT_GT((*placer_->JudgeKubernetesNodes(Input("resize"), Names({"fast-2"}), true))[0].score, 0);
  EXPECT_EQ(placer_->JudgeKubernetesNodes(Input("nope"), Names(names), false).status().code(),
            StatusCode::kNotFound);
}

TEST_F(KubeExtenderTest, ANodeJoiningOrLeavingBetweenPodsIsSeenThoughTheNamesAreTheSame) {
  // kube-scheduler names the same nodes pod after pod; the answer follows the cluster, whether
  // the names come in the same list object (one HTTP thread) or in copies (several).
  for (const bool same_object : {true, false}) {
    SCOPED_TRACE(same_object ? "the same list object" : "copies of the list");
    const std::string added = same_object ? "new-1" : "new-2";
    const auto names = Names({"fast-1", added, "slow-1"});
    auto known = [&] {
      std::vector<bool> out;
      const auto verdicts = placer_->JudgeKubernetesNodes(
          Input("resize"), same_object ? names : Names(*names), false);
      for (const auto& v : verdicts.value()) out.push_back(v.known);
      return out;
    };
    EXPECT_THAT(known(), ElementsAre(true, false, true));
    ASSERT_TRUE(nodes_.Register(NodeWith(added, 4, 8 * kGiB, {"aes", "avx2"})).ok());
    EXPECT_THAT(known(), ElementsAre(true, true, true));
    ASSERT_TRUE(nodes_.Deregister("slow-1").ok());
    EXPECT_THAT(known(), ElementsAre(true, true, false));
    ASSERT_TRUE(nodes_.Register(NodeWith("slow-1", 4, 8 * kGiB, {"avx2"})).ok());
    EXPECT_THAT(known(), ElementsAre(true, true, true));
  }
}

TEST_F(KubeExtenderTest, AnAgentsKubernetesNodeNameFollowsItWhenItMoves) {
  v1::RegisterRequest moved = NodeWith("agent-7", 4, 8 * kGiB, {"aes", "avx2"});
  moved.mutable_inventory()->set_kubernetes_node("k8s-a");
  ASSERT_TRUE(nodes_.Register(moved).ok());
  const std::vector<std::string> names = {"k8s-a", "k8s-b"};
  auto known = [&] {
    std::vector<bool> out;
    const auto verdicts = placer_->JudgeKubernetesNodes(Input("resize"), Names(names), true);
    for (const auto& v : verdicts.value()) out.push_back(v.known);
    return out;
  };
  EXPECT_THAT(known(), ElementsAre(true, false));
  moved.mutable_inventory()->set_kubernetes_node("k8s-b");
  ASSERT_TRUE(nodes_.Register(moved).ok());
  EXPECT_THAT(known(), ElementsAre(false, true));
}

}  // namespace
}  // namespace tailor::scheduler

namespace tailor::scheduler {
namespace {

TEST_F(KubeExtenderTest, ARegisteredFunctionsRequiredFeaturesHoldForEveryPlacementAndPod) {
  v1::RegisterFunctionRequest r;
  r.set_name("encrypt");
  r.set_version("1");
  r.set_timeout_ms(1000);
  r.add_required_features("aes");
  ASSERT_TRUE(functions_->Register("default", r).ok());
  for (int i = 0; i < 4; ++i) {
    auto p = placer_->Place(Input("encrypt"));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_NE(p->node_id, "slow-1");
  }
  const json f = json::parse(
      extender_->Filter(WithNames(Pod(R"({"tailor.dev/function":"encrypt"})"), R"(["slow-1"])"))
          .body);
  EXPECT_THAT(f["FailedAndUnresolvableNodes"]["slow-1"].get<std::string>(), HasSubstr("lacks aes"));
}

}  // namespace
}  // namespace tailor::scheduler
