// RunProcess through a real tailor-run-spawner: real processes, real signals, no cgroups (the
// executor tests add those). What is checked is what the spawner is for: the run is its child,
// every run's answers reach the right caller, runs never outlive the spawner, and a spawner
// that dies is replaced.
#include "agent/runtime/run_spawner.h"

#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include "agent/runtime/process_runner.h"
#include "common/file_util.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

using namespace std::chrono_literals;

ProcessSpec Shell(const std::string& script) {
  ProcessSpec spec;
  spec.executable = "/bin/sh";
  spec.args = {"-c", script};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.timeout = 20s;
  return spec;
}

// Whether `pid` is gone (or a zombie nobody has reaped yet: it no longer runs).
bool Gone(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return true;
  const size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';
}

pid_t ReadPidFile(const std::string& path) {
  pid_t pid = 0;
  EXPECT_TRUE(testing::WaitUntil([&] {
    std::ifstream in(path);
    return static_cast<bool>(in >> pid) && pid > 0;
  }, 10s)) << path;
  return pid;
}

class RunSpawnerTest : public ::testing::Test {
 protected:
  RunSpawner spawner_{testing::BinaryPath("tailor-run-spawner")};
  testing::TempDir dir_;
};

TEST_F(RunSpawnerTest, RunsTheProgramAsItsChildWithPayloadOutputAndExit) {
  auto result = RunProcess(spawner_, Shell("echo parent=$PPID; cat; echo oops >&2; exit 3"),
                           nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_GT(spawner_.pid(), 0);
  EXPECT_EQ(result->stdout_data, "parent=" + std::to_string(spawner_.pid()) + "\n");
  EXPECT_EQ(result->stderr_tail, "oops\n");
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->term_signal, 0);
  EXPECT_TRUE(result->function_rusage);
  EXPECT_GT(result->rusage.ru_maxrss, 0);
  EXPECT_GT(result->wall_time.count(), 0);
  EXPECT_GE(result->ended_at, result->started_at);

  ProcessSpec with_payload = Shell("cat");
  with_payload.stdin_data = std::string(300'000, 'p');  // more than a pipe buffer
  auto echoed = RunProcess(spawner_, with_payload, nullptr);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->stdout_data, with_payload.stdin_data);
  EXPECT_EQ(echoed->exit_code, 0);
}

