// Chaos on a real loopback cluster: async invocations of two ledger functions (each run appends
// its payload to a file, so executions are counted outside Tailor), one idempotent and one not,
// across a scheduler SIGKILL, an agent SIGKILL and an agent SIGTERM. Every accepted invocation
// must reach one final state, a non-idempotent one must run at most once (exactly once when it
// succeeded), every succeeded run's report must be stored, and every callback delivered.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "common/listen_thread.h"
#include "tests/support/loopback_cluster.h"

namespace tailor {
namespace {

using testing::WaitUntil;
using namespace std::chrono_literals;

// Collects the invocation ids of the completion callbacks it receives.
class Receiver {
 public:
  Receiver() {
    server_.Post("/done", [this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard lock(mu_);
      ++delivered_[req.get_header_value("Tailor-Invocation-Id")];
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = ListenOnThread(server_);
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/done"; }
  std::map<std::string, int> delivered() {
    std::lock_guard lock(mu_);
    return delivered_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, int> delivered_;
};

class ChaosTest : public testing::LoopbackCluster {
 protected:
  // These tests watch runs from outside through files the functions write on the host, so
  // their agents leave runs the host's file system (every other namespace stays).
  ChaosTest() { agent_extra_args_ = {"--sandbox-disable", "mount"}; }
  std::unique_ptr<testing::Subprocess> Scheduler(const std::string& listen) {
    return StartScheduler(listen,
                          {"--lease-timeout-ms", "2000", "--heartbeat-interval-ms", "300",
                           "--callback-allow-private", "--callback-initial-backoff-ms", "100"});
  }
  // Lines of the ledger: "TAG INVOCATION_ID" per run that started.
  std::vector<std::pair<std::string, std::string>> Ledger() {
    std::vector<std::pair<std::string, std::string>> runs;
    auto text = ReadFile(ledger_);
    if (!text.ok()) return runs;
    std::istringstream in(*text);
    std::string tag, invocation;
    while (in >> tag >> invocation) runs.emplace_back(tag, invocation);
    return runs;
  }
  v1::AsyncResult Result(const std::string& id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    v1::GetResultRequest req;
    req.set_id(id);
    v1::AsyncResult r;
    if (!gateway_->GetResult(&ctx, req, &r).ok()) r.Clear();
    return r;
  }
  static bool Final(const v1::AsyncResult& r) {
    return r.state() == v1::ASYNC_STATE_SUCCEEDED || r.state() == v1::ASYNC_STATE_FAILED;
  }

  std::string ledger_;
};

TEST_F(ChaosTest, RestartsAndKillsLoseNoWorkRunNothingTwiceThatMayNotAndTellEveryCallback) {
  auto scheduler = Scheduler("127.0.0.1:0");
  const std::string listen = address_;
  auto a1 = StartAgent("a1");
  auto a2 = StartAgent("a2");
  auto a3 = StartAgent("a3");
  WaitForNodes(3);
  dir_.Write("ledger/.keep", "");
  ::chmod(dir_.File("ledger").c_str(), 01777);
  ledger_ = dir_.File("ledger/runs");
  // Each function runs as its own user: whichever creates the ledger lets the other append.
  const std::string script =
      "umask 0\necho \"$(cat) $TAILOR_INVOCATION_ID\" >> '" + ledger_ + "'\nsleep 0.4\necho done\n";
  DeployDir(ScriptBundle("ledger-idem", "1", script, "idempotent = true\n"));
  DeployDir(ScriptBundle("ledger-once", "1", script));
  Receiver receiver;

  // 90 invocations, alternating functions; the payload is the invocation's tag.
  std::map<std::string, std::string> tag_of;  // id -> tag
  std::map<std::string, bool> idempotent;     // id -> function idempotent
  for (int i = 0; i < 90; ++i) {
    const bool idem = i % 2 == 0;
    const std::string tag = (idem ? "idem-" : "once-") + std::to_string(i);
    grpc::ClientContext ctx;
    v1::GatewayInvokeRequest req;
    req.set_function_name(idem ? "ledger-idem" : "ledger-once");
    req.set_payload(tag);
    req.set_callback_url(receiver.Url());
    v1::InvokeAsyncResponse accepted;
    ASSERT_TRUE(gateway_->InvokeAsync(&ctx, req, &accepted).ok());
    tag_of[accepted.id()] = tag;
    idempotent[accepted.id()] = idem;
  }

  // The chaos, paced by progress rather than by the clock.
  ASSERT_TRUE(WaitUntil([&] { return Ledger().size() >= 15; }, 60s));
  scheduler->Stop(SIGKILL);
  scheduler = Scheduler(listen);
  ASSERT_TRUE(WaitUntil([&] { return Ledger().size() >= 40; }, 60s)) << scheduler->Log();
  a2->Stop(SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return Ledger().size() >= 60; }, 60s))
      << scheduler->Log() << a1->Log() << a3->Log();
  ASSERT_TRUE(::kill(a3->pid(), SIGTERM) == 0);
  a2 = StartAgent("a2");
  const int drained = a3->Stop(0);
  EXPECT_TRUE(WIFEXITED(drained) && WEXITSTATUS(drained) == 0) << a3->Log();
  a3 = StartAgent("a3");

  // Every accepted invocation reaches one final state.
  std::map<std::string, v1::AsyncResult> results;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& [id, tag] : tag_of) {
          if (results.contains(id)) continue;
          v1::AsyncResult r = Result(id);
          if (!Final(r)) return false;
          results[id] = r;
        }
        return true;
      },
      120s))
      << results.size() << " of " << tag_of.size() << " final\n"
      << scheduler->Log();

