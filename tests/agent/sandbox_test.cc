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

#include <algorithm>
#include <filesystem>
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

// Copies a file (its target, for a symlink), making the directories on the way.
Status CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(to).parent_path(), ec);
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  return ec ? ErrnoToStatus(ec.value(), "copying " + from) : OkStatus();
}

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
                     const std::string& manifest_extra = "",
                     const std::string& shell = "/bin/bash") {
    const std::string src = "src-" + name;
    dir_.Write(src + "/tailor.toml", "name = '" + name +
                                         "'\nversion = '1'\nentrypoint = 'run.sh'\n"
                                         "timeout_ms = 20000\n" +
                                         manifest_extra);
    dir_.Write(src + "/run.sh", "#!" + shell + "\n" + script);
    ::chmod(dir_.File(src + "/run.sh").c_str(), 0755);
    auto installed = store_->Install(dir_.File(src));
    ASSERT_TRUE(installed.ok()) << installed.status();
  }

  // Runs `name` and returns its response; the run must have started.
  internal::v1::InvokeResponse Run(const std::string& name, const std::string& payload = "",
                                   uint64_t memory_limit_bytes = 256 << 20) {
    internal::v1::InvokeRequest req;
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
    internal::v1::InvokeResponse resp = Run("probe");
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
  const std::string out = Output("cat /proc/" + agent +
                                 "/environ >/dev/null 2>&1 && echo environ-read\n"
                                 "cat " +
                                 dir_.File("agent-data/secret") +
                                 " 2>/dev/null && echo secret-read\n"
                                 "ls " +
                                 dir_.path() +
                                 " >/dev/null 2>&1 && echo data-dir-listed\n"
                                 "kill -0 " +
                                 agent +
                                 " 2>/dev/null && echo agent-signalled\n"
                                 "echo done\n");
  EXPECT_EQ(out, "done\n");
}

TEST_F(SandboxTest, RunsNeitherSignalNorSeeOneAnother) {
  InstallScript("victim", "echo $$ > /tmp/pid; SECRET_API_KEY=victim-key exec sleep 30\n");
  auto victim = std::async(std::launch::async, [&] {
    internal::v1::InvokeRequest req;
    req.set_function_name("victim");
    req.set_timeout_ms(3000);
    return executor_->Invoke(req);
  });
  // The victim's host pid, found from outside: a process of its uid (read once: a process of
  // that uid seen by one scan may be gone at the next).
  std::vector<pid_t> pids;
  ASSERT_TRUE(tailor::testing::WaitUntil(
      [&] {
        pids = PidsOfUid(kFirstUid);
        return !pids.empty();
      },
      10s));
  const pid_t victim_pid = pids.back();
  const std::string out =
      Output("kill -9 " + std::to_string(victim_pid) +
             " 2>/dev/null && echo killed\n"
             "grep -l victim-key /proc/*/environ 2>/dev/null && echo found-key\n"
             "echo done\n");
  EXPECT_EQ(out, "done\n");
  auto result = victim.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->report().outcome(), v1::RUN_OUTCOME_TIMED_OUT);  // it lived to its timeout
}

TEST_F(SandboxTest, NoLoopbackPortOfTheHostIsReachable) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const std::string out =
      Output("(exec 3<>/dev/tcp/127.0.0.1/" + port +
             ") 2>/dev/null && echo reached\n"
             "ip -o link 2>/dev/null | grep -v ' lo:' | grep -q . && echo other-interfaces\n"
             "echo sockets=$(grep -c : /proc/net/tcp)\n");
  ::close(listener);
  // An empty table: the run's own namespace has no sockets but its own.
  EXPECT_EQ(out, "sockets=0\n");
}

