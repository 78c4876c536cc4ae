#include "agent/runtime/run_cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "agent/runtime/cgroup_stats.h"
#include "common/file_util.h"
#include "common/logging.h"

namespace tailor::agent {
namespace {

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, "creating cgroup " + path);
  }
  return OkStatus();
}

Status RemoveDir(const std::string& path) {
  // A cgroup whose last process just exited can be briefly busy; retry a few times.
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return OkStatus();
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return ErrnoToStatus(errno, "removing cgroup " + path);
}

// One rmdir, no retry: OK when removed or already gone, FAILED_PRECONDITION while busy.
Status TryRemoveDir(const std::string& path) {
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return OkStatus();
  if (errno == EBUSY) return FailedPreconditionError(path + " still has processes");
  return ErrnoToStatus(errno, "removing cgroup " + path);
}

// Makes a run's cgroup directory, and its parent the first time (or after someone removed it).
Status MakeRunDir(const std::string& parent, const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return OkStatus();
  if (errno != ENOENT) return ErrnoToStatus(errno, "creating cgroup " + dir);
  TAILOR_RETURN_IF_ERROR(MakeDir(parent));
  return MakeDir(dir);
}

constexpr int64_t kCfsPeriodUs = 100'000;

// CFS quota per period for a CPU allowance in thousandths of a core (at least 1 ms).
int64_t CfsQuotaUs(uint32_t millicores) {
  return std::max<int64_t>(1000, int64_t{millicores} * kCfsPeriodUs / 1000);
}

