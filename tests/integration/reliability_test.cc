// Reliability on a real loopback cluster: an agent told to stop finishes what it is running,
// takes nothing new, and the scheduler routes around it while it drains.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/hmac.h"
#include "common/listen_thread.h"
#include "proto/grpc_status.h"
#include "tests/support/loopback_cluster.h"
#include "tests/support/metrics_text.h"
#include "tests/support/run_db.h"

namespace tailor {
namespace {

using testing::WaitUntil;
using namespace std::chrono_literals;

class ReliabilityTest : public testing::LoopbackCluster {
 protected:
  // These tests watch runs from outside through files the functions write on the host, so
  // their agents leave runs the host's file system (every other namespace stays).
  ReliabilityTest() { agent_extra_args_ = {"--sandbox-disable", "mount"}; }
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
  // A sync call placed by the least-loaded policy (which gives every run a whole core, so that
  // a node holds as many runs as it has cores); returns the gRPC status.
  grpc::Status InvokeLeastLoaded(const std::string& fn, v1::GatewayInvokeResponse* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 60s);
    v1::GatewayInvokeRequest req;
    req.set_function_name(fn);
    req.set_policy("least-loaded");
    return gateway_->Invoke(&ctx, req, response);
  }
  // The value of a metric line that starts with `series`, or -1.
  double Metric(const std::string& series) {
    httplib::Client http(metrics_.substr(0, metrics_.rfind(':')),
                         std::stoi(metrics_.substr(metrics_.rfind(':') + 1)));
    auto res = http.Get("/metrics");
    return res ? testing::SeriesValue(res->body, series) : -1;
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

TEST_F(ReliabilityTest, FiftyCallersOnAFullClusterAreQueuedAndAllServed) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  DeployDir(ScriptBundle("nap", "1", "sleep 0.1\necho rested\n"));

  std::vector<std::future<std::pair<grpc::Status, v1::GatewayInvokeResponse>>> calls;
  for (int i = 0; i < 50; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      v1::GatewayInvokeResponse r;
      grpc::Status s = InvokeLeastLoaded("nap", &r);
      return std::pair{s, r};
    }));
  }
  for (auto& c : calls) {
    auto [status, response] = c.get();
    ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    EXPECT_EQ(response.outcome(), v1::RUN_OUTCOME_SUCCEEDED) << response.error();
    EXPECT_EQ(response.output(), "rested\n");
  }
  // They did wait for capacity: the node holds only as many as it has cores.
  EXPECT_TRUE(
      WaitUntil([&] { return Metric("tailor_scheduler_admission_admitted_total") > 0; }, 5s));
}

TEST_F(ReliabilityTest, BeyondTheWaitQueueCallersAreToldToComeBackNeverThatItCannotRun) {
  auto scheduler = StartScheduler("127.0.0.1:0", {"--admission-max-waiting", "2"});
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  DeployDir(ScriptBundle("nap", "1", "sleep 1\necho rested\n"));

  std::vector<std::future<grpc::Status>> calls;
  for (int i = 0; i < 12; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      v1::GatewayInvokeResponse r;
      return InvokeLeastLoaded("nap", &r);
    }));
  }
  int served = 0, refused = 0;
  for (auto& c : calls) {
    const grpc::Status s = c.get();
    if (s.ok()) {
      ++served;
      continue;
    }
    ++refused;
    ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    const Status told = FromGrpcStatus(s);
    EXPECT_EQ(told.reason(), ErrorReason::kNoCapacity);
    EXPECT_GT(told.retry_after().count(), 0) << "a refusal says when to come back";
  }
  EXPECT_GT(refused, 0) << "12 calls, 2 may wait, and the node holds only a few";
  EXPECT_GT(served, 2);
}

