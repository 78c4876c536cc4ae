// The scheduler runs functions end to end on a real loopback cluster: deploy with tailorctl,
// agents fetch bundles from the registry, invoke synchronously and asynchronously, retry on
// another node when an agent is gone, and the async queue survives a SIGKILL of the scheduler.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/file_util.h"
#include "tailor/v1/gateway.grpc.pb.h"
#include "tests/support/loopback_cluster.h"
#include "tests/support/process.h"
#include "tests/support/run_db.h"
#include "tests/support/temp_dir.h"

namespace tailor {
namespace {

using namespace std::chrono_literals;
using testing::BinaryPath;
using testing::Subprocess;
using testing::WaitUntil;

class GatewayTest : public testing::LoopbackCluster {};

TEST_F(GatewayTest, DeployInvokeAndProfileOnATwoAgentCluster) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  auto a2 = StartAgent("a2");
  WaitForNodes(2);
  Deploy("sha256");
  int rc = -1;
  auto listed = Ctl({"functions", "-o", "json"}, &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(nlohmann::json::parse(listed)["functions"][0]["name"], "sha256");

  // tailorctl invoke prints the function's own output.
  auto out = Ctl({"invoke", "sha256", "--data", R"({"bytes": 4096, "rounds": 2})"}, &rc);
  ASSERT_EQ(rc, 0) << out << scheduler->Log();
  EXPECT_EQ(nlohmann::json::parse(out)["rounds"], 2);

  // Sequential invocations take turns, so both agents fetch the bundle and run it.
  std::set<std::string> nodes, invoked;
  for (int i = 0; i < 4; ++i) {
    auto r = Invoke("sha256", R"({"bytes": 4096})");
    ASSERT_TRUE(r.ok()) << r.status() << a1->Log() << a2->Log();
    EXPECT_EQ(r->report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
    EXPECT_EQ(r->attempts_size(), 1);
    EXPECT_FALSE(r->decision_id().empty());
    nodes.insert(r->node_id());
    invoked.insert(r->report().invocation_id());
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"a1", "a2"}));
  EXPECT_TRUE(PathExists(dir_.File("a2/functions/sha256/1.0.0/tailor.toml")) ||
              PathExists(dir_.File("a1/functions/sha256/1.0.0/tailor.toml")));

  // The agents' reports reach the learning store; the profile shows them.
  ASSERT_TRUE(WaitUntil([&] { return StoredRuns().size() >= 5; }, 10s));
  auto profile = nlohmann::json::parse(Ctl({"profile", "sha256", "-o", "json"}, &rc));
  EXPECT_EQ(profile["runs"], "5");  // uint64 is a string in protobuf's JSON
  ASSERT_FALSE(profile["classes"].empty());
  EXPECT_GT(profile["classes"][0]["duration_p50_ms"].get<double>(), 0);
  EXPECT_GT(std::stoull(profile["recommended_allocation"]["memory_limit_bytes"].get<std::string>()),
            0u);

  // Errors a person can act on.
  auto missing = Ctl({"invoke", "nope"}, &rc);
  EXPECT_EQ(rc, 1);

  // The scheduler's metrics count what happened and pass promtool's lint.
  httplib::Client http(metrics_.substr(0, metrics_.rfind(':')),
                       std::stoi(metrics_.substr(metrics_.rfind(':') + 1)));
  // Gauges are refreshed once a second by the scheduler's background loop.
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto r = http.Get("/metrics");
        return r &&
               r->body.find("tailor_scheduler_nodes{health=\"healthy\"} 2") != std::string::npos;
      },
      5s));
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("tailor_scheduler_invocations_total{outcome=\"succeeded\"} 5"),
            std::string::npos)
      << res->body;
  if (PathExists("/usr/bin/promtool")) {
    ASSERT_TRUE(WriteFile(dir_.File("metrics.txt"), res->body).ok());
    auto lint = testing::RunCommand(
        {"/bin/sh", "-c", "promtool check metrics < " + dir_.File("metrics.txt") + " 2>&1"}, &rc);
    EXPECT_EQ(rc, 0) << lint;
    EXPECT_EQ(lint, "") << lint;
  }
}

TEST_F(GatewayTest, RetriesOnAnotherNodeWhenAnAgentIsGoneBeforeStart) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  auto a2 = StartAgent("a2");
  WaitForNodes(2);
  Deploy("sleep-io");
  a2->Stop(SIGKILL);  // its lease (30 s) still says healthy: the gateway finds out by trying
  int retried = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = Invoke("sleep-io", R"({"sleep_ms": 1})");
    ASSERT_TRUE(r.ok()) << r.status() << scheduler->Log();
    EXPECT_EQ(r->node_id(), "a1");
    if (r->attempts_size() == 2) {
      ++retried;
      EXPECT_EQ(r->attempts(0).node_id(), "a2");
      EXPECT_FALSE(r->attempts(0).error().empty());
      EXPECT_TRUE(r->attempts(1).error().empty());
    }
  }
  EXPECT_GE(retried, 1);
}