Status KillProcsListedIn(const std::string& procs_file) {
  for (int round = 0; round < 100; ++round) {
    auto text = ReadFile(procs_file);
    if (!text.ok())
      return text.status().code() == StatusCode::kNotFound ? OkStatus() : text.status();
    bool any = false;
    for (std::string_view line : SplitString(*text, '\n')) {
      auto pid = ParseInt64(line);
      if (!pid.ok() || *pid <= 0) continue;
      any = true;
      ::kill(static_cast<pid_t>(*pid), SIGKILL);
    }
    if (!any) return OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return DeadlineExceededError("processes in " + procs_file + " survive SIGKILL");
}

// "<owner>." in front of run directory names, so that agents sharing a host (emulated nodes)
// each clean up only their own.
std::string OwnerPrefix(const std::string& owner) { return owner.empty() ? "" : owner + "."; }

// Run cgroups made ahead of time (V1Dirs, or a v2 directory): empty, no limits written yet.
template <typename Dirs>
class SparePool {
 public:
  std::optional<Dirs> Take() {
    std::lock_guard lock(mu_);
    if (dirs_.empty()) return std::nullopt;
    Dirs d = std::move(dirs_.front());
    dirs_.pop_front();
    return d;
  }
  void Put(Dirs d) {
    std::lock_guard lock(mu_);
    dirs_.push_back(std::move(d));
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return dirs_.size();
  }
  std::deque<Dirs> TakeAll() {
    std::lock_guard lock(mu_);
    return std::exchange(dirs_, {});
  }

 private:
  std::mutex mu_;
  std::deque<Dirs> dirs_;
};

void LogSpareFailure(const Status& s) {
  log::LogOnce(log::Level::kWarn, "cgroup.spare", "cannot make a spare run cgroup", {{"error", s}});
}

// A unique name for a cgroup made before its run is known ("run-" like the others, so that
// RemoveLeftovers finds spares a killed agent left).
std::string NextSpareName() {
  static std::atomic<uint64_t> next{0};
  return "run-spare-" + std::to_string(::getpid()) + "-" + std::to_string(next.fetch_add(1));
}

// Whether `name` is a spare ("...run-spare-<pid>-<n>") made by a process that no longer exists.
bool SpareOfADeadProcess(const std::string& name) {
  constexpr std::string_view kSpare = "run-spare-";
  const size_t at = name.find(kSpare);
  if (at == std::string::npos) return false;
  const std::string rest = name.substr(at + kSpare.size());
  auto pid = ParseInt64(rest.substr(0, rest.find('-')));
  if (!pid.ok() || *pid <= 0) return false;
  return ::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH;
}

// Removes every run cgroup (names starting with `prefix`) under these parents, SIGKILLing what is
// still inside. Returns how many directories were removed.
Result<int> RemoveLeftoverRuns(const std::vector<std::string>& parents, const std::string& prefix) {
  int removed = 0;
  Status first;
  for (const std::string& parent : parents) {
    auto entries = ListDirectory(parent);
    if (!entries.ok()) {
      if (entries.status().code() == StatusCode::kNotFound) continue;
      return entries.status();
    }
    for (const std::string& name : *entries) {
      const std::string dir = JoinPath(parent, name);
      if (!name.starts_with(prefix)) {
        // Any agent's spares whose maker is gone (killed, so it could not remove them): they
        // are empty, and a spare of a live agent is never touched.
        if (SpareOfADeadProcess(name) && TryRemoveDir(dir).ok()) ++removed;
        continue;
      }
      Status s = KillProcsListedIn(JoinPath(dir, "cgroup.procs"));
      if (s.ok()) s = RemoveDir(dir);
      if (s.ok()) {
        ++removed;
      } else if (first.ok()) {
        first = s;
      }
    }
  }
  if (!first.ok()) return first;
  return removed;
}

// ---- cgroup v2 ----

class RunCgroupV2 final : public RunCgroup {
 public:
  RunCgroupV2(std::string dir, bool kernel_keeps_peak)
      : dir_(std::move(dir)), kernel_keeps_peak_(kernel_keeps_peak) {}
  Status AddProcess(pid_t pid) override {
    return WriteFile(JoinPath(dir_, "cgroup.procs"), std::to_string(pid));
  }
  std::vector<std::string> ProcsFiles() const override { return {JoinPath(dir_, "cgroup.procs")}; }
  Result<CgroupUsage> ReadUsage(const UsageWanted& wanted) override {
    CgroupUsage u;
    if (!wanted.cpu && !wanted.throttling) {
    } else if (auto t = ReadFile(JoinPath(dir_, "cpu.stat")); t.ok()) {
      if (auto s = ParseCpuStatV2(*t); s.ok() && wanted.cpu) {
        u.cpu_valid = true;
        u.user_cpu_us = s->user_us;
        u.system_cpu_us = s->system_us;
      }
      if (auto s = ParseCpuThrottling(*t); s.ok() && wanted.throttling) {
        u.throttling_valid = true;
        u.throttling = *s;
      }
    }
    if (!wanted.cpu) {
    } else if (auto t = ReadFile(JoinPath(dir_, "cpu.pressure")); t.ok()) {
      if (auto waited = ParseCpuPressureSomeTotalUs(*t); waited.ok()) {
        u.cpu_waiting_valid = true;
        u.cpu_waiting_us = *waited;
      }
    }
    if (!wanted.oom) {
    } else if (auto t = ReadFile(JoinPath(dir_, "memory.events")); t.ok()) {
      if (auto n = ParseOomKillCount(*t); n.ok()) {
        u.oom_valid = true;
        u.oom_kills = *n;
      }
    }
    if (!wanted.memory_peak) {
    } else if (!kernel_keeps_peak_) {
      SampleMemory();  // the end of the run counts too
      u.memory_peak_valid = sampled_peak_bytes_ > 0;
      u.memory_peak_bytes = sampled_peak_bytes_;
    } else if (auto t = ReadFirstLine(JoinPath(dir_, "memory.peak")); t.ok()) {
      if (auto n = ParseUint64(TrimWhitespace(*t)); n.ok()) {
        u.memory_peak_valid = true;
        u.memory_peak_bytes = *n;
      }
    }
    if (!wanted.io) {
    } else if (auto t = ReadFile(JoinPath(dir_, "io.stat")); t.ok()) {
      if (auto io = ParseIoStatV2(*t); io.ok()) {
        u.io_valid = true;
        u.read_bytes = io->read_bytes;
        u.write_bytes = io->write_bytes;
      }
    }
    return u;
  }
  Status KillAll() override {
    // cgroup.kill (Linux 5.14) kills the whole subtree atomically; fall back to the list.
    const std::string kill_file = JoinPath(dir_, "cgroup.kill");
    if (PathExists(kill_file) && WriteFile(kill_file, "1").ok()) {
      return OkStatus();
    }
    return KillProcsListedIn(JoinPath(dir_, "cgroup.procs"));
  }
  Status Destroy() override { return RemoveDir(dir_); }
  Status TryDestroy() override { return TryRemoveDir(dir_); }
  int version() const override { return 2; }
  bool NeedsMemorySampling() const override { return !kernel_keeps_peak_; }
  void SampleMemory() override {
    if (auto t = ReadFirstLine(JoinPath(dir_, "memory.current")); t.ok()) {
      if (auto n = ParseUint64(TrimWhitespace(*t)); n.ok()) {
        sampled_peak_bytes_ = std::max(sampled_peak_bytes_, *n);
      }
    }
  }

 private:
  std::string dir_;
  bool kernel_keeps_peak_;
  uint64_t sampled_peak_bytes_ = 0;
};

class CgroupManagerV2 final : public CgroupManager {
 public:
  CgroupManagerV2(std::string mount, std::string parent, std::string owner)
      : parent_dir_(JoinPath(mount, parent)),
        mount_(std::move(mount)),
        prefix_(OwnerPrefix(owner)) {}

  Result<std::unique_ptr<RunCgroup>> Create(const std::string& run_name,
                                            const CgroupLimits& limits) override {
    // A spare can vanish if another agent took its maker for dead (one in another pid
    // namespace): then make the directories after all.
    auto made = CreateIn(run_name, limits, /*use_spare=*/true);
    if (made.ok() || made.status().code() != StatusCode::kNotFound) return made;
    return CreateIn(run_name, limits, /*use_spare=*/false);
  }

 private:
  Result<std::unique_ptr<RunCgroup>> CreateIn(const std::string& run_name,
                                              const CgroupLimits& limits, bool use_spare) {
    TAILOR_RETURN_IF_ERROR(EnsureParent());  // no system call after the first time
    std::string dir = JoinPath(parent_dir_, prefix_ + run_name);
    if (std::optional<std::string> spare = use_spare ? spares_.Take() : std::nullopt) {
      dir = *spare;
    } else if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      if (errno != ENOENT) return ErrnoToStatus(errno, "creating cgroup " + dir);
      {
        std::lock_guard lock(mu_);
        parent_ready_ = false;  // someone removed the parent
      }
      TAILOR_RETURN_IF_ERROR(EnsureParent());
      TAILOR_RETURN_IF_ERROR(MakeDir(dir));
    }
    auto cg = std::make_unique<RunCgroupV2>(dir, kernel_keeps_peak_);
    auto fail = [&](Status s) {
      (void)cg->Destroy();
      return s;
    };
    if (limits.memory_limit_bytes > 0) {
      Status s = WriteFile(JoinPath(dir, "memory.max"), std::to_string(limits.memory_limit_bytes));
      if (!s.ok()) return fail(s);
      // No swap: a run over its limit is OOM-killed rather than slowed down by swapping.
      if (PathExists(JoinPath(dir, "memory.swap.max"))) {
        (void)WriteFile(JoinPath(dir, "memory.swap.max"), "0");
      }
    }
    if (limits.cpu_millicores > 0) {
      Status s =
          WriteFile(JoinPath(dir, "cpu.max"), std::to_string(CfsQuotaUs(limits.cpu_millicores)) +
                                                  " " + std::to_string(kCfsPeriodUs));
      if (!s.ok()) return fail(s);
    }
    if (!limits.cpuset_cpus.empty()) {
      Status s = WriteFile(JoinPath(dir, "cpuset.cpus"), limits.cpuset_cpus);
      if (!s.ok()) return fail(s);
    }
    if (limits.pids_max > 0) {
      Status s = WriteFile(JoinPath(dir, "pids.max"), std::to_string(limits.pids_max));
      if (!s.ok())
        return fail(s.WithContext("the pids controller (delegated to " + parent_dir_ + "?)"));
    }
    return std::unique_ptr<RunCgroup>(std::move(cg));
  }

 public:
  int version() const override { return 2; }
  Result<int> RemoveLeftovers() override {
    return RemoveLeftoverRuns({parent_dir_}, prefix_ + "run-");
  }
  void MakeSpares(size_t count) override {
    if (!EnsureParent().ok()) return;
    while (spares_.size() < count) {
      const std::string dir = JoinPath(parent_dir_, prefix_ + NextSpareName());
      if (Status s = MakeDir(dir); !s.ok()) return LogSpareFailure(s);
      spares_.Put(dir);
    }
  }
  void RemoveSpares() override {
    for (const std::string& d : spares_.TakeAll()) (void)RemoveDir(d);
  }

 private:
  // Makes the parent and delegates controllers once per process, not once per run.
  Status EnsureParent() {
    std::lock_guard lock(mu_);
    if (parent_ready_) return OkStatus();
    TAILOR_RETURN_IF_ERROR(MakeDir(parent_dir_));
    // Delegate the controllers to the runs below the parent. Writing "+cpu" at the root can
    // fail on some hosts; what is unavailable simply stays unconfigured.
    for (const char* c : {"+memory", "+cpu", "+io", "+pids", "+cpuset"}) {
      (void)WriteFile(JoinPath(mount_, "cgroup.subtree_control"), c);
      (void)WriteFile(JoinPath(parent_dir_, "cgroup.subtree_control"), c);
    }
    // memory.peak exists from Linux 5.19 on (in every non-root cgroup, the parent included).
    kernel_keeps_peak_ = PathExists(JoinPath(parent_dir_, "memory.peak"));
    parent_ready_ = true;
    return OkStatus();
  }
  std::string parent_dir_;
  std::string mount_;
  std::string prefix_;
  SparePool<std::string> spares_;
  std::mutex mu_;
  bool parent_ready_ = false;
  bool kernel_keeps_peak_ = true;
};