TEST_F(SandboxTest, NothingWrittenByOneFunctionIsLeftForTheNext) {
  InstallScript("writer",
                "echo from-writer > /tmp/left; echo from-writer > /dev/shm/left\n"
                "echo x > /function/left 2>/dev/null && echo bundle-written\n"
                "echo x > /etc/left 2>/dev/null && echo etc-written\n"
                "echo x > /usr/left 2>/dev/null && echo usr-written\n"
                "echo x > /dev/left 2>/dev/null && echo dev-written\n"
                "echo x > /left 2>/dev/null && echo root-written\n"
                "cat /tmp/left /dev/shm/left\n");
  internal::v1::InvokeResponse writer = Run("writer");
  EXPECT_EQ(writer.output(), "from-writer\nfrom-writer\n");
  const std::string out = Output("cat /tmp/left /dev/shm/left 2>/dev/null; ls -A /tmp /dev/shm\n");
  EXPECT_EQ(out, "/dev/shm:\n\n/tmp:\n");
}

TEST_F(SandboxTest, TmpCountsAgainstTheRunsMemoryAndIsBounded) {
  // 8 MiB /tmp (the test's cap): a larger file fails to write; the run goes on.
  const std::string out = Output(
      "head -c 16777216 /dev/zero > /tmp/big 2>/dev/null || echo tmp-full\n"
      "df -k /tmp | tail -1 | awk '{print $2}'\n");
  EXPECT_EQ(out, "tmp-full\n8192\n");
}

TEST_F(SandboxTest, ARunCannotStartMoreThanItsPidsLimit) {
  if (cgroups_->version() == 1 && !layout_.v1_mounts.contains("pids")) {
    GTEST_SKIP() << "no pids controller on this host";
  }
  // dash gives up at the first failed fork (bash would retry for seconds): in a subshell.
  InstallScript("forker",
                "(i=0; while [ $i -lt 100 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null\n"
                "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo running=$n\n",
                "", "/bin/sh");
  internal::v1::InvokeResponse resp = Run("forker");
  const std::string& out = resp.output();
  // The limit is 32 tasks for the whole run, its init included.
  const size_t at = out.find("running=");
  ASSERT_NE(at, std::string::npos) << out << resp.stderr_tail();
  EXPECT_LE(std::stoi(out.substr(at + 8)), 32) << out;
  EXPECT_GE(std::stoi(out.substr(at + 8)), 20) << out;  // it did try
}

TEST_F(SandboxTest, ARunHasNoPrivilegesAndCannotGainAny) {
  // A setuid-root copy of `id` in the bundle: no_new_privs and the nosuid bundle keep it at
  // the run's uid.
  const std::string src = "src-setuid";
  dir_.Write(src + "/tailor.toml", "name = 'setuid'\nversion = '1'\nentrypoint = 'run.sh'\n");
  dir_.Write(src + "/run.sh",
             "#!/bin/sh\n/function/id-root -u\n"
             "grep -E '^(NoNewPrivs|Seccomp|CapEff|CapPrm|CapBnd|Uid):' /proc/self/status\n");
  ::chmod(dir_.File(src + "/run.sh").c_str(), 0755);
  ASSERT_TRUE(CopyFile("/usr/bin/id", dir_.File(src + "/id-root")).ok());
  auto installed = store_->Install(dir_.File(src));
  ASSERT_TRUE(installed.ok()) << installed.status();
  ASSERT_EQ(::chmod(JoinPath(installed->bundle_dir, "id-root").c_str(), 04755), 0);
  internal::v1::InvokeResponse resp = Run("setuid");
  const std::string& out = resp.output();
  const std::string uid = std::to_string(kFirstUid);  // the first function of this test
  EXPECT_THAT(out, HasSubstr(uid + "\n"));
  EXPECT_THAT(out, Not(HasSubstr("\n0\n")));
  EXPECT_THAT(out, HasSubstr("NoNewPrivs:\t1"));
  EXPECT_THAT(out, HasSubstr("Seccomp:\t2"));
  EXPECT_THAT(out, HasSubstr("CapEff:\t0000000000000000"));
  EXPECT_THAT(out, HasSubstr("CapPrm:\t0000000000000000"));
  EXPECT_THAT(out, HasSubstr("CapBnd:\t0000000000000000"));
}