TEST_F(ReliabilityTest, AsyncInvocationsWaitForCapacityWithoutSpendingTries) {
  auto scheduler = StartScheduler("127.0.0.1:0", {"--async-max-attempts", "1"});
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  // Runs longer than a dispatcher worker waits for capacity (1 s), more of them than the node
  // holds at once: some must go back to the queue to wait, maybe several times.
  DeployDir(ScriptBundle("nap", "1", "sleep 1.5\necho rested\n"));
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    int rc = -1;
    auto out = Ctl({"invoke", "nap", "--async", "--policy", "least-loaded"}, &rc);
    ASSERT_EQ(rc, 0) << out;
    ids.push_back(out.substr(0, out.find('\n')));
  }
  for (const auto& id : ids) {
    v1::AsyncResult result;
    ASSERT_TRUE(WaitUntil(
        [&] {
          grpc::ClientContext ctx;
          v1::GetResultRequest req;
          req.set_id(id);
          result.Clear();
          return gateway_->GetResult(&ctx, req, &result).ok() &&
                 (result.state() == v1::ASYNC_STATE_SUCCEEDED ||
                  result.state() == v1::ASYNC_STATE_FAILED);
        },
        60s))
        << id;
    // One try allowed, and none spent on waiting: every one ran, on its first try.
    EXPECT_EQ(result.state(), v1::ASYNC_STATE_SUCCEEDED) << result.error();
    EXPECT_EQ(result.attempts(), 1u);
  }
}

// A non-idempotent async invocation in flight when the scheduler is killed: its run finishes on
// the agent, the report reaches the restarted scheduler, and the invocation takes its outcome
// from it, run once, instead of failing as "may have run".
TEST_F(ReliabilityTest, ASchedulerKilledMidRunTakesTheOutcomeFromTheRunsReport) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  const std::string listen = address_;
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  dir_.Write("markers/.keep", "");
  ::chmod(dir_.File("markers").c_str(), 01777);
  const std::string ledger = dir_.File("markers/ledger");
  DeployDir(ScriptBundle(
      "once", "1", "echo \"$TAILOR_INVOCATION_ID\" >> '" + ledger + "'\nsleep 2\necho done\n"));
  grpc::ClientContext ctx;
  v1::GatewayInvokeRequest req;
  req.set_function_name("once");
  v1::InvokeAsyncResponse accepted;
  ASSERT_TRUE(gateway_->InvokeAsync(&ctx, req, &accepted).ok());
  ASSERT_TRUE(WaitUntil([&] { return PathExists(ledger); }, 10s)) << a1->Log();

  scheduler->Stop(SIGKILL);
  scheduler = StartScheduler(listen);
  v1::AsyncResult result;
  ASSERT_TRUE(WaitUntil(
      [&] {
        grpc::ClientContext c;
        v1::GetResultRequest get;
        get.set_id(accepted.id());
        result.Clear();
        return gateway_->GetResult(&c, get, &result).ok() &&
               result.state() != v1::ASYNC_STATE_RUNNING &&
               result.state() != v1::ASYNC_STATE_QUEUED;
      },
      30s))
      << [&] {
           httplib::Client m(metrics_.substr(0, metrics_.rfind(':')),
                             std::stoi(metrics_.substr(metrics_.rfind(':') + 1)));
           auto r = m.Get("/metrics");
           return r ? r->body.substr(0, 3000) : std::string("no answer");
         }();
  EXPECT_EQ(result.state(), v1::ASYNC_STATE_SUCCEEDED) << result.error();
  EXPECT_EQ(result.outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  EXPECT_EQ(result.node_id(), "a1");
  EXPECT_NE(result.error().find("output was lost"), std::string::npos) << result.error();
  // It ran once, and the run the result names is the run that happened.
  auto runs = ReadFile(ledger);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(*runs, result.response().report().invocation_id() + "\n");
}

