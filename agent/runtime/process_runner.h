// RunProcess: runs one executable to completion the way Tailor runs a function.
//
//   - the run is started by the agent's tailor-run-spawner (run_spawner.h): a small process
//     that forks it, so the agent never forks itself (forking a large, threaded agent would
//     write-protect all its memory and cost a copy-on-write fault, with a TLB shootdown to
//     every CPU, for each page the agent touched afterwards) and the run's peak memory is its
//     own, not inherited from the agent;
//   - the child joins the run's cgroups, then waits at a start gate until the caller's
//     `attach` hook has put it into its perf counters and resctrl groups, so everything the
//     function does is measured from its exec on;
//   - the child drops to `uid`/`gid` (when set) and execs the function with exactly `env`, in
//     its own process group, with the payload on stdin and stdout/stderr pipes;
//   - stdout is kept up to a cap (the rest is counted and discarded); stderr keeps its tail;
//   - at the wall-clock timeout the process group is SIGKILLed and `kill_tree` runs (the
//     cgroup kill, which also reaches processes that left the group);
//   - at exit the spawner reads /proc/<pid>/io while the child is a zombie (its totals include
//     reaped descendants), kills the rest of its process group and reaps it with wait4: this
//     run's own rusage (getrusage(RUSAGE_CHILDREN) would mix in every earlier run).
//
// Thread-safety: RunProcess may be called from many threads at once. It sets SIGPIPE to
// ignored for the process (once); children get default dispositions and an empty signal mask.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/runtime/cgroup_stats.h"
#include "agent/runtime/run_spawner.h"
#include "common/clock.h"
#include "common/status.h"

namespace tailor::agent {

struct ProcessSpec {
  std::string executable;           // absolute path
  std::vector<std::string> args;    // argv[1..]
  std::vector<std::string> env;     // "KEY=VALUE", the child's whole environment
  std::string working_dir;          // "" : inherit
  std::string stdin_data;
  size_t stdout_cap_bytes = 1 << 20;
  size_t stderr_cap_bytes = 16 << 10;
  std::chrono::milliseconds timeout{30'000};
  std::optional<uid_t> uid;         // drop to this user before exec
  std::optional<gid_t> gid;
  // cgroup.procs files the child writes "0" to before exec, so it joins the run's cgroups
  // itself.
  std::vector<std::string> join_cgroup_procs_files;
};

struct ProcessResult {
  int exit_code = -1;               // -1 when killed by a signal
  int term_signal = 0;
  bool timed_out = false;
  std::string stdout_data;
  uint64_t stdout_total_bytes = 0;
  bool stdout_truncated = false;
  std::string stderr_tail;
  bool stderr_truncated = false;
  struct rusage rusage {};
  // False when the spawner died during the run (it is started again for the next one): then
  // the exit status is unknown (reported as SIGKILL, which pdeathsig sent) and rusage is 0.
  bool function_rusage = false;
  std::chrono::nanoseconds wall_time{0};  // exec to exit
  WallTime started_at;
  WallTime ended_at;
  std::optional<IoBytes> proc_io;   // from /proc/<pid>/io at exit, when readable
};

using AttachFn = std::function<Status(pid_t)>;
using KillTreeFn = std::function<void()>;

// A run's child, forked by the spawner, inside its cgroups (once it has joined them) and
// waiting at its start gate for the program to exec. The executor prepares each run on
// demand: preparing ahead of time was measured and costs the spawner copy-on-write faults
// while children wait (docs/benchmarks.md). Destroying one that was never run makes its child
// exit, and waits until the spawner has reaped it.
class PreparedProcess {
 public:
  // Asks the spawner for a child that joins these cgroup.procs files.
  static Result<std::unique_ptr<PreparedProcess>> Prepare(
      RunSpawner& spawner, const std::vector<std::string>& join_cgroup_procs_files);
  ~PreparedProcess();
  PreparedProcess(const PreparedProcess&) = delete;
  PreparedProcess& operator=(const PreparedProcess&) = delete;

  pid_t pid() const { return pid_; }

 private:
  friend Result<ProcessResult> RunPrepared(std::unique_ptr<PreparedProcess> process,
                                           const ProcessSpec& spec, const AttachFn& attach,
                                           const KillTreeFn& kill_tree);
  PreparedProcess() = default;
  // Closes the gate, asks for a kill, and waits for the exit event (or the spawner's EOF).
  void Abandon();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;   // write end
  int stdout_fd_ = -1;  // read end
  int stderr_fd_ = -1;  // read end
  int gate_fd_ = -1;    // write end
  int exec_error_fd_ = -1;  // read end
  int channel_fd_ = -1;
};

// Runs `spec` (its join_cgroup_procs_files are ignored: the process has joined its cgroups)
// in a prepared process. Errors (attach, exec failure such as ENOENT/EACCES) mean the function
// never started; the child is killed and reaped before returning.
Result<ProcessResult> RunPrepared(std::unique_ptr<PreparedProcess> process,
                                  const ProcessSpec& spec, const AttachFn& attach,
                                  const KillTreeFn& kill_tree);

// Prepare, then RunPrepared. Errors mean the function never started.
Result<ProcessResult> RunProcess(RunSpawner& spawner, const ProcessSpec& spec,
                                 const AttachFn& attach, const KillTreeFn& kill_tree);

}  // namespace tailor::agent
