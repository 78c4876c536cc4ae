// RunProcess: runs one executable to completion the way Tailor runs a function.
//
//   - the run is started by the agent's tailor-run-spawner (run_spawner.h): a small process
//     that vforks it, so the agent never forks itself (forking a large, threaded agent would
//     write-protect all its memory and cost a copy-on-write fault, with a TLB shootdown to
//     every CPU, for each page the agent touched afterwards) and the run's peak memory is its
//     own, not inherited from the agent;
//   - the whole start is one message to the spawner: the child joins the run's cgroups and
//     resctrl group itself (it writes "0" to each join file) and opens the perf counters asked
//     for on itself, so everything the function does is measured from its exec on, and the
//     agent needs no round trip (no wake-up) before the function starts;
//   - the child drops to `uid`/`gid` (when set) and execs the function with exactly `env`, in
//     its own process group, with the payload on stdin and stdout/stderr pipes;
//   - stdout is kept up to a cap (the rest is counted and discarded); stderr keeps its tail;
//   - at the wall-clock timeout, or when `cancelled` says the caller went away, the process
//     group is SIGKILLed and `kill_tree` runs (the cgroup kill, which also reaches processes
//     that left the group);
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
#include <string_view>
#include <vector>

#include "agent/runtime/cgroup_stats.h"
#include "agent/runtime/run_spawner.h"
#include "agent/runtime/spawn_protocol.h"
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
  // Files the child writes "0" to before exec: the run's cgroup.procs files and resctrl tasks
  // file, so it joins them itself. A file that cannot be written fails the run before it starts.
  std::vector<std::string> join_files;
  // Perf counters the child opens on itself before exec (all or none; a failure does not stop
  // the run, it is reported in ProcessResult::counters).
  std::vector<spawn::CounterSpec> counters;
  // Called every `sample_interval` while the run lasts (when both are set): for measurements
  // the kernel does not keep a high-water mark of.
  std::function<void()> sample;
  std::chrono::milliseconds sample_interval{0};
  // Asked every `cancel_poll` while the run lasts (when set): true stops the run as at the
  // timeout, and the result says `cancelled`.
  std::function<bool()> cancelled;
  std::chrono::milliseconds cancel_poll{100};
  // The sandbox (namespaces, root, filter, limits), when any; the executable and working
  // directory are then paths inside it. With kNsNet, `netns_fd` is the network namespace to
  // join (the caller keeps and closes it).
  spawn::SandboxRequest sandbox;
  int netns_fd = -1;
  // When set, stdout and stderr go here as they are read, instead of into ProcessResult: for
  // warm instances, whose output is their log (stdout_data and stderr_tail stay empty).
  std::function<void(std::string_view)> output_sink;
  // When set: whenever this eventfd becomes readable, the output already written is read (into
  // output_sink), the eventfd is reset, and `drained` is called. A warm instance uses it to
  // know its log holds everything the runtime wrote before answering an invocation.
  int drain_fd = -1;
  std::function<void()> drained;
};

// Where starting the function failed; it never ran.
enum class StartFailStep { kSpawner, kJoin, kCredentials, kWorkingDir, kExec, kSandbox };
struct StartFailure {
  StartFailStep step = StartFailStep::kSpawner;
  Status status;  // what failed, e.g. "joining /sys/fs/cgroup/...: permission denied"
};

struct CounterValues {
  bool opened = false;           // every counter asked for was opened
  std::vector<uint64_t> values;  // in the order asked for, when opened
  std::string unavailable;       // why not, when not
};

struct ProcessResult {
  int exit_code = -1;               // -1 when killed by a signal
  int term_signal = 0;
  bool timed_out = false;
  bool cancelled = false;  // stopped because ProcessSpec::cancelled said so
  std::string stdout_data;
  uint64_t stdout_total_bytes = 0;
  bool stdout_truncated = false;
  std::string stderr_tail;
  bool stderr_truncated = false;
  struct rusage rusage {};
  // Set when the function never started (nothing else below is meaningful then).
  std::optional<StartFailure> start_failure;
  // False when the run was lost: the spawner died during it (it is started again for the next
  // run), or the agent could no longer follow it (lost_reason says which). Then the exit status
  // is unknown (reported as SIGKILL, which pdeathsig sent or the agent sent) and rusage is 0.
  bool function_rusage = false;
  std::string lost_reason;
  std::chrono::nanoseconds wall_time{0};  // start request to exit
  WallTime started_at;
  WallTime ended_at;
  std::optional<IoBytes> proc_io;   // from /proc/<pid>/io at exit, when readable
  CounterValues counters;           // when ProcessSpec::counters asked for some
};

using KillTreeFn = std::function<void()>;

// Runs `spec` to completion. A failure to start the function (a join file that cannot be
// written, exec failure such as ENOENT/EACCES, the spawner refusing) is a result with
// `start_failure` set; an error means the agent could not even ask the spawner (pipes,
// sockets, a request too large): the function did not start either. `kill_tree` (may be empty)
// runs at the timeout, after the process group is killed.
Result<ProcessResult> RunProcess(RunSpawner& spawner, const ProcessSpec& spec,
                                 const KillTreeFn& kill_tree);

}  // namespace tailor::agent
