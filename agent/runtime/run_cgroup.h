// RunCgroup: the cgroup one function run lives in, on cgroup v1 or v2, and CgroupManager,
// which makes them under a parent ("tailor") in each hierarchy Tailor uses.
//
// Layout (<run> is "[<owner>.]run-<invocation id>"):
//         v2: <mount>/tailor/<run>/ with memory.max and cpu.max.
//         v1: <memory mount>/tailor/<run>, <cpu mount>/tailor/<run> (co-mounted cpuacct
//             included), <cpuacct mount>/tailor/<run>, and <cpuset mount>/tailor/<run> when a
//             CPU set is asked for (a new cpuset child needs cpuset.cpus and cpuset.mems),
//             and <pids mount>/tailor/<run> when the host mounts the pids controller.
//         v2: pids.max in the run's directory when a pids limit is asked for.
// Hosts without cgroups get the NullCgroupManager: runs go ahead unconfined and their reports
// say the cgroup measurements were unavailable.
//
// Thread-safety: a RunCgroup belongs to one run; a CgroupManager may create concurrently.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/inventory/cgroup_layout.h"
#include "agent/inventory/host_paths.h"
#include "agent/runtime/cgroup_stats.h"
#include "common/status.h"

namespace tailor::agent {

struct CgroupLimits {
  uint64_t memory_limit_bytes = 0;  // 0: unlimited
  uint32_t cpu_millicores = 0;      // 0: no quota; 1000 = one core
  std::string cpuset_cpus;          // "" : inherit; "0-1", "3"
  uint32_t pids_max = 0;            // 0: no limit; else the most tasks (processes and threads)
};

struct CgroupUsage {
  bool cpu_valid = false;
  int64_t user_cpu_us = 0;
  int64_t system_cpu_us = 0;
  bool oom_valid = false;
  uint64_t oom_kills = 0;
  bool io_valid = false;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  // The cgroup's memory high-water mark, for the run's whole process tree, page cache and
  // tmpfs files included (what the memory limit is enforced against): v1
  // memory.max_usage_in_bytes, v2 memory.peak (Linux 5.19+), else the largest memory.current
  // seen by SampleMemory. Valid when memory_peak_valid.
  bool memory_peak_valid = false;
  uint64_t memory_peak_bytes = 0;
  // cpu.stat's bandwidth figures, when the cgroup has a quota.
  bool throttling_valid = false;
  CpuThrottling throttling;
  // v2 cpu.pressure's "some" total: time some of the run's tasks waited for a CPU. Valid when
  // the kernel keeps pressure stall information (never on v1).
  bool cpu_waiting_valid = false;
  int64_t cpu_waiting_us = 0;
};

// Which usage figures a run needs (each is a file read, and on a VM every system call counts).
struct UsageWanted {
  bool cpu = true;          // counts descendants nobody waited for
  bool oom = true;          // the OOM-kill counter
  bool memory_peak = true;  // the whole tree's high-water mark
  bool io = true;
  bool throttling = true;  // only meaningful under a CPU quota
};

class RunCgroup {
 public:
  virtual ~RunCgroup() = default;
  // Moves a process (typically the child, before it execs) into every hierarchy.
  virtual Status AddProcess(pid_t pid) = 0;
  // The cgroup.procs files a process writes "0" to in order to join this cgroup itself (the
  // run's child does so before exec; see ProcessSpec::join_files).
  virtual std::vector<std::string> ProcsFiles() const = 0;
  virtual Result<CgroupUsage> ReadUsage(const UsageWanted& wanted = {}) = 0;
  // Whether the kernel keeps no memory high-water mark for this cgroup, so that the run must
  // call SampleMemory while it lasts (cgroup v2 before Linux 5.19).
  virtual bool NeedsMemorySampling() const { return false; }
  // Reads the current memory use and keeps the largest seen (see NeedsMemorySampling).
  virtual void SampleMemory() {}
  // SIGKILLs every process still in the cgroup (the whole tree, even daemonized ones).
  virtual Status KillAll() = 0;
  // Removes the cgroup directories; the cgroup must be empty (retries while the last
  // processes finish exiting).
  virtual Status Destroy() = 0;
  // Removes the directories if the cgroup is already empty (one rmdir each, no waiting);
  // FAILED_PRECONDITION while processes remain.
  virtual Status TryDestroy() = 0;
  // Ends the run's cgroup: removed at once when nothing is left in it (the usual case: the
  // spawner has reaped the run and killed its process group), otherwise every process still
  // inside (descendants that left the group) is SIGKILLed first.
  Status Remove() {
    if (TryDestroy().ok()) return OkStatus();
    (void)KillAll();
    return Destroy();
  }
  virtual int version() const = 0;  // 0 for the null cgroup
};

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  virtual Result<std::unique_ptr<RunCgroup>> Create(const std::string& run_name,
                                                    const CgroupLimits& limits) = 0;
  virtual int version() const = 0;
  // Removes the run cgroups an earlier agent left behind (it was killed mid-run), SIGKILLing
  // anything still inside. Call once at start, before any run. Returns how many directories
  // went.
  virtual Result<int> RemoveLeftovers() = 0;
  // Makes empty run cgroups ahead of time until `count` are waiting (the CgroupJanitor calls
  // this off the runs' critical path); Create takes one when it can instead of making
  // directories. Failures are logged once; Create then makes its own.
  virtual void MakeSpares(size_t count) = 0;
  // Removes the spares not taken (at shutdown).
  virtual void RemoveSpares() = 0;
};

// Picks v1, v2 or null from the layout. `parent` is the directory made under each hierarchy;
// a non-empty `owner` (the agent's node id, made path-safe) goes in front of every run
// directory's name ("<owner>.run-<id>"), so that several agents on one host share the parent
// and RemoveLeftovers touches only this agent's runs.
std::unique_ptr<CgroupManager> MakeCgroupManager(const CgroupLayout& layout, HostPaths paths,
                                                 std::string parent = "tailor",
                                                 std::string owner = "");

}  // namespace tailor::agent