// The scheduler's data directory on a small tmpfs that fills up: new work is refused as
// "insufficient storage" (not as the client's fault), nothing accepted is lost, and once space
// is freed everything accepted completes.
TEST_F(ReliabilityTest, AFullDiskRefusesNewWorkCleanlyAndEverythingAcceptedCompletesAfter) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  const std::string data = dir_.File("data");
  ASSERT_EQ(::mkdir(data.c_str(), 0755), 0);
  if (::mount("tmpfs", data.c_str(), "tmpfs", 0, "size=16m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{data};
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  dir_.Write("markers/.keep", "");
  ::chmod(dir_.File("markers").c_str(), 01777);
  const std::string started = dir_.File("markers/started");
  // A megabyte of output: recording it needs room the full disk does not have.
  DeployDir(ScriptBundle("nap", "1",
                         "touch '" + started + "'\nsleep 1\nhead -c 1048576 /dev/zero\n",
                         "idempotent = true\n"));
  httplib::Client http(http_.substr(0, http_.rfind(':')),
                       std::stoi(http_.substr(http_.rfind(':') + 1)));
  http.set_bearer_token_auth(AdminToken());
  // Some runs in flight when the disk fills: their outcomes are written once it has room.
  std::vector<std::string> accepted;
  for (int i = 0; i < 3; ++i) {
    auto res = http.Post("/v1/functions/nap/invoke-async", "x", "text/plain");
    ASSERT_TRUE(res && res->status == 202);
    accepted.push_back(nlohmann::json::parse(res->body)["id"]);
  }
  ASSERT_TRUE(WaitUntil([&] { return PathExists(started); }, 10s));

  // Fill the disk.
  {
    const int fd = ::open((data + "/filler").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    const std::string chunk(64 << 10, 'f');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    ::close(fd);
  }
  const std::string payload(128 << 10, 'p');
  int refused_status = 0;
  std::string refused_body;
  for (int i = 0; i < 200 && refused_status == 0; ++i) {
    auto res = http.Post("/v1/functions/nap/invoke-async", payload, "application/octet-stream");
    ASSERT_TRUE(res);
    if (res->status == 202) {
      accepted.push_back(nlohmann::json::parse(res->body)["id"]);
    } else {
      refused_status = res->status;
      refused_body = res->body;
    }
  }
  ASSERT_NE(refused_status, 0) << "the disk never filled";
  EXPECT_EQ(refused_status, 507) << refused_body;
  EXPECT_EQ(nlohmann::json::parse(refused_body)["code"], "UNAVAILABLE") << refused_body;

  // The calls in flight end while the disk is full (a run that ended, or an attempt that
  // could not even be recorded): the dispatcher keeps what it has until it can write it.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const double ran = Metric("tailor_scheduler_invocations_total{outcome=\"succeeded\"}");
        const double not_run = Metric("tailor_scheduler_invocations_total{outcome=\"not_run\"}");
        return std::max(ran, 0.0) + std::max(not_run, 0.0) >= 3;
      },
      30s));

  // Space comes back: what was accepted completes, and new work is taken again.
  ASSERT_EQ(::unlink((data + "/filler").c_str()), 0);
  auto again = http.Post("/v1/functions/nap/invoke-async", "x", "text/plain");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 202) << again->body;
  accepted.push_back(nlohmann::json::parse(again->body)["id"]);
  for (const auto& id : accepted) {
    std::string state;
    EXPECT_TRUE(WaitUntil(
        [&] {
          auto res = http.Get("/v1/invocations/" + id);
          if (!res || res->status != 200) return false;
          state = nlohmann::json::parse(res->body)["state"];
          return state == "succeeded" || state == "failed";
        },
        60s))
        << id << " " << state;
    EXPECT_EQ(state, "succeeded") << id;
  }
  grpc::ClientContext ctx;
  v1::GetResultRequest get;
  get.set_id(accepted[0]);
  v1::AsyncResult first;
  ASSERT_TRUE(gateway_->GetResult(&ctx, get, &first).ok());
  EXPECT_EQ(first.response().output().size(), 1048576u) << "the output was kept, whole";
}

TEST_F(ReliabilityTest, ACallerWhoCancelsStopsItsRunOnTheAgent) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  dir_.Write("markers/.keep", "");
  ::chmod(dir_.File("markers").c_str(), 01777);
  const std::string started = dir_.File("markers/started");
  DeployDir(ScriptBundle("long", "1", "touch '" + started + "'\nsleep 60\n"));

  grpc::ClientContext ctx;
  v1::GatewayInvokeRequest req;
  req.set_function_name("long");
  v1::GatewayInvokeResponse response;
  auto call =
      std::async(std::launch::async, [&] { return gateway_->Invoke(&ctx, req, &response); });
  ASSERT_TRUE(WaitUntil([&] { return PathExists(started); }, 10s)) << a1->Log();
  ctx.TryCancel();
  EXPECT_EQ(call.get().error_code(), grpc::StatusCode::CANCELLED);
  // The agent stopped the run and reported it as such, long before its 60 s were up.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto outcomes = testing::StoredOutcomes(dir_.File("data/scheduler.db"));
        return outcomes.size() == 1 && outcomes.begin()->second == v1::RUN_OUTCOME_CANCELLED;
      },
      20s))
      << a1->Log();
}