TEST_F(GatewayTest, AsyncInvocationsSurviveASchedulerKill) {
  auto scheduler = StartScheduler("127.0.0.1:0", {"--async-workers", "2"});
  const std::string listen = address_;  // restart on the same port: agents reconnect there
  auto a1 = StartAgent("a1");
  auto a2 = StartAgent("a2");
  WaitForNodes(2);
  Deploy("sleep-io");

  // A burst: half through gRPC, half through the HTTP webhook.
  std::vector<std::string> ids;
  httplib::Client http(http_.substr(0, http_.rfind(':')),
                       std::stoi(http_.substr(http_.rfind(':') + 1)));
  http.set_bearer_token_auth(AdminToken());
  for (int i = 0; i < 24; ++i) {
    if (i % 2 == 0) {
      grpc::ClientContext ctx;
      v1::GatewayInvokeRequest req;
      req.set_function_name("sleep-io");
      req.set_payload(R"({"sleep_ms": 150})");
      v1::InvokeAsyncResponse resp;
      ASSERT_TRUE(gateway_->InvokeAsync(&ctx, req, &resp).ok());
      ids.push_back(resp.id());
    } else {
      auto res = http.Post("/v1/functions/sleep-io/invoke-async", R"({"sleep_ms": 150})",
                           "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 202) << res->body;
      ids.push_back(nlohmann::json::parse(res->body)["id"]);
    }
  }
  std::this_thread::sleep_for(400ms);  // some done, some running, most queued
  scheduler->Stop(SIGKILL);
  scheduler = StartScheduler(listen, {"--async-workers", "2"});

  std::map<std::string, v1::AsyncResult> results;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& id : ids) {
          grpc::ClientContext ctx;
          v1::GetResultRequest req;
          req.set_id(id);
          v1::AsyncResult r;
          if (!gateway_->GetResult(&ctx, req, &r).ok()) return false;
          results[id] = r;
          if (r.state() != v1::ASYNC_STATE_SUCCEEDED) return false;
        }
        return true;
      },
      60s))
      << scheduler->Log();
  // Every accepted invocation completed, and every report of every run arrived.
  std::set<std::string> invoked;
  for (const auto& [id, r] : results) invoked.insert(r.response().report().invocation_id());
  EXPECT_EQ(invoked.size(), ids.size());
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto stored = StoredRuns();
        for (const auto& inv : invoked) {
          if (!stored.contains(inv)) return false;
        }
        return true;
      },
      15s));
  // The HTTP view of one result (the restarted scheduler serves HTTP on a new port).
  httplib::Client http2(http_.substr(0, http_.rfind(':')),
                        std::stoi(http_.substr(http_.rfind(':') + 1)));
  http2.set_bearer_token_auth(AdminToken());
  auto res = http2.Get("/v1/invocations/" + ids[1]);
  ASSERT_TRUE(res);
  EXPECT_EQ(nlohmann::json::parse(res->body)["state"], "succeeded");
  EXPECT_EQ(http2.Get("/v1/invocations/0123abcd")->status, 404);
  EXPECT_EQ(http2.Post("/v1/functions/nope/invoke-async", "x", "text/plain")->status, 404);
}

TEST_F(GatewayTest, ANonIdempotentFunctionIsNeverRunTwiceAfterItMayHaveStarted) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  auto a2 = StartAgent("a2");
  WaitForNodes(2);
  // A slow function that is not marked idempotent.
  dir_.Write("once/tailor.toml",
             "name = 'once'\nversion = '1'\nentrypoint = 'run.sh'\nidempotent = false\n");
  dir_.Write("once/run.sh", "#!/bin/sh\nsleep 5\necho done\n");
  ::chmod(dir_.File("once/run.sh").c_str(), 0755);
  ::chmod(dir_.File("once").c_str(), 0755);
  int rc = -1;
  ASSERT_EQ(Ctl({"deploy", dir_.File("once")}, &rc).find("deployed"), 0u);

  auto pending = std::async(std::launch::async, [&] { return Invoke("once", ""); });
  // Once the function runs, kill the agent it descends from.
  bool killed = false;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto processes = ListDirectory("/proc");
        if (!processes.ok()) return false;
        for (const auto& entry : *processes) {
          if (entry.find_first_not_of("0123456789") != std::string::npos) continue;
          auto cmdline = ReadFile("/proc/" + entry + "/cmdline");
          if (!cmdline.ok() || *cmdline != std::string("sleep\0"
                                                       "5\0",
                                                       8))
            continue;
          for (std::string pid = entry; pid != "0" && pid != "1";) {
            auto stat = ReadFile("/proc/" + pid + "/stat");
            if (!stat.ok()) break;
            pid = std::string(SplitWhitespace(stat->substr(stat->rfind(')') + 2))[1]);
            for (auto* agent : {a1.get(), a2.get()}) {
              if (pid == std::to_string(agent->pid())) {
                agent->Stop(SIGKILL);
                killed = true;
                return true;
              }
            }
          }
        }
        return false;
      },
      10s));
  ASSERT_TRUE(killed);
  auto r = pending.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome(), v1::RUN_OUTCOME_AGENT_LOST);
  EXPECT_EQ(r->attempts_size(), 1) << "the run's outcome is unknown: not retried elsewhere";
  EXPECT_NE(r->error().find("not marked idempotent"), std::string::npos) << r->error();
}