// ---- cgroup v1 ----

struct V1Dirs {
  std::string memory, cpu, cpuacct, cpuset, pids;  // empty when the controller is not mounted
};

class RunCgroupV1 final : public RunCgroup {
 public:
  RunCgroupV1(V1Dirs dirs, int64_t ticks_per_second)
      : dirs_(std::move(dirs)), ticks_per_second_(ticks_per_second) {}

  Status AddProcess(pid_t pid) override {
    for (const std::string* d : Unique()) {
      TAILOR_RETURN_IF_ERROR(WriteFile(JoinPath(*d, "cgroup.procs"), std::to_string(pid)));
    }
    return OkStatus();
  }
  std::vector<std::string> ProcsFiles() const override {
    std::vector<std::string> files;
    for (const std::string* d : Unique()) files.push_back(JoinPath(*d, "cgroup.procs"));
    return files;
  }
  Result<CgroupUsage> ReadUsage(const UsageWanted& wanted) override {
    CgroupUsage u;
    if (wanted.cpu && !dirs_.cpuacct.empty()) {
      if (auto t = ReadFile(JoinPath(dirs_.cpuacct, "cpuacct.stat")); t.ok()) {
        if (auto s = ParseCpuacctStatV1(*t, ticks_per_second_); s.ok()) {
          u.cpu_valid = true;
          u.user_cpu_us = s->user_us;
          u.system_cpu_us = s->system_us;
        }
      }
    }
    if (wanted.oom && !dirs_.memory.empty()) {
      if (auto t = ReadFile(JoinPath(dirs_.memory, "memory.oom_control")); t.ok()) {
        if (auto n = ParseOomKillCount(*t); n.ok()) {
          u.oom_valid = true;
          u.oom_kills = *n;
        }
      }
    }
    if (wanted.memory_peak && !dirs_.memory.empty()) {
      if (auto t = ReadFirstLine(JoinPath(dirs_.memory, "memory.max_usage_in_bytes")); t.ok()) {
        if (auto n = ParseUint64(TrimWhitespace(*t)); n.ok()) {
          u.memory_peak_valid = true;
          u.memory_peak_bytes = *n;
        }
      }
    }
    if (wanted.throttling && !dirs_.cpu.empty()) {
      if (auto t = ReadFile(JoinPath(dirs_.cpu, "cpu.stat")); t.ok()) {
        if (auto s = ParseCpuThrottling(*t); s.ok()) {
          u.throttling_valid = true;
          u.throttling = *s;
        }
      }
    }
    // blkio counters stay zero without a throttle rule, so v1 leaves io to /proc/<pid>/io.
    return u;
  }
  Status KillAll() override {
    for (const std::string* d : Unique()) {
      TAILOR_RETURN_IF_ERROR(KillProcsListedIn(JoinPath(*d, "cgroup.procs")));
    }
    return OkStatus();
  }
  Status Destroy() override {
    Status first;
    for (const std::string* d : Unique()) {
      Status s = RemoveDir(*d);
      if (!s.ok() && first.ok()) first = s;
    }
    return first;
  }
  Status TryDestroy() override {
    for (const std::string* d : Unique()) TAILOR_RETURN_IF_ERROR(TryRemoveDir(*d));
    return OkStatus();
  }
  int version() const override { return 1; }

