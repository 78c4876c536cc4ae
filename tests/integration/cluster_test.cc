// One scheduler and two agents, as real processes on loopback. Stopping an agent makes it
// unhealthy within the lease timeout; a restarted scheduler still knows both nodes, and the
// surviving agent reconnects to it on its own.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "tailor/v1/membership.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace tailor {
namespace {

using namespace std::chrono_literals;
using testing::BinaryPath;
using testing::Subprocess;
using testing::WaitUntil;

constexpr int kLeaseTimeoutMs = 1500;

class ClusterTest : public ::testing::Test {
 protected:
  std::unique_ptr<Subprocess> StartScheduler(const std::string& listen) {
    std::string addr_file = dir_.File("scheduler.addr");
    ::unlink(addr_file.c_str());
    auto p = std::make_unique<Subprocess>(
        std::vector<std::string>{BinaryPath("tailor-scheduler"), "--insecure-allow-anyone",
                                 "--listen", listen, "--data-dir", dir_.File("data"),
                                 "--address-file", addr_file, "--lease-timeout-ms",
                                 std::to_string(kLeaseTimeoutMs), "--heartbeat-interval-ms", "200"},
        dir_.File("scheduler.log"));
    address_ = testing::WaitForAddressFile(addr_file, *p);
    stub_ = v1::Membership::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
    return p;
  }

  std::unique_ptr<Subprocess> StartAgent(const std::string& id) {
    return std::make_unique<Subprocess>(
        std::vector<std::string>{BinaryPath("tailor-agent"), "run", "--insecure-allow-anyone",
                                 "--scheduler", address_, "--node-id", id, "--data-dir",
                                 dir_.File(id), "--backoff-initial-ms", "50", "--backoff-max-ms",
                                 "300"},
        dir_.File(id + ".log"));
  }

  std::map<std::string, v1::NodeHealth> Health() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 2s);
    v1::ListNodesResponse resp;
    std::map<std::string, v1::NodeHealth> out;
    if (!stub_->ListNodes(&ctx, v1::ListNodesRequest(), &resp).ok()) return out;
    for (const auto& n : resp.nodes()) out[n.node_id()] = n.health();
    return out;
  }

  bool HealthIs(const std::map<std::string, v1::NodeHealth>& want) { return Health() == want; }

  testing::TempDir dir_;
  std::string address_;
  std::unique_ptr<v1::Membership::Stub> stub_;
};

TEST_F(ClusterTest, AgentsRegisterExpireAndSurviveSchedulerRestart) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a = StartAgent("agent-a");
  auto b = StartAgent("agent-b");
  ASSERT_TRUE(WaitUntil([&] {
    return HealthIs({{"agent-a", v1::NODE_HEALTH_HEALTHY}, {"agent-b", v1::NODE_HEALTH_HEALTHY}});
  }, 10s)) << scheduler->Log();

  // tailorctl sees both, with their hardware.
  int rc = -1;
  std::string out = testing::RunCommand(
      {BinaryPath("tailorctl"), "--insecure", "--scheduler", address_, "nodes", "--output", "json"},
      &rc);
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j["nodes"].size(), 2u);
  EXPECT_EQ(j["nodes"][0]["node_id"], "agent-a");
  EXPECT_EQ(j["nodes"][0]["health"], "healthy");
  EXPECT_GT(j["nodes"][0]["logical_cores"].get<int>(), 0);
  EXPECT_TRUE(j["nodes"][0]["cpu_features"].contains("aes"));

  // A killed agent turns unhealthy within the lease timeout (plus sweep slack).
  const auto killed_at = std::chrono::steady_clock::now();
  b->Stop(SIGKILL);
  ASSERT_TRUE(WaitUntil([&] {
    return HealthIs({{"agent-a", v1::NODE_HEALTH_HEALTHY}, {"agent-b", v1::NODE_HEALTH_UNHEALTHY}});
  }, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at,
            std::chrono::milliseconds(kLeaseTimeoutMs) + 1500ms);

  // Restart the scheduler on the same port: it remembers both nodes from SQLite.
  const std::string same_address = address_;
  ASSERT_EQ(scheduler->Stop(SIGTERM), 0);
  scheduler = StartScheduler(same_address);
  auto restored = Health();
  ASSERT_EQ(restored.size(), 2u) << scheduler->Log();
  EXPECT_EQ(restored["agent-b"], v1::NODE_HEALTH_UNHEALTHY);

  // The surviving agent keeps heartbeating the new scheduler; the killed one comes back.
  b = StartAgent("agent-b");
  ASSERT_TRUE(WaitUntil([&] {
    return HealthIs({{"agent-a", v1::NODE_HEALTH_HEALTHY}, {"agent-b", v1::NODE_HEALTH_HEALTHY}});
  }, 10s)) << scheduler->Log();
  // ... and agent-a is still healthy after a full lease, so its heartbeats really arrive.
  std::this_thread::sleep_for(std::chrono::milliseconds(kLeaseTimeoutMs + 300));
  EXPECT_EQ(Health()["agent-a"], v1::NODE_HEALTH_HEALTHY) << a->Log();
}

TEST_F(ClusterTest, TailorctlExplainsAnUnreachableScheduler) {
  int rc = 0;
  std::string out = testing::RunCommand({BinaryPath("tailorctl"), "--insecure", "--scheduler",
                                         "127.0.0.1:1", "--timeout-ms", "500", "nodes"},
                                        &rc);
  EXPECT_EQ(rc, 1);
}

}  // namespace
}  // namespace tailor
