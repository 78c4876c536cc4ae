// Trustworthy results on a real loopback cluster: every outcome is told as it is, from the run
// spawner to tailorctl's exit code and the HTTP result; names that are path steps delete
// nothing; absurd reports and heartbeats are refused with the field named; nodes can be drained
// and removed.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <limits>

#include "proto/grpc_status.h"
#include "tailor/internal/v1/agent.grpc.pb.h"
#include "tailor/v1/membership.grpc.pb.h"
#include "tailor/v1/placement.grpc.pb.h"
#include "tests/support/loopback_cluster.h"

namespace tailor {
namespace {

using testing::WaitUntil;

class OutcomesTest : public testing::LoopbackCluster {
 protected:
  httplib::Client Http() {
    httplib::Client client(http_.substr(0, http_.rfind(':')),
                           std::stoi(http_.substr(http_.rfind(':') + 1)));
    client.set_bearer_token_auth(AdminToken());
    return client;
  }
};

TEST_F(OutcomesTest, NamesThatArePathStepsAreRefusedAtDeployAndNothingIsDeleted) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  Deploy("sha256");
  ASSERT_TRUE(Invoke("sha256", R"({"bytes": 64})").ok());
  dir_.Write("sentinel", "next to the agent's data directory");
  for (const auto& [name, version] : std::vector<std::pair<std::string, std::string>>{
           {"vtest", ".."}, {"..", ".."}, {".", "."}, {"vtest", "-rf"}}) {
    int rc = -1;
    auto out = CtlWithStderr({"deploy", ScriptBundle(name, version, "cat\n")}, &rc);
    EXPECT_NE(rc, 0) << name << " " << version << ": " << out;
    EXPECT_NE(out.find("must be 1..64 characters"), std::string::npos) << out;
  }
  // An agent asked directly for such a name refuses it as malformed.
  auto agent = internal::v1::Agent::NewStub(
      AgentChannel("a1", ReadFile(dir_.File("a1.addr"))
                             .value()
                             .substr(0, ReadFile(dir_.File("a1.addr"))->find('\n'))));
  grpc::ClientContext ctx;
  internal::v1::InvokeRequest call;
  call.set_function_name("..");
  call.set_function_version("..");
  internal::v1::InvokeResponse reply;
  const grpc::Status refused = agent->Invoke(&ctx, call, &reply);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FromGrpcStatus(refused).field(), "function_name");
  // Nothing anywhere was touched.
  EXPECT_TRUE(PathExists(dir_.File("a1/functions/sha256/1.0.0/tailor.toml")));
  EXPECT_TRUE(PathExists(dir_.File("a1/spool.db")));
  EXPECT_TRUE(PathExists(dir_.File("sentinel")));
  EXPECT_TRUE(PathExists(dir_.File("data/scheduler.db")));
  EXPECT_TRUE(Invoke("sha256", R"({"bytes": 64})").ok());
}

TEST_F(OutcomesTest, AFailedAsyncRunIsFailedWithItsExitCodeEverywhere) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  DeployDir(ScriptBundle("exit3", "1", "echo 'disk on fire' >&2\necho partial\nexit 3\n"));

  int rc = -1;
  const std::string id = CtlWithStderr({"invoke", "--async", "exit3"}, &rc);
  ASSERT_EQ(rc, 0) << id;
  auto waited = CtlWithStderr({"result", id.substr(0, id.find('\n')), "--wait"}, &rc);
  EXPECT_EQ(rc, 3) << waited;
  EXPECT_NE(waited.find("exit3 function_error: exited with code 3"), std::string::npos) << waited;
  EXPECT_NE(waited.find("disk on fire"), std::string::npos) << "stderr tail without -v";
  EXPECT_NE(waited.find("partial"), std::string::npos) << "the output it wrote";

  auto res = Http().Get("/v1/invocations/" + id.substr(0, id.find('\n')));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["state"], "failed");
  EXPECT_EQ(j["outcome"], "function_error");
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["stderr_tail"], "disk on fire\n");

  auto sync = CtlWithStderr({"invoke", "exit3"}, &rc);
  EXPECT_EQ(rc, 3) << sync;
  EXPECT_NE(sync.find("disk on fire"), std::string::npos) << sync;
  // The HTTP endpoint refuses a path step, naming it.
  auto bad = Http().Post("/v1/functions/../invoke-async", "", "text/plain");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
}

TEST_F(OutcomesTest, TenMebibytesOfOutputIsAClearOutcomeOrPassesWhenTheManifestAllowsIt) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  const std::string ten_mib = "head -c 10485760 /dev/zero | tr '\\000' x\n";
  DeployDir(ScriptBundle("big-out", "1", ten_mib));
  auto r = Invoke("big-out", "");
  ASSERT_TRUE(r.ok()) << r.status() << " (not a transport error)";
  EXPECT_EQ(r->outcome(), v1::RUN_OUTCOME_OUTPUT_TOO_LARGE);
  EXPECT_TRUE(r->output().empty());
  EXPECT_NE(r->error().find("max_output_bytes is 6291456"), std::string::npos) << r->error();
  int rc = -1;
  auto out = CtlWithStderr({"invoke", "big-out"}, &rc);
  EXPECT_EQ(rc, 9) << out.substr(0, 400);
  EXPECT_NE(out.find("output_too_large"), std::string::npos) << out.substr(0, 400);

  DeployDir(ScriptBundle("big-out", "2", ten_mib, "max_output_bytes = 16777216\n"));
  auto whole =
      testing::RunCommand({testing::BinaryPath("tailorctl"), "--scheduler", address_, "--ca-file",
                           CaFile(), "--token-file", AdminTokenFile(), "invoke", "big-out"},
                          &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(whole.size(), 10u << 20) << "the whole answer through agent, scheduler and tailorctl";
}