 private:
  // The distinct directories (cpu and cpuacct may be one co-mounted hierarchy).
  std::vector<const std::string*> Unique() const {
    std::vector<const std::string*> out;
    for (const std::string* d :
         {&dirs_.memory, &dirs_.cpu, &dirs_.cpuacct, &dirs_.cpuset, &dirs_.pids}) {
      if (d->empty()) continue;
      bool seen = false;
      for (const std::string* o : out) seen |= *o == *d;
      if (!seen) out.push_back(d);
    }
    return out;
  }
  V1Dirs dirs_;
  int64_t ticks_per_second_;
};

class CgroupManagerV1 final : public CgroupManager {
 public:
  CgroupManagerV1(const CgroupLayout& layout, std::string parent, std::string owner)
      : parent_(std::move(parent)), prefix_(OwnerPrefix(owner)) {
    auto mount = [&](const char* c) {
      auto it = layout.v1_mounts.find(c);
      return it == layout.v1_mounts.end() ? std::string() : it->second;
    };
    memory_ = mount("memory");
    cpu_ = mount("cpu");
    cpuacct_ = mount("cpuacct");
    cpuset_ = mount("cpuset");
    pids_ = mount("pids");
    has_memsw_ = !memory_.empty() && PathExists(JoinPath(memory_, "memory.memsw.limit_in_bytes"));
    ticks_per_second_ = ::sysconf(_SC_CLK_TCK);
    if (ticks_per_second_ <= 0) ticks_per_second_ = 100;
  }

