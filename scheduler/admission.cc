#include "scheduler/admission.h"

#include <algorithm>

namespace tailor::scheduler {

Status Admission::Admit(const std::string& key, Deadline deadline, const Attempt& attempt,
                        const Cancelled& cancelled) {
  Waiter w;
  w.key = key;
  Status last = ResourceExhaustedError("no node has capacity now");
  {
    std::unique_lock lock(mu_);
    if (waiting_ == 0) {
      // Nobody is ahead: try at once. Capacity freed during the attempt counts for the wait.
      const uint64_t epoch = epoch_;
      lock.unlock();
      last = attempt();
      if (!MayWait(last)) return last;
      lock.lock();
      NoteRefusalLocked(w, last, epoch);
    }
    if (waiting_ >= options_.max_waiting) {
      ++stats_.refused_queue_full;
      return RefusalLocked(std::to_string(waiting_) + " calls are already waiting for capacity",
                           last);
    }
    auto [it, added] = queues_.try_emplace(key);
    if (added) ring_.push_back(key);
    it->second.push_back(&w);
    ++waiting_;
    GrantLocked();
  }
  return Wait(w, deadline, attempt, cancelled, std::move(last));
}

Status Admission::Wait(Waiter& w, Deadline deadline, const Attempt& attempt,
                       const Cancelled& cancelled, Status last) {
  std::unique_lock lock(mu_);
  while (true) {
    if (w.granted) {
      w.granted = false;
      const uint64_t epoch = epoch_;
      lock.unlock();
      Status s = attempt();
      lock.lock();
      turn_taken_ = false;
      if (!MayWait(s)) {
        RemoveLocked(w);
        if (s.ok()) ++stats_.admitted_after_wait;
        GrantLocked();  // what freed this turn's capacity may fit the next waiter too
        return s;
      }
      last = s;
      NoteRefusalLocked(w, s, epoch);
      GrantLocked();
      continue;
    }
    if (cancelled && cancelled()) {
      RemoveLocked(w);
      GrantLocked();
      return CancelledError("the caller went away while waiting for capacity");
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= w.retry_at) {
      w.retry_at = std::chrono::steady_clock::time_point::max();
      w.retry_due = true;
      GrantLocked();
      continue;
    }
    if (now >= deadline) {
      RemoveLocked(w);
      GrantLocked();
      ++stats_.refused_deadline;
      return RefusalLocked("no capacity came free in time", last);
    }
    w.cv.wait_until(lock, std::min({deadline, now + options_.cancel_poll, w.retry_at}));
  }
}

void Admission::GrantLocked() {
  if (turn_taken_) return;
  for (size_t i = 0; i < ring_.size(); ++i) {
    const std::string key = ring_.front();
    ring_.pop_front();
    ring_.push_back(key);  // granted or passed over, the next key comes first next time
    Waiter* head = queues_.at(key).front();
    if (head->tried_epoch < epoch_ || head->retry_due) {
      head->granted = true;
      head->retry_due = false;
      turn_taken_ = true;
      head->cv.notify_one();
      return;
    }
  }
}

void Admission::NoteRefusalLocked(Waiter& w, const Status& refusal, uint64_t epoch) {
  w.tried_epoch = epoch;
  w.retry_at = refusal.retry_after().count() > 0
                   ? std::chrono::steady_clock::now() + refusal.retry_after()
                   : std::chrono::steady_clock::time_point::max();
}

void Admission::RemoveLocked(Waiter& w) {
  auto it = queues_.find(w.key);
  it->second.remove(&w);
  --waiting_;
  if (it->second.empty()) {
    queues_.erase(it);
    ring_.erase(std::find(ring_.begin(), ring_.end(), w.key));
  }
}

Status Admission::RefusalLocked(const std::string& why, const Status& last) {
  return ResourceExhaustedError(why + " (" + last.message() + ")")
      .WithReason(ErrorReason::kNoCapacity)
      .WithRetryAfter(options_.retry_after);
}

void Admission::CapacityFreed() {
  std::lock_guard lock(mu_);
  ++epoch_;
  GrantLocked();
}

Admission::Stats Admission::GetStats() {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.waiting = waiting_;
  return s;
}

}  // namespace tailor::scheduler