// Functions brought from outside (functions/outside: Debian's openssl, gzip and xz behind a
// shell handler) run unmodified in the sandbox on an emulated host that hides AES-NI and
// SHA-NI from OpenSSL, and answer what the same handler answers run directly on this machine;
// a request the handler refuses is a failed run with its reason on stderr.
TEST_F(GatewayTest, FunctionsBroughtFromOutsideRunInTheSandboxAndAnswerAsOnTheHost) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto old_host = StartAgent("old-host", "old-host");
  WaitForNodes(1);
  for (const std::string fn : {"openssl-aes", "openssl-sha256", "gzip", "xz"}) {
    Deploy(fn);
    int rc = -1;
    const std::string on_host = testing::RunCommand(
        {"/bin/sh", "-c",
         "echo 2 | " + std::string(TAILOR_FUNCTIONS_DIR) + "/" + fn + "/handler.sh"},
        &rc);
    ASSERT_EQ(rc, 0) << fn;
    ASSERT_FALSE(on_host.empty()) << fn;
    auto r = Invoke(fn, "2");
    ASSERT_TRUE(r.ok()) << fn << ": " << r.status();
    EXPECT_EQ(r->outcome(), v1::RUN_OUTCOME_SUCCEEDED)
        << fn << ": " << r->error() << r->stderr_tail();
    EXPECT_EQ(r->output(), on_host) << fn;
  }
  auto refused = Invoke("gzip", "lots");
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->outcome(), v1::RUN_OUTCOME_FUNCTION_ERROR);
  EXPECT_EQ(refused->report().exit_code(), 2);
  EXPECT_NE(refused->stderr_tail().find("whole number of MiB"), std::string::npos)
      << refused->stderr_tail();
}

// The models' acceptance check on real processes: with one agent emulating a host without
// AES-NI and one with it, the AES function's invocations move to the AES-NI host within its
// first ten runs, while a sleep-bound function keeps spreading by load; Explain shows why.
TEST_F(GatewayTest, OnANewClusterAesGoesToTheAesNiHostFromItsFirstCall) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto old_host = StartAgent("old-host", "old-host");  // AES-NI hidden, 60% speed
  auto mid_host = StartAgent("mid-host", "mid-host");
  WaitForNodes(2);
  Deploy("aes-gcm");
  Deploy("sleep-io");
  // Nothing is known yet: the host with more of the CPU features the models know comes first,
  // and aes-gcm's runs there confirm it.
  std::vector<std::string> aes_nodes;
  std::string last_decision;
  for (int i = 0; i < 10; ++i) {
    auto r = Invoke("aes-gcm", R"({"bytes": 4194304, "rounds": 4})");
    ASSERT_TRUE(r.ok()) << r.status();
    aes_nodes.push_back(r->node_id());
    last_decision = r->decision_id();
    // Let the run's report reach the scheduler before the next decision.
    ASSERT_TRUE(WaitUntil([&] { return StoredRuns().contains(r->report().invocation_id()); }, 10s));
  }
  // It starts there; by its tenth call it may try the other host once (the value of
  // information grows with its calls), and comes back.
  EXPECT_EQ(std::count(aes_nodes.begin(), aes_nodes.begin() + 5, "mid-host"), 5)
      << "aes-gcm runs: " << ::testing::PrintToString(aes_nodes);
  EXPECT_GE(std::count(aes_nodes.begin(), aes_nodes.end(), "mid-host"), 8)
      << "aes-gcm runs: " << ::testing::PrintToString(aes_nodes);
  for (int i = 0; i < 5; ++i) {
    auto r = Invoke("sleep-io", R"({"sleep_ms": 20})");
    ASSERT_TRUE(r.ok()) << r.status();
  }
  int rc = -1;
  auto why = nlohmann::json::parse(Ctl({"explain", last_decision, "-o", "json"}, &rc));
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(why["policy"], "performance");
  for (const auto& c : why["candidates"]) {
    EXPECT_TRUE(c["terms"].contains("predicted_ms")) << c.dump();
  }
}

}  // namespace
}  // namespace tailor