  Result<std::unique_ptr<RunCgroup>> Create(const std::string& run_name,
                                            const CgroupLimits& limits) override {
    // A spare can vanish if another agent took its maker for dead (one in another pid
    // namespace): then make the directories after all.
    auto made = CreateIn(run_name, limits, /*use_spare=*/true);
    if (made.ok() || made.status().code() != StatusCode::kNotFound) return made;
    return CreateIn(run_name, limits, /*use_spare=*/false);
  }

 private:
  Result<std::unique_ptr<RunCgroup>> CreateIn(const std::string& run_name,
                                              const CgroupLimits& limits, bool use_spare) {
    V1Dirs dirs;
    auto make = [&](const std::string& mount, const std::string& name, std::string* out) -> Status {
      if (mount.empty()) return OkStatus();
      const std::string parent = JoinPath(mount, parent_);
      *out = JoinPath(parent, prefix_ + name);
      return MakeRunDir(parent, *out);
    };
    if (std::optional<V1Dirs> spare = use_spare ? spares_.Take() : std::nullopt) {
      dirs = *spare;
    } else {
      TAILOR_RETURN_IF_ERROR(make(memory_, run_name, &dirs.memory));
      TAILOR_RETURN_IF_ERROR(make(cpu_, run_name, &dirs.cpu));
      TAILOR_RETURN_IF_ERROR(make(cpuacct_, run_name, &dirs.cpuacct));
      TAILOR_RETURN_IF_ERROR(make(pids_, run_name, &dirs.pids));
    }
    if (!limits.cpuset_cpus.empty()) {
      if (cpuset_.empty()) return FailedPreconditionError("no cpuset hierarchy on this host");
      TAILOR_RETURN_IF_ERROR(PrepareCpusetParent());
      TAILOR_RETURN_IF_ERROR(make(cpuset_, run_name, &dirs.cpuset));
    }
    auto cg = std::make_unique<RunCgroupV1>(dirs, ticks_per_second_);
    auto fail = [&](Status s) {
      (void)cg->Destroy();
      return s;
    };
    if (limits.memory_limit_bytes > 0) {
      if (dirs.memory.empty()) return fail(FailedPreconditionError("no memory hierarchy"));
      Status s = WriteFile(JoinPath(dirs.memory, "memory.limit_in_bytes"),
                           std::to_string(limits.memory_limit_bytes));
      if (!s.ok()) return fail(s);
      // Keep swap out of it where memsw accounting exists (limit memory+swap to the same).
      if (has_memsw_) {
        (void)WriteFile(JoinPath(dirs.memory, "memory.memsw.limit_in_bytes"),
                        std::to_string(limits.memory_limit_bytes));
      }
    }
    if (limits.cpu_millicores > 0) {
      if (dirs.cpu.empty()) return fail(FailedPreconditionError("no cpu hierarchy"));
      // A new cpu cgroup starts with the kernel's default period, which is kCfsPeriodUs.
      Status s = WriteFile(JoinPath(dirs.cpu, "cpu.cfs_quota_us"),
                           std::to_string(CfsQuotaUs(limits.cpu_millicores)));
      if (!s.ok()) return fail(s);
    }
    if (limits.pids_max > 0) {
      if (dirs.pids.empty()) return fail(FailedPreconditionError("no pids hierarchy"));
      Status s = WriteFile(JoinPath(dirs.pids, "pids.max"), std::to_string(limits.pids_max));
      if (!s.ok()) return fail(s);
    }
    if (!limits.cpuset_cpus.empty()) {
      Status s = WriteFile(
          JoinPath(dirs.cpuset, "cpuset.mems"),
          ReadFirstLine(JoinPath(JoinPath(cpuset_, parent_), "cpuset.mems")).value_or("0"));
      if (s.ok()) s = WriteFile(JoinPath(dirs.cpuset, "cpuset.cpus"), limits.cpuset_cpus);
      if (!s.ok()) return fail(s);
    }
    return std::unique_ptr<RunCgroup>(std::move(cg));
  }

