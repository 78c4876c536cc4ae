// The hostile-function suite: each attack runs as a real function in a real sandboxed run
// (real spawner, namespaces, mounts, cgroups, seccomp, its own uid) and must fail from inside.
// Needs root (namespaces, mounts); skips itself otherwise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>

#include "agent/inventory/cgroup_layout.h"
#include "agent/runtime/executor.h"
#include "common/file_util.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

constexpr uint32_t kFirstUid = 3'900'000;

// The host pids of the processes running as `uid`.
std::vector<pid_t> PidsOfUid(uid_t uid) {
  std::vector<pid_t> pids;
  for (const std::string& entry : ListDirectory("/proc").value_or(std::vector<std::string>{})) {
    if (entry.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st;
    if (::stat(("/proc/" + entry).c_str(), &st) == 0 && st.st_uid == uid) {
      pids.push_back(std::stoi(entry));
    }
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "sandboxes need root (namespaces, mounts)";
    ::chmod(dir_.path().c_str(), 0755);
    store_ = std::make_unique<FunctionStore>(dir_.File("store"));
    ASSERT_TRUE(store_->Load().ok());
    auto layout = ReadCgroupLayout(HostPaths{});
    ASSERT_TRUE(layout.ok()) << layout.status();
    layout_ = *layout;
    cgroups_ = MakeCgroupManager(layout_, HostPaths{}, parent_);
    resctrl_ = std::make_unique<ResctrlManager>(ResctrlInfo{}, HostPaths{});
    SandboxOptions options;
    options.state_dir = dir_.File("agent-data/sandbox");
    options.tmp_max_bytes = 8 << 20;
    auto sandbox = Sandbox::Prepare(options);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    sandbox_ = std::move(*sandbox);
    auto uids = RunUids::Open(dir_.File("agent-data/run-uids"), {kFirstUid, 100});
    ASSERT_TRUE(uids.ok()) << uids.status();
    uids_ = std::move(*uids);
    dir_.Write("agent-data/secret", "agent secret\n");
    ExecutorOptions eopts;
    eopts.node_id = "sandbox-node";
    eopts.run_spawner = tailor::testing::BinaryPath("tailor-run-spawner");
    eopts.run_pids_max = 32;
    ExecutorDeps deps;
    deps.functions = store_.get();
    deps.cgroups = cgroups_.get();
    deps.resctrl = resctrl_.get();
    deps.clock = &RealClock::Get();
    deps.sandbox = sandbox_.get();
    deps.uids = uids_.get();
    executor_ = std::make_unique<Executor>(eopts, deps);
  }
  void TearDown() override {
    executor_.reset();
    for (const auto& [controller, mount] : layout_.v1_mounts) {
      ::rmdir(JoinPath(mount, parent_).c_str());
    }
    if (!layout_.v2_mount.empty()) ::rmdir(JoinPath(layout_.v2_mount, parent_).c_str());
  }

  void InstallScript(const std::string& name, const std::string& script,
                     const std::string& manifest_extra = "") {
    const std::string src = "src-" + name;
    dir_.Write(src + "/tailor.toml", "name = '" + name +
                                         "'\nversion = '1'\nentrypoint = 'run.sh'\n"
                                         "timeout_ms = 20000\n" + manifest_extra);
    dir_.Write(src + "/run.sh", "#!/bin/bash\n" + script);
    ::chmod(dir_.File(src + "/run.sh").c_str(), 0755);
    auto installed = store_->Install(dir_.File(src));
    ASSERT_TRUE(installed.ok()) << installed.status();
  }

  // Runs `name` and returns its response; the run must have started.
  v1::InvokeResponse Run(const std::string& name, const std::string& payload = "",
                         uint64_t memory_limit_bytes = 256 << 20) {
    v1::InvokeRequest req;
    req.set_function_name(name);
    req.set_payload(payload);
    req.mutable_allocation()->set_memory_limit_bytes(memory_limit_bytes);
    auto resp = executor_->Invoke(req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    if (!resp.ok()) return {};
    EXPECT_NE(resp->report().outcome(), v1::RUN_OUTCOME_START_FAILED)
        << resp->report().error_message();
    return *resp;
  }
  // Runs a one-off script and returns its stdout.
  std::string Output(const std::string& script) {
    InstallScript("probe", script);
    v1::InvokeResponse resp = Run("probe");
    EXPECT_EQ(resp.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED) << resp.stderr_tail();
    return resp.output();
  }

  tailor::testing::TempDir dir_;
  std::string parent_ = "tailor-sandbox-test-" + std::to_string(::getpid());
  CgroupLayout layout_;
  std::unique_ptr<FunctionStore> store_;
  std::unique_ptr<CgroupManager> cgroups_;
  std::unique_ptr<ResctrlManager> resctrl_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<RunUids> uids_;
  std::unique_ptr<Executor> executor_;
};

TEST_F(SandboxTest, ARunSeesOnlyItsOwnProcesses) {
  const std::string out = Output("sleep 5 & ls /proc | grep -c '^[0-9]*$'; echo pid=$$\n");
  // The init, the shell, sleep, ls, grep: never the host's hundreds.
  EXPECT_LE(std::stoi(out), 6) << out;
  EXPECT_THAT(out, HasSubstr("pid=2\n"));
}

TEST_F(SandboxTest, TheAgentsProcessAndDataAreOutOfReach) {
  const std::string agent = std::to_string(::getpid());
  const std::string out = Output(
      "cat /proc/" + agent + "/environ >/dev/null 2>&1 && echo environ-read\n"
      "cat " + dir_.File("agent-data/secret") + " 2>/dev/null && echo secret-read\n"
      "ls " + dir_.path() + " >/dev/null 2>&1 && echo data-dir-listed\n"
      "kill -0 " + agent + " 2>/dev/null && echo agent-signalled\n"
      "echo done\n");
  EXPECT_EQ(out, "done\n");
}

TEST_F(SandboxTest, RunsNeitherSignalNorSeeOneAnother) {
  InstallScript("victim", "echo $$ > /tmp/pid; SECRET_API_KEY=victim-key exec sleep 30\n");
  auto victim = std::async(std::launch::async, [&] {
    v1::InvokeRequest req;
    req.set_function_name("victim");
    req.set_timeout_ms(3000);
    return executor_->Invoke(req);
  });
  // The victim's host pid, found from outside: a process of its uid.
  ASSERT_TRUE(tailor::testing::WaitUntil([&] { return !PidsOfUid(kFirstUid).empty(); }, 10s));
  const pid_t victim_pid = PidsOfUid(kFirstUid).back();
  const std::string out = Output(
      "kill -9 " + std::to_string(victim_pid) + " 2>/dev/null && echo killed\n"
      "grep -l victim-key /proc/*/environ 2>/dev/null && echo found-key\n"
      "echo done\n");
  EXPECT_EQ(out, "done\n");
  auto result = victim.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->report().outcome(), v1::RUN_OUTCOME_TIMED_OUT);  // it lived to its timeout
}

}  // namespace
}  // namespace tailor::agent