TEST_F(SandboxTest, FilteredSyscallsAreRefused) {
  const std::string out = Output(
      "unshare -r true 2>/dev/null && echo unshared\n"
      "unshare -n true 2>/dev/null && echo netns\n"
      "mount -t tmpfs none /tmp 2>/dev/null && echo mounted\n"
      "python3 -c 'import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); "
      "r=l.syscall(321,0,0,0); print(\"bpf\", r, ctypes.get_errno())' 2>/dev/null\n"
      "echo done\n");
  // bpf(2) is 321 on x86_64; EPERM is 1. (No python3 in /usr: only "done".)
  EXPECT_THAT(out, Not(HasSubstr("unshared")));
  EXPECT_THAT(out, Not(HasSubstr("netns")));
  EXPECT_THAT(out, Not(HasSubstr("mounted")));
  if (PathExists("/usr/bin/python3")) {
    EXPECT_THAT(out, HasSubstr("bpf -1 1\n"));
  }
  EXPECT_THAT(out, HasSubstr("done\n"));
}

TEST_F(SandboxTest, EachFunctionHasItsOwnUserAndKeepsIt) {
  InstallScript("first", "id -u\n");
  InstallScript("second", "id -u\n");
  const std::string first = Run("first").output();
  const std::string second = Run("second").output();
  EXPECT_NE(first, second);
  EXPECT_EQ(Run("first").output(), first);
  const int uid = std::stoi(first);
  EXPECT_GE(uid, static_cast<int>(kFirstUid));
  EXPECT_LT(uid, static_cast<int>(kFirstUid + 100));
  // The assignment outlives the agent.
  auto reopened = RunUids::Open(dir_.File("agent-data/run-uids"), {kFirstUid, 100});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->For("first"), static_cast<uint32_t>(uid));
}

TEST_F(SandboxTest, KillingTheRunKillsEverythingInItEvenDaemons) {
  InstallScript("daemon",
                "setsid sleep 300 </dev/null >/dev/null 2>&1 &\n"
                "(sleep 300 &) ; echo started; exec sleep 300\n");
  internal::v1::InvokeRequest req;
  req.set_function_name("daemon");
  req.set_timeout_ms(1500);
  auto resp = executor_->Invoke(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->report().outcome(), v1::RUN_OUTCOME_TIMED_OUT);
  EXPECT_EQ(resp->output(), "started\n");
  const uint32_t uid = *uids_->For("daemon");
  EXPECT_TRUE(tailor::testing::WaitUntil([&] { return PidsOfUid(uid).empty(); }, 5s));
}

TEST_F(SandboxTest, TheFunctionsExitStatusAndSignalsComeThroughItsInit) {
  InstallScript("exit3", "echo out; exit 3\n");
  internal::v1::InvokeResponse exited = Run("exit3");
  EXPECT_EQ(exited.report().outcome(), v1::RUN_OUTCOME_FUNCTION_ERROR);
  EXPECT_EQ(exited.report().exit_code(), 3);
  InstallScript("segv", "kill -SEGV $$\n");
  internal::v1::InvokeResponse killed = Run("segv");
  EXPECT_EQ(killed.report().outcome(), v1::RUN_OUTCOME_FUNCTION_ERROR);
  EXPECT_EQ(killed.report().term_signal(), SIGSEGV);
}

TEST_F(SandboxTest, OomKillsAreStillReportedAsSuch) {
  InstallScript("hog",
                "head -c 100000000 /dev/zero | tail -c 1 > /dev/null; "
                "a=$(head -c 67108864 /dev/zero | tr '\\0' x); echo ${#a}\n");
  internal::v1::InvokeResponse resp = Run("hog", "", 32 << 20);
  EXPECT_EQ(resp.report().outcome(), v1::RUN_OUTCOME_OOM_KILLED) << resp.stderr_tail();
}

