// What `tailorctl top` draws from one snapshot: nodes with their load and how many of the shown
// decisions went to each, then the decisions newest first with prediction against
// measurement and their outcome; and the JSON form.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/top_command.h"

namespace tailor::cli {
namespace {

using ::testing::HasSubstr;

TopSnapshot Snapshot() {
  TopSnapshot s;
  s.scheduler = "127.0.0.1:7400";
  auto* n = s.nodes.add_nodes();
  n->set_node_id("new-host");
  n->set_health(v1::NODE_HEALTH_HEALTHY);
  n->set_last_heartbeat_unix_ms(99'000);
  n->mutable_load()->set_running_invocations(2);
  n->mutable_load()->set_cpu_utilization(0.5);
  (*n->mutable_inventory()->mutable_cpu_features())["sha_ni"] = true;
  auto* old = s.nodes.add_nodes();
  old->set_node_id("old-host");
  old->set_health(v1::NODE_HEALTH_UNHEALTHY);
  s.decisions.set_decisions_kept(40);
  auto* d = s.decisions.add_decisions();
  d->set_decision_id("d2");
  d->set_function_name("sha256");
  d->set_node_id("new-host");
  d->set_policy("performance");
  d->set_decided_unix_ms(98'500);
  d->set_predicted_duration_ms(48.2);
  d->set_reported(true);
  d->set_measured_duration_ms(51.0);
  d->set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  d->mutable_allocation()->set_cpu_millicores(900);
  auto* e = s.decisions.add_decisions();
  e->set_decision_id("d1");
  e->set_function_name("sha256");
  e->set_node_id("new-host");
  e->set_policy("performance");
  e->set_explored(true);
  e->set_decided_unix_ms(98'000);
  return s;
}

TEST(TopViewTest, NodesAndNewestDecisions) {
  const std::string view = RenderTop(Snapshot(), 100'000);
  EXPECT_THAT(view, HasSubstr("nodes 1/2 healthy  running 2"));
  EXPECT_THAT(view, HasSubstr("Newest decisions (2 of 40 kept"));
  // The node rows: health, CPU, and the 2 shown decisions counted on new-host.
  EXPECT_THAT(view, ::testing::ContainsRegex("new-host +healthy +1s ago +50% .* 2 +0 +2 +sha_ni"));
  EXPECT_THAT(view, ::testing::ContainsRegex("old-host +unhealthy"));
  // Decisions: age, prediction against measurement, outcome; the unreported one is running.
  EXPECT_THAT(view, ::testing::ContainsRegex("1.5s +sha256 +new-host +performance +48.2 ms +51.0 ms +ok"));
  EXPECT_THAT(view, ::testing::ContainsRegex("2.0s +sha256 +new-host +performance +yes +- +- +running"));
  EXPECT_LT(view.find("d2"), view.find("d1")) << "newest first";
}

TEST(TopViewTest, EmptyClusterSaysSo) {
  TopSnapshot empty;
  empty.scheduler = "x";
  const std::string view = RenderTop(empty, 0);
  EXPECT_THAT(view, HasSubstr("(no nodes registered yet)"));
  EXPECT_THAT(view, HasSubstr("(no decisions yet)"));
}

TEST(TopViewTest, JsonCarriesBothListsWithProtoFieldNames) {
  auto j = nlohmann::json::parse(RenderTopJson(Snapshot(), true));
  EXPECT_EQ(j["scheduler"], "127.0.0.1:7400");
  EXPECT_EQ(j["nodes"]["nodes"][0]["node_id"], "new-host");
  EXPECT_EQ(j["decisions"]["decisions"][0]["measured_duration_ms"], 51.0);
  EXPECT_EQ(j["decisions"]["decisions"][1]["explored"], true);
  // One line per refresh when not pretty (a stream of views).
  const std::string line = RenderTopJson(Snapshot(), false);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace tailor::cli