 public:
  int version() const override { return 1; }
  void MakeSpares(size_t count) override {
    while (spares_.size() < count) {
      V1Dirs dirs;
      const std::string name = NextSpareName();
      Status s;
      for (auto [mount, out] :
           {std::pair{&memory_, &dirs.memory}, std::pair{&cpu_, &dirs.cpu},
            std::pair{&cpuacct_, &dirs.cpuacct}, std::pair{&pids_, &dirs.pids}}) {
        if (mount->empty() || !s.ok()) continue;
        const std::string parent = JoinPath(*mount, parent_);
        *out = JoinPath(parent, prefix_ + name);
        s = MakeRunDir(parent, *out);
      }
      if (!s.ok()) {
        (void)RunCgroupV1(dirs, ticks_per_second_).Destroy();
        return LogSpareFailure(s);
      }
      spares_.Put(std::move(dirs));
    }
  }
  void RemoveSpares() override {
    for (const V1Dirs& d : spares_.TakeAll()) (void)RunCgroupV1(d, ticks_per_second_).Destroy();
  }
  Result<int> RemoveLeftovers() override {
    std::vector<std::string> parents;
    for (const std::string* m : {&memory_, &cpu_, &cpuacct_, &cpuset_, &pids_}) {
      if (!m->empty()) parents.push_back(JoinPath(*m, parent_));
    }
    return RemoveLeftoverRuns(parents, prefix_ + "run-");
  }