TEST_F(SandboxTest, AFunctionAskingForTheNetworkIsRefusedWhereNotAllowed) {
  InstallScript("online", "echo hi\n", "network = 'outbound'\n");
  internal::v1::InvokeRequest req;
  req.set_function_name("online");
  auto resp = executor_->Invoke(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(resp.status().message(), HasSubstr("--sandbox-allow-network"));
  EXPECT_EQ(resp.status().reason(), ErrorReason::kNotStarted);
}

TEST_F(SandboxTest, ARootfsBundleIsTheRunsWholeFileSystem) {
  // The shipped example: a shell and its libraries from this host as the bundle's rootfs/.
  int rc = -1;
  const std::string built = tailor::testing::RunCommand(
      {std::string(TAILOR_SOURCE_DIR) + "/examples/rootfs-function/build.sh",
       dir_.File("rootfs-fn")},
      &rc);
  ASSERT_EQ(rc, 0) << built;
  auto installed = store_->Install(dir_.File("rootfs-fn"));
  ASSERT_TRUE(installed.ok()) << installed.status();
  internal::v1::InvokeResponse resp = Run("rootfs-hello", "tailor\n");
  EXPECT_EQ(resp.report().outcome(), v1::RUN_OUTCOME_SUCCEEDED) << resp.stderr_tail();
  // Its own /etc, not the host's or the agent's.
  EXPECT_EQ(resp.output(), "hello, tailor, from Tailor example rootfs\n");
  // Nothing of the host's: the same rootfs under another function that looks around.
  std::filesystem::copy(dir_.File("rootfs-fn"), dir_.File("rootfs-peek"),
                        std::filesystem::copy_options::recursive);
  ASSERT_TRUE(WriteFile(dir_.File("rootfs-peek/tailor.toml"),
                        "name = 'rootfs-peek'\nversion = '1'\nentrypoint = 'handler.sh'\n")
                  .ok());
  ASSERT_TRUE(WriteFile(dir_.File("rootfs-peek/handler.sh"),
                        "#!/bin/sh\nfor f in /*; do echo \"$f\"; done\n"
                        "[ -e /usr/bin/env ] && echo host-usr; exit 0\n")
                  .ok());
  ASSERT_TRUE(store_->Install(dir_.File("rootfs-peek")).ok());
  EXPECT_EQ(Run("rootfs-peek").output(),
            "/bin\n/dev\n/etc\n/function\n/lib\n/lib64\n/proc\n/tmp\n");
}

TEST_F(SandboxTest, ARootfsWhoseMountPointIsASymlinkIsRefused) {
  int rc = -1;
  const std::string built = tailor::testing::RunCommand(
      {std::string(TAILOR_SOURCE_DIR) + "/examples/rootfs-function/build.sh", dir_.File("bent")},
      &rc);
  ASSERT_EQ(rc, 0) << built;
  auto installed = store_->Install(dir_.File("bent"));
  ASSERT_TRUE(installed.ok()) << installed.status();
  // As an archive with a symlink inside the bundle would unpack.
  const std::string tmp = JoinPath(installed->bundle_dir, "rootfs/tmp");
  std::filesystem::remove_all(tmp);
  ASSERT_EQ(::symlink("etc", tmp.c_str()), 0);
  internal::v1::InvokeRequest req;
  req.set_function_name("rootfs-hello");
  auto resp = executor_->Invoke(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(resp.status().message(), HasSubstr("rootfs/tmp is not a directory"));
}

TEST_F(SandboxTest, AMountThatCannotBeMadeIsAStartFailureNamingIt) {
  // A rootfs without a shell: the mounts work, the exec fails; and a bundle whose rootfs is a
  // file is not a rootfs at all. Here: the sandbox's root directory is gone.
  InstallScript("nowhere", "echo hi\n");
  std::filesystem::remove_all(dir_.File("agent-data/sandbox/root"));
  internal::v1::InvokeRequest req;
  req.set_function_name("nowhere");
  auto resp = executor_->Invoke(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->report().outcome(), v1::RUN_OUTCOME_START_FAILED);
  EXPECT_EQ(resp->report().start_step(), v1::START_STEP_SANDBOX);
  EXPECT_THAT(resp->report().error_message(), HasSubstr("sandbox/root"));
}

}  // namespace
}  // namespace tailor::agent