TEST_F(RunSpawnerTest, ARunCannotGainPrivilegesThroughSetuidBinaries) {
  // no_new_privs, as the kernel reports it for the function's own process.
  auto result = RunProcess(spawner_, Shell("grep NoNewPrivs /proc/self/status"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_data, "NoNewPrivs:\t1\n");
}

TEST_F(RunSpawnerTest, JoinFilesAreWrittenBeforeTheProgramStarts) {
  // What the child writes to a cgroup.procs or resctrl tasks file to move itself.
  ASSERT_TRUE(WriteFile(dir_.File("cgroup.procs"), "").ok());
  ASSERT_TRUE(WriteFile(dir_.File("tasks"), "").ok());
  ProcessSpec spec = Shell("cat " + dir_.File("cgroup.procs") + " " + dir_.File("tasks"));
  spec.join_files = {dir_.File("cgroup.procs"), dir_.File("tasks")};
  auto result = RunProcess(spawner_, spec, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_data, "00");
}

TEST_F(RunSpawnerTest, CountersAreOpenedOnTheChildAndReadAfterTheRun) {
  ProcessSpec spec = Shell("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo done");
  spec.counters = {{PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
                   {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS}};
  auto result = RunProcess(spawner_, spec, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_data, "done\n");
  ASSERT_TRUE(result->counters.opened) << result->counters.unavailable;
  ASSERT_EQ(result->counters.values.size(), 2u);
  // Counted from exec: the shell's loop, about as much CPU as rusage says (ms vs ns).
  const auto rusage_ns = (result->rusage.ru_utime.tv_sec * 1'000'000 +
                          result->rusage.ru_utime.tv_usec) * 1000;
  EXPECT_GT(result->counters.values[0], 1'000'000u);  // over 1 ms of task clock
  EXPECT_LT(result->counters.values[0], static_cast<uint64_t>(rusage_ns) * 3 + 50'000'000u);
  EXPECT_GT(result->counters.values[1], 10u);  // the shell faulted its pages in

  // A counter the kernel refuses: the run goes ahead without counters and says why.
  ProcessSpec refused = Shell("echo ran");
  refused.counters = {{PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK}, {0xfffffu, 0}};
  auto without = RunProcess(spawner_, refused, nullptr);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(without->stdout_data, "ran\n");
  EXPECT_FALSE(without->counters.opened);
  EXPECT_TRUE(without->counters.values.empty());
  EXPECT_NE(without->counters.unavailable.find("perf events unavailable"), std::string::npos)
      << without->counters.unavailable;
}

TEST_F(RunSpawnerTest, ExecFailureIsAStartFailureAtTheExecStepAndTheNextRunWorks) {
  ProcessSpec missing = Shell("");
  missing.executable = dir_.File("no-such-program");
  auto result = RunProcess(spawner_, missing, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->start_failure.has_value());
  EXPECT_EQ(result->start_failure->step, StartFailStep::kExec);
  EXPECT_EQ(result->start_failure->status.code(), StatusCode::kNotFound)
      << result->start_failure->status;

  ProcessSpec env_with_nul = Shell("true");
  env_with_nul.env.push_back(std::string("X=\0", 3));
  EXPECT_EQ(RunProcess(spawner_, env_with_nul, nullptr).status().code(),
            StatusCode::kInvalidArgument);

  auto next = RunProcess(spawner_, Shell("echo fine"), nullptr);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->stdout_data, "fine\n");
}

TEST_F(RunSpawnerTest, ACgroupThatCannotBeJoinedFailsTheRunBeforeItStarts) {
  ProcessSpec spec = Shell("touch " + dir_.File("ran"));
  spec.join_files = {dir_.File("no-such-cgroup/cgroup.procs")};
  auto result = RunProcess(spawner_, spec, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->start_failure.has_value());
  const StartFailure& failure = *result->start_failure;
  EXPECT_EQ(failure.step, StartFailStep::kJoin);
  EXPECT_EQ(failure.status.code(), StatusCode::kNotFound) << failure.status;
  EXPECT_NE(failure.status.message().find("no-such-cgroup/cgroup.procs"), std::string::npos)
      << failure.status;
  EXPECT_FALSE(PathExists(dir_.File("ran")));
}

TEST_F(RunSpawnerTest, TimeoutKillsTheWholeProcessGroup) {
  ProcessSpec spec = Shell("sleep 30 & echo $! > " + dir_.File("bg") + "; sleep 30");
  spec.timeout = 300ms;
  auto result = RunProcess(spawner_, spec, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_LT(result->wall_time, 10s);
  const pid_t background = ReadPidFile(dir_.File("bg"));
  EXPECT_TRUE(testing::WaitUntil([&] { return Gone(background); }, 5s));
}

TEST_F(RunSpawnerTest, ConcurrentRunsEachGetTheirOwnAnswers) {
  constexpr int kRuns = 8;
  std::vector<std::future<Result<ProcessResult>>> runs;
  for (int i = 0; i < kRuns; ++i) {
    runs.push_back(std::async(std::launch::async, [this, i] {
      ProcessSpec spec = Shell("sleep 0.0" + std::to_string(kRuns - i) + "; cat; exit " +
                                std::to_string(i));  // later runs finish first
      spec.stdin_data = "run " + std::to_string(i);
      return RunProcess(spawner_, spec, nullptr);
    }));
  }
  for (int i = 0; i < kRuns; ++i) {
    auto result = runs[static_cast<size_t>(i)].get();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->stdout_data, "run " + std::to_string(i));
    EXPECT_EQ(result->exit_code, i);
  }
}

TEST_F(RunSpawnerTest, ASpawnerKilledBetweenRunsIsReplaced) {
  ASSERT_TRUE(RunProcess(spawner_, Shell("true"), nullptr).ok());
  const pid_t first = spawner_.pid();
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(testing::WaitUntil([&] { return Gone(first); }, 5s));

  auto result = RunProcess(spawner_, Shell("echo again"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_data, "again\n");
  EXPECT_NE(spawner_.pid(), first);
  EXPECT_FALSE(PathExists("/proc/" + std::to_string(first)));  // reaped, not a zombie
}

TEST_F(RunSpawnerTest, ARunEndsWithItsSpawnerAndSaysSo) {
  auto run = std::async(std::launch::async, [this] {
    return RunProcess(spawner_, Shell("echo $$ > " + dir_.File("pid") + "; exec sleep 30"),
                      nullptr);
  });
  const pid_t function = ReadPidFile(dir_.File("pid"));
  ASSERT_EQ(::kill(spawner_.pid(), SIGKILL), 0);
  ASSERT_EQ(run.wait_for(10s), std::future_status::ready);
  auto result = run.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->function_rusage);
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_TRUE(testing::WaitUntil([&] { return Gone(function); }, 5s))
      << "the function outlived its spawner";
}

TEST_F(RunSpawnerTest, AnAgentThatGoesAwayTakesItsRunsWithIt) {
  auto spawner = std::make_unique<RunSpawner>(testing::BinaryPath("tailor-run-spawner"));
  auto run = std::async(std::launch::async, [&] {
    return RunProcess(*spawner, Shell("echo $$ > " + dir_.File("pid") + "; exec sleep 30"),
                      nullptr);
  });
  const pid_t function = ReadPidFile(dir_.File("pid"));
  const pid_t spawner_pid = spawner->pid();
  spawner.reset();  // closes the control socket and waits for the spawner to exit
  EXPECT_FALSE(PathExists("/proc/" + std::to_string(spawner_pid)));
  EXPECT_TRUE(Gone(function));
  ASSERT_EQ(run.wait_for(10s), std::future_status::ready);
  auto result = run.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_TRUE(result->function_rusage);  // the spawner reaped it and said so before leaving
}

TEST_F(RunSpawnerTest, AMalformedRequestIsRefusedAndTheSpawnerCarriesOn) {
  int fds[spawn::kFdCount];
  int channel[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel), 0);
  for (int i = 0; i < spawn::kFdCount; ++i) fds[i] = channel[1];
  ASSERT_TRUE(spawner_.Send("not a request", fds, spawn::kFdCount).ok());
  ::close(channel[1]);
  spawn::SpawnEvent event;
  ASSERT_EQ(::recv(channel[0], &event, sizeof(event), 0), static_cast<ssize_t>(sizeof(event)));
  ::close(channel[0]);
  EXPECT_EQ(event.kind, spawn::EventKind::kFailed);
  EXPECT_EQ(event.error, EINVAL);

  const pid_t pid = spawner_.pid();
  auto result = RunProcess(spawner_, Shell("echo still here"), nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_data, "still here\n");
  EXPECT_EQ(spawner_.pid(), pid);
}

TEST_F(RunSpawnerTest, AMissingSpawnerProgramIsAClearError) {
  RunSpawner missing(dir_.File("tailor-run-spawner"));
  auto result = RunProcess(missing, Shell("true"), nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("run spawner"), std::string::npos) << result.status();
}

}  // namespace
}  // namespace tailor::agent