// A node that freezes mid-call (its agent stopped by SIGSTOP) loses its lease; the call to it
// is abandoned then, not at its deadline, and an idempotent function is run elsewhere.
TEST_F(ReliabilityTest, ACallToANodeThatFreezesIsAbandonedWhenItsLeaseExpires) {
  auto scheduler = StartScheduler("127.0.0.1:0",
                                  {"--lease-timeout-ms", "1500", "--heartbeat-interval-ms", "300"});
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  dir_.Write("markers/.keep", "");
  ::chmod(dir_.File("markers").c_str(), 01777);
  const std::string first = dir_.File("markers/first");
  // The first run hangs for a minute; any later one answers at once.
  DeployDir(ScriptBundle("stuck", "1",
                         "if [ -e '" + first +
                             "' ]; then echo elsewhere; exit 0; fi\n"
                             "touch '" +
                             first + "'\nsleep 60\n",
                         "idempotent = true\n"));
  v1::GatewayInvokeResponse response;
  auto call = std::async(std::launch::async, [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 50s);
    v1::GatewayInvokeRequest req;
    req.set_function_name("stuck");
    return gateway_->Invoke(&ctx, req, &response);
  });
  ASSERT_TRUE(WaitUntil([&] { return PathExists(first); }, 10s)) << a1->Log();
  auto a2 = StartAgent("a2");
  WaitForNodes(2);
  ASSERT_EQ(::kill(a1->pid(), SIGSTOP), 0);
  const grpc::Status status = call.get();
  ::kill(a1->pid(), SIGCONT);
  ASSERT_TRUE(status.ok()) << status.error_message() << scheduler->Log();
  EXPECT_EQ(response.outcome(), v1::RUN_OUTCOME_SUCCEEDED) << response.error();
  EXPECT_EQ(response.node_id(), "a2");
  EXPECT_EQ(response.output(), "elsewhere\n");
  ASSERT_EQ(response.attempts_size(), 2);
  EXPECT_EQ(response.attempts(0).node_id(), "a1");
  EXPECT_NE(response.attempts(0).error().find("lease expired"), std::string::npos)
      << response.attempts(0).error();
}

