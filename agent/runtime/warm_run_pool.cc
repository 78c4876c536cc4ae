#include "agent/runtime/warm_run_pool.h"

#include <unistd.h>

#include "common/logging.h"

namespace tailor::agent {
namespace {

// How long the worker waits after failing to make a warm run before it tries again (a Take
// or Retire wakes it sooner).
constexpr std::chrono::seconds kRetryAfterFailure{1};

void Remove(RunCgroup& cgroup) {
  (void)cgroup.KillAll();
  if (Status s = cgroup.Destroy(); !s.ok()) {
    log::Warn("cannot remove run cgroup", {{"error", s}});
  }
}

}  // namespace

WarmRunPool::WarmRunPool(CgroupManager& cgroups, RunSpawner& spawner,
                         WarmRunPoolOptions options)
    : cgroups_(cgroups), spawner_(spawner), options_(std::move(options)) {
  worker_ = std::thread([this] { Loop(); });
}

WarmRunPool::~WarmRunPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
  for (WarmRun& warm : ready_) {
    warm.process.reset();  // its child exits and is reaped before the cgroup goes
    Remove(*warm.cgroup);
  }
  for (auto& cgroup : retired_) Remove(*cgroup);
}

Result<WarmRun> WarmRunPool::Make() {
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
  }
  const std::string name =
      options_.name_prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(id);
  CgroupLimits fixed;
  fixed.cpuset_cpus = options_.cpuset_cpus;
  WarmRun warm;
  TAILOR_ASSIGN_OR_RETURN(warm.cgroup, cgroups_.Create(name, fixed));
  auto process = PreparedProcess::Prepare(spawner_, warm.cgroup->ProcsFiles());
  if (!process.ok()) {
    Remove(*warm.cgroup);
    return process.status().WithContext("preparing a run");
  }
  warm.process = std::move(process).value();
  return warm;
}

Result<WarmRun> WarmRunPool::Take() {
  {
    std::lock_guard lock(mu_);
    if (!ready_.empty()) {
      WarmRun warm = std::move(ready_.front());
      ready_.pop_front();
      cv_.notify_all();  // make another
      return warm;
    }
  }
  cv_.notify_all();  // the pool is empty: the worker should catch up
  return Make();
}

void WarmRunPool::Retire(std::unique_ptr<RunCgroup> cgroup) {
  if (!cgroup) return;
  {
    std::lock_guard lock(mu_);
    retired_.push_back(std::move(cgroup));
  }
  cv_.notify_all();
}

size_t WarmRunPool::ready() const {
  std::lock_guard lock(mu_);
  return ready_.size();
}

bool WarmRunPool::HasWorkLocked() const {
  return !retired_.empty() || (ready_.size() < options_.target && !last_make_failed_);
}

void WarmRunPool::WaitUntilSettledForTest() {
  std::unique_lock lock(mu_);
  settled_cv_.wait(lock, [&] { return !busy_ && !HasWorkLocked(); });
}

void WarmRunPool::Loop() {
  bool failure_logged = false;  // once per streak of failures
  std::unique_lock lock(mu_);
  for (;;) {
    if (!HasWorkLocked()) settled_cv_.notify_all();
    if (last_make_failed_) {
      // Wait for a Take or Retire (or the retry time), then try again.
      cv_.wait_for(lock, kRetryAfterFailure);
      last_make_failed_ = false;
    }
    cv_.wait(lock, [&] { return stop_ || HasWorkLocked(); });
    if (stop_) return;
    busy_ = true;
    if (!retired_.empty()) {
      std::unique_ptr<RunCgroup> cgroup = std::move(retired_.front());
      retired_.pop_front();
      lock.unlock();
      Remove(*cgroup);
      lock.lock();
    } else {
      lock.unlock();
      auto warm = Make();
      lock.lock();
      if (warm.ok()) {
        ready_.push_back(std::move(warm).value());
        failure_logged = false;
      } else {
        if (!failure_logged) log::Warn("cannot prepare a warm run", {{"error", warm.status()}});
        failure_logged = true;
        last_make_failed_ = true;
      }
    }
    busy_ = false;
  }
}

}  // namespace tailor::agent