  // Runs counted outside Tailor.
  std::map<std::string, int> runs_of_tag;
  for (const auto& [tag, invocation] : Ledger()) ++runs_of_tag[tag];
  int succeeded = 0;
  for (const auto& [id, r] : results) {
    const int runs = runs_of_tag[tag_of[id]];
    if (r.state() == v1::ASYNC_STATE_SUCCEEDED) {
      ++succeeded;
      EXPECT_GE(runs, 1) << tag_of[id] << " succeeded without running";
    }
    if (!idempotent[id]) {
      EXPECT_LE(runs, 1) << tag_of[id] << " is not idempotent and ran " << runs << " times";
      if (r.state() == v1::ASYNC_STATE_SUCCEEDED) EXPECT_EQ(runs, 1) << tag_of[id];
    }
    if (r.state() == v1::ASYNC_STATE_FAILED) {
      // Only what the kills can explain: a run lost with its agent or the scheduler.
      EXPECT_EQ(r.outcome(), v1::RUN_OUTCOME_AGENT_LOST) << tag_of[id] << ": " << r.error();
    }
  }
  EXPECT_GE(succeeded, 80) << "most invocations outlive the chaos";
  int ran_twice = 0;
  for (const auto& [tag, runs] : runs_of_tag) ran_twice += runs > 1;
  std::cout << "chaos: " << succeeded << " of " << results.size() << " succeeded, "
            << Ledger().size() << " runs started, " << ran_twice
            << " idempotent invocations ran more than once\n";

  // Every succeeded run's report is stored (each once: runs are keyed by invocation id).
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto stored = StoredRuns();
        for (const auto& [id, r] : results) {
          if (r.state() == v1::ASYNC_STATE_SUCCEEDED &&
              !stored.contains(r.response().report().invocation_id())) {
            return false;
          }
        }
        return true;
      },
      30s));

  // Every callback is delivered, and said so.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto delivered = receiver.delivered();
        for (const auto& [id, tag] : tag_of) {
          if (!delivered.contains(id)) return false;
        }
        return true;
      },
      60s))
      << receiver.delivered().size() << " of " << tag_of.size() << " callbacks";
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& [id, tag] : tag_of) {
          if (Result(id).callback().state() != v1::CALLBACK_STATE_DELIVERED) return false;
        }
        return true;
      },
      30s));
}

}  // namespace
}  // namespace tailor