// A test receiver of completion callbacks on loopback: answers 500 to the first `failures`
// tries, then 200, and keeps what it was sent.
class CallbackReceiver {
 public:
  explicit CallbackReceiver(int failures) : failures_(failures) {
    server_.Post("/done", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      signatures_.push_back(req.get_header_value("Tailor-Signature"));
      ids_.push_back(req.get_header_value("Tailor-Invocation-Id"));
      res.status = static_cast<int>(bodies_.size()) <= failures_ ? 500 : 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = ListenOnThread(server_);
  }
  ~CallbackReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/done"; }
  size_t tries() {
    std::lock_guard lock(mu_);
    return bodies_.size();
  }
  std::string body(size_t i) {
    std::lock_guard lock(mu_);
    return bodies_.at(i);
  }
  std::string signature(size_t i) {
    std::lock_guard lock(mu_);
    return signatures_.at(i);
  }
  std::string id(size_t i) {
    std::lock_guard lock(mu_);
    return ids_.at(i);
  }

 private:
  const int failures_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_, signatures_, ids_;
};

TEST_F(ReliabilityTest, ACompletionCallbackIsSignedRetriedAndItsDeliveryIsVisible) {
  auto scheduler = StartScheduler(
      "127.0.0.1:0", {"--callback-allow-private", "--callback-initial-backoff-ms", "50"});
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  DeployDir(ScriptBundle("greet", "1", "printf 'hello %s' \"$(cat)\"\n"));
  CallbackReceiver receiver(/*failures=*/2);
  int rc = -1;
  const std::string queued =
      Ctl({"invoke", "greet", "--async", "--data", "ada", "--callback", receiver.Url()}, &rc);
  ASSERT_EQ(rc, 0) << queued;
  const std::string id = queued.substr(0, queued.find('\n'));
  ASSERT_TRUE(WaitUntil([&] { return receiver.tries() == 3; }, 30s)) << scheduler->Log();

  // What arrived: the result, named by its id, signed with the function's secret.
  const auto result = nlohmann::json::parse(receiver.body(2));
  EXPECT_EQ(result["id"], id);
  EXPECT_EQ(result["state"], "succeeded");
  EXPECT_EQ(result["output"], "hello ada");
  EXPECT_FALSE(result.contains("callback"));
  EXPECT_EQ(receiver.id(2), id);
  const std::string secret_hex = Ctl({"functions", "callback-secret", "greet"}, &rc);
  ASSERT_EQ(rc, 0);
  std::string secret;
  for (size_t i = 0; i + 1 < secret_hex.size() && secret_hex[i] != '\n'; i += 2) {
    secret.push_back(static_cast<char>(std::stoi(secret_hex.substr(i, 2), nullptr, 16)));
  }
  ASSERT_EQ(secret.size(), 32u);
  const std::string signature = receiver.signature(2);
  ASSERT_EQ(signature.rfind("t=", 0), 0u) << signature;
  const std::string t = signature.substr(2, signature.find(',') - 2);
  EXPECT_EQ(signature.substr(signature.find(",v1=") + 4),
            HmacSha256Hex(secret, t + "." + receiver.body(2)));

  // The result says it was delivered, on the third try.
  nlohmann::json shown;
  ASSERT_TRUE(WaitUntil(
      [&] {
        httplib::Client http(http_.substr(0, http_.rfind(':')),
                             std::stoi(http_.substr(http_.rfind(':') + 1)));
        http.set_bearer_token_auth(AdminToken());
        auto res = http.Get("/v1/invocations/" + id);
        if (!res) return false;
        shown = nlohmann::json::parse(res->body);
        return shown["callback"]["state"] == "delivered";
      },
      10s))
      << shown.dump();
  EXPECT_EQ(shown["callback"]["attempts"], 3);
}

TEST_F(ReliabilityTest, ACallbackToAPrivateAddressIsRefusedUnlessAllowedAndSaysWhy) {
  auto scheduler = StartScheduler("127.0.0.1:0");  // private addresses not allowed
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  DeployDir(ScriptBundle("greet", "1", "echo hi\n"));
  CallbackReceiver receiver(0);
  int rc = -1;
  const std::string queued = Ctl({"invoke", "greet", "--async", "--callback", receiver.Url()}, &rc);
  ASSERT_EQ(rc, 0) << queued;
  const std::string id = queued.substr(0, queued.find('\n'));
  v1::AsyncResult result;
  ASSERT_TRUE(WaitUntil(
      [&] {
        grpc::ClientContext ctx;
        v1::GetResultRequest get;
        get.set_id(id);
        result.Clear();
        return gateway_->GetResult(&ctx, get, &result).ok() &&
               result.callback().state() == v1::CALLBACK_STATE_FAILED;
      },
      20s))
      << result.DebugString();
  EXPECT_EQ(result.state(), v1::ASYNC_STATE_SUCCEEDED) << "the invocation itself is fine";
  EXPECT_EQ(result.callback().attempts(), 1u) << "it will never pass: not retried";
  EXPECT_NE(result.callback().last_error().find("private"), std::string::npos);
  EXPECT_EQ(receiver.tries(), 0u);
  // A malformed URL is refused when the invocation is queued.
  const std::string bad =
      CtlWithStderr({"invoke", "greet", "--async", "--callback", "ftp://x"}, &rc);
  EXPECT_EQ(rc, 1) << bad;
  EXPECT_NE(bad.find("callback_url"), std::string::npos) << bad;
}

}  // namespace
}  // namespace tailor
