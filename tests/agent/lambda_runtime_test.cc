// Lambda functions on a real executor: the shipped Python custom runtime
// (examples/lambda/python/bootstrap, following the published Runtime API) runs a test handler
// (tests/fixtures/lambda/handler.py) in real processes and cgroups, sandboxed (own network
// namespace: the Runtime API listens inside it) and not. Covers cold then warm starts on one
// instance, function errors, init errors, a crash mid-invocation, timeouts, keep-alive expiry
// and the memory the idle instances hold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/inventory/cgroup_layout.h"
#include "agent/runtime/executor.h"
#include "common/file_util.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class LambdaRuntimeTest : public ::testing::TestWithParam<bool> {
 protected:
  bool sandboxed() const { return GetParam(); }

  void SetUp() override {
    if (sandboxed() && ::geteuid() != 0) GTEST_SKIP() << "sandboxes need root (namespaces)";
    ::chmod(dir_.path().c_str(), 0755);
    store_ = std::make_unique<FunctionStore>(dir_.File("store"));
    ASSERT_TRUE(store_->Load().ok());
    auto layout = ReadCgroupLayout(HostPaths{});
    layout_ = layout.ok() && ::geteuid() == 0 ? *layout : CgroupLayout{};
    cgroups_ = MakeCgroupManager(layout_, HostPaths{}, parent_);
    resctrl_ = std::make_unique<ResctrlManager>(ResctrlInfo{}, HostPaths{});
    if (sandboxed()) {
      SandboxOptions options;
      options.state_dir = dir_.File("agent-data/sandbox");
      auto sandbox = Sandbox::Prepare(options);
      ASSERT_TRUE(sandbox.ok()) << sandbox.status();
      sandbox_ = std::move(*sandbox);
      auto uids = RunUids::Open(dir_.File("agent-data/run-uids"), {930000, 100});
      ASSERT_TRUE(uids.ok()) << uids.status();
      uids_ = std::move(*uids);
    }
  }
  void TearDown() override {
    executor_.reset();
    for (const auto& [controller, mount] : layout_.v1_mounts) {
      ::rmdir(JoinPath(mount, parent_).c_str());
    }
    if (!layout_.v2_mount.empty()) ::rmdir(JoinPath(layout_.v2_mount, parent_).c_str());
  }

  void MakeExecutor(ExecutorOptions eopts = {}) {
    eopts.node_id = "lambda-node";
    eopts.run_spawner = tailor::testing::BinaryPath("tailor-run-spawner");
    if (::geteuid() == 0 && !sandboxed()) eopts.run_uid = eopts.run_gid = 65534;
    ExecutorDeps deps;
    deps.functions = store_.get();
    deps.cgroups = cgroups_.get();
    deps.resctrl = resctrl_.get();
    deps.clock = &clock_;
    deps.sandbox = sandbox_.get();
    deps.uids = uids_.get();
    executor_ = std::make_unique<Executor>(eopts, deps);
  }

  // A bundle of the shipped bootstrap and the test handler.
  void Install(const std::string& name, const std::string& manifest_extra = "") {
    const std::string src = "src-" + name;
    dir_.Write(src + "/tailor.toml", "name = '" + name +
                                         "'\nversion = '1'\nruntime = 'lambda'\n"
                                         "handler = 'handler.handler'\ntimeout_ms = 20000\n" +
                                         manifest_extra);
    std::filesystem::copy_file(std::string(TAILOR_SOURCE_DIR) + "/examples/lambda/python/bootstrap",
                               dir_.File(src + "/bootstrap"));
    std::filesystem::copy_file(std::string(TAILOR_SOURCE_DIR) + "/tests/fixtures/lambda/handler.py",
                               dir_.File(src + "/handler.py"));
    ::chmod(dir_.File(src + "/bootstrap").c_str(), 0755);
    ::chmod(dir_.File(src + "/handler.py").c_str(), 0644);
    auto installed = store_->Install(dir_.File(src));
    ASSERT_TRUE(installed.ok()) << installed.status();
  }

  internal::v1::InvokeResponse Invoke(const std::string& name, const json& event,
                                      uint32_t timeout_ms = 0) {
    internal::v1::InvokeRequest req;
    req.set_function_name(name);
    req.set_payload(event.dump());
    req.set_timeout_ms(timeout_ms);
    req.mutable_allocation()->set_memory_limit_bytes(256 << 20);
    auto resp = executor_->Invoke(req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? *resp : internal::v1::InvokeResponse{};
  }
  static json Output(const internal::v1::InvokeResponse& r) {
    return json::parse(r.output(), nullptr, /*allow_exceptions=*/false);
  }

  tailor::testing::TempDir dir_;
  std::string parent_ = "tailor-lambda-test-" + std::to_string(::getpid());
  CgroupLayout layout_;
  SimulatedClock clock_;
  std::unique_ptr<FunctionStore> store_;
  std::unique_ptr<CgroupManager> cgroups_;
  std::unique_ptr<ResctrlManager> resctrl_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<RunUids> uids_;
  std::unique_ptr<Executor> executor_;
};

