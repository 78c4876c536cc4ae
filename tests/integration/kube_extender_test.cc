// Tailor as kube-scheduler's extender on a real loopback cluster: agents that say which
// Kubernetes node they run on, a function registered for placement only and taught by a
// platform's reports, and filter/prioritize posted over real HTTP as kube-scheduler posts them
// (no token: kube-scheduler sends none), in both nodeCacheCapable modes.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "tailor/v1/placement.grpc.pb.h"
#include "tailor/v1/registry.grpc.pb.h"
#include "tests/support/loopback_cluster.h"

namespace tailor {
namespace {

using json = nlohmann::json;

class KubeExtenderTest : public testing::LoopbackCluster {
 protected:
  // kube-scheduler's request: no Authorization header.
  json Post(const std::string& verb, const json& args, int expected_status = 200) {
    httplib::Client http(http_.substr(0, http_.rfind(':')),
                         std::stoi(http_.substr(http_.rfind(':') + 1)));
    auto res = http.Post("/kube/v1/" + verb, args.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return json();
    EXPECT_EQ(res->status, expected_status) << res->body;
    return json::parse(res->body);
  }
  void RegisterForPlacement(const std::string& name) {
    auto registry = v1::Registry::NewStub(Channel());
    grpc::ClientContext ctx;
    v1::RegisterFunctionRequest r;
    r.set_name(name);
    r.set_version("1");
    r.set_timeout_ms(5000);
    v1::DeployResponse reply;
    grpc::Status s = registry->RegisterFunction(&ctx, r, &reply);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(reply.function().placement_only());
  }
  // What a platform reports after running a pod's function on a node.
  void ReportRun(const std::string& function, const std::string& node, int i, int64_t wall_ms) {
    grpc::Status s = ReportRunStatus(function, node, i, wall_ms);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  grpc::Status ReportRunStatus(const std::string& function, const std::string& node, int i,
                               int64_t wall_ms) {
    auto placement = v1::Placement::NewStub(Channel());
    grpc::ClientContext ctx;
    v1::ReportRequest req;
    v1::RunReport* r = req.mutable_report();
    r->set_invocation_id(node + "-run-" + std::to_string(i));
    r->set_function_name(function);
    r->set_node_id(node);
    r->set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
    r->set_wall_time_us(wall_ms * 1000);
    v1::ReportResponse reply;
    return placement->Report(&ctx, req, &reply);
  }
  static json Pod(const json& labels) {
    return {{"metadata", {{"name", "thumb-1"}, {"namespace", "faas"}, {"labels", labels}}},
            {"spec",
             {{"containers",
               json::array(
                   {{{"name", "fn"},
                     {"resources", {{"requests", {{"cpu", "250m"}, {"memory", "64Mi"}}}}}}})}}}};
  }
};

TEST_F(KubeExtenderTest, FilterAndPrioritizeOverHttpFollowWhatTheReportsTaught) {
  auto scheduler = StartScheduler("127.0.0.1:0", {"--kube-extender"});
  // As the DaemonSet runs them: node ids from their pods, the Kubernetes node they are on.
  agent_extra_args_ = {"--kubernetes-node", "k8s-node-new"};
  auto fast = StartAgent("tailor-agent-x7k2p", "new-host");
  agent_extra_args_ = {"--kubernetes-node", "k8s-node-old"};
  auto slow = StartAgent("tailor-agent-q9m4d", "old-host");
  WaitForNodes(2);
  RegisterForPlacement("thumbnail");
  // A platform names the node a run was on by the agent's node id, or by the Kubernetes node
  // name its pod was bound to (spec.nodeName): both reach the same node.
  for (int i = 0; i < 12; ++i) {
    ReportRun("thumbnail", "tailor-agent-x7k2p", i, 20);
    ReportRun("thumbnail", i % 2 ? "tailor-agent-q9m4d" : "k8s-node-old", i, 80);
  }
  EXPECT_EQ(ReportRunStatus("thumbnail", "k8s-node-gone", 0, 10).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const json names = {"k8s-node-old", "k8s-node-new", "gpu-pool-3"};
  const json function_pod = Pod({{"tailor.dev/function", "thumbnail"}});

  // nodeCacheCapable: names in, names out. The unknown node passes.
  const json filtered =
      Post("filter", {{"Pod", function_pod}, {"Nodes", nullptr}, {"NodeNames", names}});
  EXPECT_EQ(filtered["Error"], "");
  EXPECT_EQ(filtered["NodeNames"], names);
  const json scores = Post("prioritize", {{"Pod", function_pod}, {"NodeNames", names}});
  ASSERT_EQ(scores.size(), 3u);
  std::map<std::string, int64_t> by_host;
  for (const auto& h : scores) by_host[h["Host"]] = h["Score"];
  EXPECT_EQ(by_host["k8s-node-new"], 10);
  EXPECT_LE(by_host["k8s-node-old"], 4);  // reported about 4x slower
  EXPECT_EQ(by_host["gpu-pool-3"], (10 + by_host["k8s-node-old"]) / 2);

  // Full nodes: a NodeList in, the passing nodes' objects out; a pod requiring AES-NI cannot
  // go to the old host, and preemption would not help.
  json pod = Pod({{"tailor.dev/function", "thumbnail"}});
  pod["metadata"]["annotations"] = {{"tailor.dev/requires", "aes"}};
  const json list = {
      {"kind", "NodeList"},
      {"apiVersion", "v1"},
      {"items", json::array({{{"metadata", {{"name", "k8s-node-old"}}}},
                             {{"metadata", {{"name", "k8s-node-new"}, {"uid", "n2"}}}}})}};
  const json full = Post("filter", {{"Pod", pod}, {"Nodes", list}, {"NodeNames", nullptr}});
  EXPECT_TRUE(full["NodeNames"].is_null());
  EXPECT_EQ(full["Nodes"]["items"], json::array({list["items"][1]}));
  EXPECT_EQ(full["FailedAndUnresolvableNodes"]["k8s-node-old"], "tailor: lacks aes");

  // Pods that are not functions pass untouched; problems are told in Error with a 200.
  const json web = Post("filter", {{"Pod", Pod({{"app", "web"}})}, {"NodeNames", names}});
  EXPECT_EQ(web["NodeNames"], names);
  const json unknown =
      Post("filter", {{"Pod", Pod({{"tailor.dev/function", "nope"}})}, {"NodeNames", names}});
  EXPECT_NE(unknown["Error"].get<std::string>().find("'nope' is not deployed"), std::string::npos)
      << unknown;
  EXPECT_EQ(Post("prioritize", {{"NodeNames", names}}, 400)["field"], "Pod");
}

TEST_F(KubeExtenderTest, WithoutTheFlagTheVerbsAreNotServed) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  httplib::Client http(http_.substr(0, http_.rfind(':')),
                       std::stoi(http_.substr(http_.rfind(':') + 1)));
  auto res = http.Post("/kube/v1/filter", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

}  // namespace
}  // namespace tailor
