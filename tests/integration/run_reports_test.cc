// A real agent runs sample functions and its reports reach a real scheduler; with the
// scheduler stopped, runs go on and reports wait in the agent's spool; after the scheduler
// restarts, every report arrives exactly once.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/file_util.h"
#include "tailor/internal/v1/agent.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/run_db.h"
#include "tests/support/temp_dir.h"

namespace tailor {
namespace {

using namespace std::chrono_literals;
using testing::BinaryPath;
using testing::Subprocess;
using testing::WaitUntil;

class RunReportsTest : public ::testing::Test {
 protected:
  // Functions run as "nobody" when the agent is root: installed bundles must be reachable.
  void SetUp() override { ::chmod(dir_.path().c_str(), 0755); }

  std::unique_ptr<Subprocess> StartScheduler(const std::string& listen) {
    const std::string addr_file = dir_.File("scheduler.addr");
    ::unlink(addr_file.c_str());
    auto p = std::make_unique<Subprocess>(
        std::vector<std::string>{BinaryPath("tailor-scheduler"), "--insecure-allow-anyone",
                                 "--listen", listen, "--data-dir", dir_.File("data"),
                                 "--address-file", addr_file},
        dir_.File("scheduler.log"));
    scheduler_address_ = testing::WaitForAddressFile(addr_file, *p);
    return p;
  }
  // Distinct invocation ids the scheduler has stored, read from its SQLite file.
  std::set<std::string> StoredRuns() {
    return testing::StoredInvocationIds(dir_.File("data/scheduler.db"));
  }
  internal::v1::InvokeResponse Invoke(internal::v1::Agent::Stub& agent, const std::string& fn,
                                      const std::string& payload) {
    internal::v1::InvokeRequest req;
    req.set_function_name(fn);
    req.set_payload(payload);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    internal::v1::InvokeResponse resp;
    grpc::Status s = agent.Invoke(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  testing::TempDir dir_;
  std::string scheduler_address_;
};

TEST_F(RunReportsTest, EveryReportArrivesExactlyOnceAcrossASchedulerOutage) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  const std::string agent_addr_file = dir_.File("agent.addr");
  Subprocess agent(
      {BinaryPath("tailor-agent"), "run", "--insecure-allow-anyone", "--scheduler",
       scheduler_address_, "--node-id", "a1", "--data-dir", dir_.File("a1"), "--address-file",
       agent_addr_file, "--install", std::string(TAILOR_FUNCTIONS_DIR) + "/sha256", "--install",
       std::string(TAILOR_FUNCTIONS_DIR) + "/sleep-io", "--backoff-initial-ms", "50",
       "--backoff-max-ms", "200"},
      dir_.File("agent.log"));
  auto stub = internal::v1::Agent::NewStub(grpc::CreateChannel(
      testing::WaitForAddressFile(agent_addr_file, agent), grpc::InsecureChannelCredentials()));
  std::set<std::string> invoked;
  for (int i = 0; i < 3; ++i) {
    auto r = Invoke(*stub, "sha256", R"({"bytes": 65536, "rounds": 4})");
    EXPECT_EQ(r.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED) << agent.Log();
    EXPECT_EQ(nlohmann::json::parse(r.output())["rounds"], 4);
    invoked.insert(r.report().invocation_id());
  }
  ASSERT_TRUE(WaitUntil([&] { return StoredRuns() == invoked; }, 10s)) << agent.Log();

  // The scheduler goes away; functions keep running on the agent.
  const std::string address = scheduler_address_;
  ASSERT_EQ(scheduler->Stop(SIGTERM), 0);
  for (int i = 0; i < 5; ++i) {
    auto r = Invoke(*stub, "sleep-io", R"({"sleep_ms": 5, "file_bytes": 4096})");
    EXPECT_EQ(r.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
    invoked.insert(r.report().invocation_id());
  }
  std::this_thread::sleep_for(500ms);  // uploads fail meanwhile and back off
  scheduler = StartScheduler(address);
  ASSERT_TRUE(WaitUntil([&] { return StoredRuns() == invoked; }, 15s)) << agent.Log();
  EXPECT_EQ(StoredRuns().size(), 8u);
}

// The agent's metrics endpoint, after real runs, passes `promtool check metrics` (the
// Prometheus project's own linter for the exposition format and naming conventions).
TEST_F(RunReportsTest, AgentMetricsPassPromtool) {
  if (!PathExists("/usr/bin/promtool")) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus; scripts/bootstrap adds it)";
  }
  auto scheduler = StartScheduler("127.0.0.1:0");
  Subprocess agent(
      {BinaryPath("tailor-agent"), "run", "--insecure-allow-anyone", "--scheduler",
       scheduler_address_, "--node-id", "m1", "--data-dir", dir_.File("m1"), "--address-file",
       dir_.File("m1.addr"), "--metrics-address-file", dir_.File("m1.metrics"), "--install",
       std::string(TAILOR_FUNCTIONS_DIR) + "/sha256"},
      dir_.File("m1.log"));
  auto stub = internal::v1::Agent::NewStub(
      grpc::CreateChannel(testing::WaitForAddressFile(dir_.File("m1.addr"), agent),
                          grpc::InsecureChannelCredentials()));
  Invoke(*stub, "sha256", R"({"bytes": 1024})");
  const std::string metrics = testing::WaitForAddressFile(dir_.File("m1.metrics"), agent);
  const auto colon = metrics.rfind(':');
  httplib::Client http(metrics.substr(0, colon), std::stoi(metrics.substr(colon + 1)));
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res) << "no answer from " << metrics;
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("tailor_agent_invocations_total{"), std::string::npos) << res->body;
  ASSERT_TRUE(WriteFile(dir_.File("metrics.txt"), res->body).ok());
  int rc = -1;
  const std::string out = testing::RunCommand(
      {"/bin/sh", "-c", "promtool check metrics < " + dir_.File("metrics.txt") + " 2>&1"}, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << "promtool warnings:\n" << out;
}

}  // namespace
}  // namespace tailor
