// WarmRunPool: function runs prepared before they are asked for, and finished runs' cgroups
// removed after the caller has its answer.
//
// A warm run is a fresh cgroup (with the agent's fixed CPU set, if any) and a child of the
// run spawner that has joined it and waits at its start gate (PreparedProcess). Making one
// costs a fork and, on cgroup v1, a cgroup move that waits for an RCU grace period: together
// the largest part of the agent's per-run overhead. Taking one leaves only the run's own
// limits to write (RunCgroup::SetLimits) before its program is sent. A background thread keeps
// `target` warm runs ready and removes retired cgroups (kill what is left, rmdir, retry while
// busy), so neither is on a run's critical path.
//
// Warm runs are single-use: a run's cgroup is never reused, so its counters (CPU, OOM kills,
// memory high-water mark) start from zero and belong to that run (and its child's few
// system calls before exec, which its rusage counts too).
//
// Thread-safety: Take and Retire may be called from many threads. The destructor stops the
// thread, ends the warm runs' children and removes every cgroup the pool still holds.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/runtime/process_runner.h"
#include "agent/runtime/run_cgroup.h"
#include "agent/runtime/run_spawner.h"
#include "common/status.h"

namespace tailor::agent {

struct WarmRun {
  std::unique_ptr<RunCgroup> cgroup;
  std::unique_ptr<PreparedProcess> process;
};

struct WarmRunPoolOptions {
  size_t target = 2;               // warm runs kept ready; 0: every run is prepared on Take
  std::string cpuset_cpus;         // the fixed CPU set of every run ("" : inherit)
  std::string name_prefix = "run";  // cgroups are <prefix>-<pid>-<n>
};

class WarmRunPool {
 public:
  WarmRunPool(CgroupManager& cgroups, RunSpawner& spawner, WarmRunPoolOptions options);
  ~WarmRunPool();
  WarmRunPool(const WarmRunPool&) = delete;
  WarmRunPool& operator=(const WarmRunPool&) = delete;

  // A warm run if one is ready, else one prepared now. Errors: the cgroup or the child could
  // not be made (nothing is left behind).
  Result<WarmRun> Take();

  // Hands over a finished run's cgroup (its process already reaped) for removal.
  void Retire(std::unique_ptr<RunCgroup> cgroup);

  // Blocks until `target` warm runs are ready and no retired cgroup is left, or the last
  // attempt to make one failed. For tests and benchmarks.
  void WaitUntilSettledForTest();
  size_t ready() const;

 private:
  Result<WarmRun> Make();
  void Loop();
  bool HasWorkLocked() const;

  CgroupManager& cgroups_;
  RunSpawner& spawner_;
  const WarmRunPoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;           // wakes the worker
  std::condition_variable settled_cv_;   // wakes WaitUntilSettledForTest
  std::deque<WarmRun> ready_;
  std::deque<std::unique_ptr<RunCgroup>> retired_;
  uint64_t next_id_ = 0;
  bool last_make_failed_ = false;
  bool busy_ = false;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace tailor::agent