TEST_F(OutcomesTest, AbsurdReportsAndHeartbeatsAreRefusedAndTheFunctionStaysPlaceable) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  Deploy("sha256");
  auto placement = v1::Placement::NewStub(Channel());
  auto membership = v1::Membership::NewStub(NodeChannel("a1"));
  auto place = [&] {
    grpc::ClientContext ctx;
    v1::PlaceRequest req;
    req.set_function_name("sha256");
    v1::PlaceResponse resp;
    grpc::Status s = placement->Place(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  const v1::PlaceResponse placed = place();
  auto report = [&](const std::function<void(v1::RunReport&)>& spoil) {
    grpc::ClientContext ctx;
    v1::ReportRequest req;
    req.set_decision_id(placed.decision_id());
    v1::RunReport& r = *req.mutable_report();
    r.set_invocation_id("absurd-1");
    r.set_function_name("sha256");
    r.set_node_id(placed.node_id());
    r.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
    r.set_wall_time_us(1000);
    spoil(r);
    v1::ReportResponse resp;
    return placement->Report(&ctx, req, &resp);
  };
  struct Case {
    std::function<void(v1::RunReport&)> spoil;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {[](auto& r) { r.set_user_cpu_us(std::numeric_limits<int64_t>::max()); },
            "report.user_cpu_us"},
           {[](auto& r) { r.set_peak_memory_bytes(UINT64_MAX); }, "report.peak_memory_bytes"},
           {[](auto& r) { r.set_peak_memory_bytes(1ull << 40); }, "report.peak_memory_bytes"},
           {[](auto& r) { r.set_outcome(static_cast<v1::RunOutcome>(99)); }, "report.outcome"},
           {[](auto& r) {
              r.set_start_unix_ms(2000);
              r.set_end_unix_ms(1000);
            },
            "report.end_unix_ms"},
           {[](auto& r) { r.mutable_node_load_at_start()->set_cpu_utilization(NAN); },
            "report.node_load_at_start.cpu_utilization"}}) {
    const grpc::Status s = report(c.spoil);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(FromGrpcStatus(s).field(), c.field) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    v1::HeartbeatRequest hb;
    hb.set_node_id("a1");
    hb.mutable_load()->set_cpu_utilization(NAN);
    hb.mutable_load()->set_running_invocations(UINT32_MAX);
    v1::HeartbeatResponse resp;
    EXPECT_EQ(membership->Heartbeat(&ctx, hb, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    v1::RegisterRequest reg;
    reg.set_node_id("huge");
    reg.set_address("127.0.0.1:9");
    reg.mutable_inventory()->set_hostname(std::string(1 << 20, 'h'));
    v1::RegisterResponse resp;
    const grpc::Status s = v1::Membership::NewStub(NodeChannel("huge"))->Register(&ctx, reg, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_LT(s.error_message().size(), 300u) << "the value is not echoed";
  }
  int rc = -1;
  auto nodes = Ctl({"nodes", "-o", "json"}, &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(nlohmann::json::parse(nodes)["nodes"].size(), 1u);
  // The refused reports held nothing: the decision is released by a real report, and the
  // function is placed with an allocation a node has.
  const grpc::Status good = report([](auto&) {});
  EXPECT_TRUE(good.ok()) << good.error_message();
  const v1::PlaceResponse again = place();
  EXPECT_FALSE(again.decision_id().empty());
  EXPECT_GT(again.allocation().memory_limit_bytes(), 0u);
  EXPECT_LE(again.allocation().cpu_millicores(), 1000u * std::thread::hardware_concurrency());
  grpc::ClientContext ctx;
  v1::CancelPlacementRequest cancel;
  cancel.set_decision_id(again.decision_id());
  v1::CancelPlacementResponse cancelled;
  ASSERT_TRUE(placement->CancelPlacement(&ctx, cancel, &cancelled).ok());
  EXPECT_TRUE(cancelled.released());
}

TEST_F(OutcomesTest, ADrainedNodeTakesNoWorkAndAStoppedOneCanBeRemoved) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  auto a2 = StartAgent("a2");
  WaitForNodes(2);
  Deploy("sleep-io");
  int rc = -1;
  auto drained = Ctl({"nodes", "drain", "a2"}, &rc);
  ASSERT_EQ(rc, 0) << drained;
  for (int i = 0; i < 4; ++i) {
    auto r = Invoke("sleep-io", R"({"sleep_ms": 1})");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->node_id(), "a1");
  }
  auto listed = nlohmann::json::parse(Ctl({"nodes", "-o", "json"}, &rc));
  for (const auto& n : listed["nodes"]) EXPECT_EQ(n["draining"], n["node_id"] == "a2");
  a2->Stop(SIGTERM);
  auto removed = Ctl({"nodes", "remove", "a2"}, &rc);
  ASSERT_EQ(rc, 0) << removed;
  EXPECT_EQ(nlohmann::json::parse(Ctl({"nodes", "-o", "json"}, &rc))["nodes"].size(), 1u);
  Ctl({"nodes", "remove", "a2"}, &rc);
  EXPECT_EQ(rc, 1) << "an unknown node";
}

}  // namespace
}  // namespace tailor
