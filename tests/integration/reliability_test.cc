// Reliability on a real loopback cluster: an agent told to stop finishes what it is running,
// takes nothing new, and the scheduler routes around it while it drains.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <future>
#include <nlohmann/json.hpp>

#include "tests/support/loopback_cluster.h"

namespace tailor {
namespace {

using testing::WaitUntil;
using namespace std::chrono_literals;

class ReliabilityTest : public testing::LoopbackCluster {
 protected:
  // Whether tailorctl lists node `id` as stopping.
  bool NodeStopping(const std::string& id) {
    int rc = -1;
    auto out = Ctl({"nodes", "-o", "json"}, &rc);
    if (rc != 0) return false;
    const auto listing = nlohmann::json::parse(out);  // outlives the loop
    for (const auto& n : listing["nodes"]) {
      if (n["node_id"] == id) return n["stopping"].get<bool>();
    }
    return false;
  }
};

TEST_F(ReliabilityTest, SigtermDrainsTheAgentRunsFinishAndNewCallsGoElsewhere) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  // Functions run under their own uid: the marker goes where anyone may write.
  dir_.Write("markers/.keep", "");
  ::chmod(dir_.File("markers").c_str(), 01777);
  const std::string started = dir_.File("markers/started");
  DeployDir(ScriptBundle("slow", "1", "touch '" + started + "'\nsleep 3\necho finished\n"));
  DeployDir(ScriptBundle("quick", "1", "echo quick\n"));

  // A long run in flight on a1 (the only node when it is placed).
  auto slow = std::async(std::launch::async, [&] { return Invoke("slow", ""); });
  ASSERT_TRUE(WaitUntil([&] { return PathExists(started); }, 10s)) << a1->Log();
  auto a2 = StartAgent("a2");
  WaitForNodes(2);

  ASSERT_EQ(::kill(a1->pid(), SIGTERM), 0);
  ASSERT_TRUE(WaitUntil([&] { return NodeStopping("a1"); }, 5s)) << a1->Log() << scheduler->Log();

  // While a1 drains, every new call lands on a2 and succeeds.
  for (int i = 0; i < 4; ++i) {
    auto quick = Invoke("quick", "");
    ASSERT_TRUE(quick.ok()) << quick.status().message();
    EXPECT_EQ(quick->outcome(), v1::RUN_OUTCOME_SUCCEEDED) << quick->error();
    EXPECT_EQ(quick->node_id(), "a2");
  }

  // The run that was in flight when the signal came finished and was told as a success.
  auto result = slow.get();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->outcome(), v1::RUN_OUTCOME_SUCCEEDED) << result->error();
  EXPECT_EQ(result->node_id(), "a1");
  EXPECT_EQ(result->output(), "finished\n");
  EXPECT_EQ(result->attempts_size(), 1);

  // The agent exits on its own, cleanly, once its run is done.
  const int status = a1->Stop(0);
  ASSERT_TRUE(WIFEXITED(status)) << a1->Log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << a1->Log();
  // Its run report reached the scheduler before it went.
  EXPECT_TRUE(StoredRuns().count(result->report().invocation_id())) << a1->Log();
}

TEST_F(ReliabilityTest, AnIdleAgentStopsPromptlyAndARestartedOneIsEligibleAgain) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  Deploy("sha256");
  ASSERT_TRUE(Invoke("sha256", R"({"bytes": 64})").ok());

  const auto before = std::chrono::steady_clock::now();
  const int status = a1->Stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << a1->Log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << a1->Log();
  // Well inside any supervisor's stop timeout (systemd's is 90 s here).
  EXPECT_LT(std::chrono::steady_clock::now() - before, 30s);

  // Back on the same data directory, the node is no longer stopping and takes work.
  a1 = StartAgent("a1");
  ASSERT_TRUE(WaitUntil([&] { return !NodeStopping("a1"); }, 10s));
  auto again = Invoke("sha256", R"({"bytes": 64})");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->outcome(), v1::RUN_OUTCOME_SUCCEEDED) << again->error();
}

}  // namespace
}  // namespace tailor
