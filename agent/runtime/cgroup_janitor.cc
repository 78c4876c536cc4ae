#include "agent/runtime/cgroup_janitor.h"

#include "common/logging.h"

namespace tailor::agent {
namespace {

void RemoveNow(RunCgroup& cgroup) {
  Status s = cgroup.Remove();
  if (!s.ok()) log::Warn("cannot remove run cgroup", {{"error", s}});
}

}  // namespace

CgroupJanitor::CgroupJanitor(CgroupManager* manager, size_t spares, size_t max_pending)
    : manager_(manager), spares_(spares), max_pending_(max_pending), thread_([this] { Loop(); }) {}

CgroupJanitor::~CgroupJanitor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();  // Loop empties the queue before it returns
  if (manager_ != nullptr) manager_->RemoveSpares();
}

void CgroupJanitor::Remove(std::unique_ptr<RunCgroup> cgroup) {
  if (cgroup == nullptr) return;
  {
    std::lock_guard lock(mu_);
    if (pending_.size() < max_pending_ && !stopping_) {
      pending_.push_back(std::move(cgroup));
      cv_.notify_all();
      return;
    }
  }
  RemoveNow(*cgroup);
}

void CgroupJanitor::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return pending_.empty() && busy_ == 0; });
}

void CgroupJanitor::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (pending_.empty() && !stopping_ && manager_ != nullptr && spares_ > 0) {
      lock.unlock();
      manager_->MakeSpares(spares_);  // returns at once when enough are ready
      lock.lock();
    }
    cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, and nothing left
    std::unique_ptr<RunCgroup> next = std::move(pending_.front());
    pending_.pop_front();
    ++busy_;
    lock.unlock();
    RemoveNow(*next);
    next.reset();
    lock.lock();
    --busy_;
    cv_.notify_all();
  }
}

}  // namespace tailor::agent