TEST_P(LambdaRuntimeTest, TheFirstCallStartsAnInstanceAndTheNextReusesIt) {
  MakeExecutor();
  Install("words");
  auto first = Invoke("words", {{"n", 1}});
  ASSERT_EQ(first.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED)
      << first.report().error_message() << first.stderr_tail();
  auto second = Invoke("words", {{"n", 2}});
  ASSERT_EQ(second.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED) << second.stderr_tail();

  const json a = Output(first), b = Output(second);
  EXPECT_EQ(a["echo"]["n"], 1);
  EXPECT_EQ(b["echo"]["n"], 2);
  EXPECT_EQ(a["instance"], b["instance"]) << "the second call ran on the warm instance";
  EXPECT_EQ(a["handler"], "handler.handler");
  EXPECT_EQ(a["function"], "words");
  EXPECT_EQ(a["memory_mb"], "256");
  EXPECT_THAT(a["arn"].get<std::string>(), HasSubstr(":function:words"));
  EXPECT_GT(a["remaining_ms"].get<int64_t>(), 10'000);
  if (sandboxed()) {
    EXPECT_EQ(a["task_root"], "/function");
  }

  EXPECT_EQ(first.report().start_kind(), v1::START_KIND_COLD);
  EXPECT_GT(first.report().init_duration_us(), 0);
  EXPECT_EQ(first.report().instance_invocations(), 1u);
  EXPECT_EQ(second.report().start_kind(), v1::START_KIND_WARM);
  EXPECT_EQ(second.report().init_duration_us(), 0);
  EXPECT_EQ(second.report().instance_invocations(), 2u);
  EXPECT_GT(second.report().wall_time_us(), 0);
  // Each call's log is its own.
  EXPECT_THAT(second.stderr_tail(), HasSubstr("log line for " + second.report().invocation_id()));
  EXPECT_THAT(second.stderr_tail(),
              ::testing::Not(HasSubstr("log line for " + first.report().invocation_id())));
  // The idle instance holds its memory limit in the pool.
  EXPECT_EQ(executor_->warm_pool().stats().idle_instances, 1u);
  EXPECT_EQ(executor_->warm_pool().stats().idle_memory_bytes, 256u << 20);
}

TEST_P(LambdaRuntimeTest, AHandlerErrorIsAFunctionErrorWithLambdasJsonAndTheInstanceStaysWarm) {
  MakeExecutor();
  Install("words");
  auto failed = Invoke("words", {{"op", "fail"}});
  EXPECT_EQ(failed.report().outcome(), v1::RUN_OUTCOME_FUNCTION_ERROR);
  const json error = Output(failed);
  EXPECT_EQ(error["errorType"], "ValueError");
  EXPECT_EQ(error["errorMessage"], "bad input on purpose");
  EXPECT_THAT(failed.report().error_message(), HasSubstr("Unhandled"));
  EXPECT_THAT(failed.stderr_tail(), HasSubstr("Traceback"));
  auto next = Invoke("words", {{"n", 3}});
  EXPECT_EQ(next.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  EXPECT_EQ(next.report().start_kind(), v1::START_KIND_WARM);
}

TEST_P(LambdaRuntimeTest, ARuntimeThatExitsMidInvocationFailsItAndTheNextCallStartsCold) {
  MakeExecutor();
  Install("words");
  ASSERT_EQ(Invoke("words", {{"n", 1}}).report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  auto crashed = Invoke("words", {{"op", "exit"}});
  EXPECT_EQ(crashed.report().outcome(), v1::RUN_OUTCOME_FUNCTION_ERROR);
  EXPECT_EQ(Output(crashed)["errorType"], "Runtime.ExitError");
  EXPECT_THAT(Output(crashed)["errorMessage"].get<std::string>(), HasSubstr("exit status 3"));
  EXPECT_EQ(executor_->warm_pool().stats().idle_instances, 0u);
  auto after = Invoke("words", {{"n", 2}});
  EXPECT_EQ(after.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  EXPECT_EQ(after.report().start_kind(), v1::START_KIND_COLD);
}

TEST_P(LambdaRuntimeTest, ATimeoutEndsTheInstance) {
  MakeExecutor();
  Install("words");
  auto slow = Invoke("words", {{"op", "sleep"}, {"s", 30}}, /*timeout_ms=*/1500);
  EXPECT_EQ(slow.report().outcome(), v1::RUN_OUTCOME_TIMED_OUT);
  EXPECT_TRUE(slow.report().timed_out());
  EXPECT_EQ(Output(slow)["errorType"], "Sandbox.Timedout");
  EXPECT_EQ(executor_->warm_pool().stats().idle_instances, 0u);
  auto after = Invoke("words", {{"n", 1}});
  EXPECT_EQ(after.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  EXPECT_EQ(after.report().start_kind(), v1::START_KIND_COLD);
}

TEST_P(LambdaRuntimeTest, AnInitErrorIsTheInvocationsFunctionErrorWithTheRuntimesJson) {
  MakeExecutor();
  Install("broken", "[env]\nFAIL_INIT = '1'\n");
  auto r = Invoke("broken", {{"n", 1}});
  EXPECT_EQ(r.report().outcome(), v1::RUN_OUTCOME_FUNCTION_ERROR);
  EXPECT_EQ(Output(r)["errorType"], "RuntimeError");
  EXPECT_EQ(Output(r)["errorMessage"], "init broke on purpose");
  EXPECT_THAT(r.report().error_message(), HasSubstr("failed to initialize"));
  EXPECT_EQ(executor_->warm_pool().stats().idle_instances, 0u);
}

TEST_P(LambdaRuntimeTest, AnIdleInstanceIsRetiredAfterItsKeepAliveWindow) {
  ExecutorOptions eopts;
  eopts.keep_alive.fixed_window_s = 60;
  MakeExecutor(eopts);
  Install("words");
  ASSERT_EQ(Invoke("words", {{"n", 1}}).report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  clock_.Advance(std::chrono::seconds(30));
  EXPECT_EQ(executor_->warm_pool().RetireExpired(), 0u);
  EXPECT_EQ(Invoke("words", {{"n", 2}}).report().start_kind(), v1::START_KIND_WARM);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(executor_->warm_pool().RetireExpired(), 1u);
  EXPECT_EQ(executor_->warm_pool().stats().idle_memory_bytes, 0u);
  EXPECT_EQ(Invoke("words", {{"n", 3}}).report().start_kind(), v1::START_KIND_COLD);
}

TEST_P(LambdaRuntimeTest, IdleInstancesBeyondTheMemoryBudgetAreRetiredLongestIdleFirst) {
  ExecutorOptions eopts;
  eopts.warm_memory_budget_bytes = 300 << 20;  // room for one idle 256 MiB instance
  MakeExecutor(eopts);
  Install("one");
  Install("two");
  ASSERT_EQ(Invoke("one", {{"n", 1}}).report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_EQ(Invoke("two", {{"n", 1}}).report().outcome(), v1::RUN_OUTCOME_SUCCEEDED);
  const auto stats = executor_->warm_pool().stats();
  EXPECT_EQ(stats.idle_instances, 1u);
  EXPECT_EQ(stats.retired_budget, 1u);
  EXPECT_EQ(executor_->warm_pool().IdleByKey(), (std::map<std::string, uint32_t>{{"two@1", 1}}));
  EXPECT_EQ(Invoke("one", {{"n", 2}}).report().start_kind(), v1::START_KIND_COLD);
}

INSTANTIATE_TEST_SUITE_P(Isolation, LambdaRuntimeTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Sandboxed" : "Plain";
                         });

}  // namespace
}  // namespace tailor::agent