 private:
  // A new v1 cpuset cgroup starts with empty cpus and mems; copy the root's into the parent.
  Status PrepareCpusetParent() {
    const std::string parent = JoinPath(cpuset_, parent_);
    TAILOR_RETURN_IF_ERROR(MakeDir(parent));
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
      auto current = ReadFirstLine(JoinPath(parent, f));
      if (current.ok() && !TrimWhitespace(*current).empty()) continue;
      TAILOR_ASSIGN_OR_RETURN(std::string root_value, ReadFirstLine(JoinPath(cpuset_, f)));
      TAILOR_RETURN_IF_ERROR(WriteFile(JoinPath(parent, f), root_value));
    }
    return OkStatus();
  }

  std::string parent_;
  std::string prefix_;
  SparePool<V1Dirs> spares_;
  std::string memory_, cpu_, cpuacct_, cpuset_, pids_;
  bool has_memsw_ = false;  // swap accounting (the root has the file when it is on)
  int64_t ticks_per_second_;
};

// ---- no cgroups ----

class NullRunCgroup final : public RunCgroup {
 public:
  Status AddProcess(pid_t) override { return OkStatus(); }
  std::vector<std::string> ProcsFiles() const override { return {}; }
  Result<CgroupUsage> ReadUsage(const UsageWanted&) override { return CgroupUsage{}; }
  Status KillAll() override { return OkStatus(); }
  Status Destroy() override { return OkStatus(); }
  Status TryDestroy() override { return OkStatus(); }
  int version() const override { return 0; }
};

class NullCgroupManager final : public CgroupManager {
 public:
  Result<std::unique_ptr<RunCgroup>> Create(const std::string&, const CgroupLimits&) override {
    return std::unique_ptr<RunCgroup>(std::make_unique<NullRunCgroup>());
  }
  int version() const override { return 0; }
  Result<int> RemoveLeftovers() override { return 0; }
  void MakeSpares(size_t) override {}
  void RemoveSpares() override {}
};

}  // namespace

std::unique_ptr<CgroupManager> MakeCgroupManager(const CgroupLayout& layout, HostPaths paths,
                                                 std::string parent, std::string owner) {
  if (layout.version == 2) {
    return std::make_unique<CgroupManagerV2>(paths.Resolve(layout.v2_mount), std::move(parent),
                                             std::move(owner));
  }
  if (layout.version == 1 && layout.v1_mounts.contains("memory")) {
    CgroupLayout resolved = layout;
    for (auto& [controller, mount] : resolved.v1_mounts) mount = paths.Resolve(mount);
    return std::make_unique<CgroupManagerV1>(resolved, std::move(parent), std::move(owner));
  }
  return std::make_unique<NullCgroupManager>();
}

}  // namespace tailor::agent
