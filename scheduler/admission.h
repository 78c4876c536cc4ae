// Admission: under overload, callers wait their turn for capacity instead of failing at once.
//
// Admit() runs a placement attempt at once when nobody is waiting. When the attempt fails for
// lack of capacity (ErrorReason::kNoCapacity: every eligible node is full, unhealthy or
// stopping now), the caller joins a bounded wait queue and tries again each time capacity may
// have been freed (CapacityFreed(): a reservation released or expired, a node changed), until
// its deadline. A caller that arrives while others wait queues behind them.
//
// Fairness: one FIFO per key (the function's name), and the keys take turns: after a key's
// head is placed, that key goes to the back of the ring, so a burst of one function cannot
// starve another. A head that still does not fit keeps its place and the next key tries, so
// one large function does not block small ones. Only one waiter attempts at a time (a
// placement takes microseconds); each waiter tries at most once per freeing of capacity, or
// once more when a refusal's retry hint (Status::retry_after) has passed: a policy that keeps
// a call waiting for its best class although other nodes have room says how long that may be
// worth (models::PlacementRequest::caller_wait), and the call then takes the room there is
// even if no run ends meanwhile.
//
// Refusals: RESOURCE_EXHAUSTED with ErrorReason::kNoCapacity and a retry hint, when the queue
// is full (`max_waiting`) or the deadline passes; CANCELLED when the caller went away. Any
// other error of an attempt is returned as it is, at once.
//
// Thread-safety: all methods are safe to call concurrently. `mu_` is a leaf lock: attempts run
// without it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>

#include "common/status.h"

namespace tailor::scheduler {

class Admission {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  struct Options {
    size_t max_waiting = 1024;                    // callers waiting at once, all keys together
    std::chrono::milliseconds retry_after{1000};  // the hint a refusal carries
    // How often a waiter looks whether its caller went away.
    std::chrono::milliseconds cancel_poll{100};
  };
  // One placement attempt: OK when placed (the caller keeps what it placed); kNoCapacity when
  // it may fit later; anything else ends the wait.
  using Attempt = std::function<Status()>;
  // Whether the caller went away (may be empty).
  using Cancelled = std::function<bool()>;

  struct Stats {
    size_t waiting = 0;
    uint64_t admitted_after_wait = 0;  // placed after waiting
    uint64_t refused_queue_full = 0;
    uint64_t refused_deadline = 0;
  };

  explicit Admission(Options options) : options_(options) {}

  Status Admit(const std::string& key, Deadline deadline, const Attempt& attempt,
               const Cancelled& cancelled = {});
  // Capacity may have been freed: waiters try again, in turn.
  void CapacityFreed();
  Stats GetStats();

 private:
  struct Waiter {
    std::string key;
    std::condition_variable cv;
    bool granted = false;      // its turn to attempt
    uint64_t tried_epoch = 0;  // the freeing epoch of its last failed attempt
    // When its last refusal's retry hint passes (none: max); then it may try again (retry_due).
    std::chrono::steady_clock::time_point retry_at = std::chrono::steady_clock::time_point::max();
    bool retry_due = false;
  };
  using WaiterList = std::list<Waiter*>;

  static bool MayWait(const Status& s) { return !s.ok() && s.reason() == ErrorReason::kNoCapacity; }
  // REQUIRES: mu_ held. Records a refused attempt made at capacity epoch `epoch`.
  static void NoteRefusalLocked(Waiter& w, const Status& refusal, uint64_t epoch);
  // `last`: why the call could not be placed so far (told when it is refused).
  Status Wait(Waiter& w, Deadline deadline, const Attempt& attempt, const Cancelled& cancelled,
              Status last);
  // REQUIRES: mu_ held. Hands the turn to the first waiting head, in ring order, that has not
  // tried since capacity was last freed.
  void GrantLocked();
  void RemoveLocked(Waiter& w);
  Status RefusalLocked(const std::string& why, const Status& last);

  const Options options_;
  std::mutex mu_;
  std::map<std::string, WaiterList> queues_;  // by key, oldest first
  std::deque<std::string> ring_;              // keys with waiters, next turn first
  size_t waiting_ = 0;
  bool turn_taken_ = false;  // a waiter is attempting
  uint64_t epoch_ = 1;       // bumped by CapacityFreed
  Stats stats_;
};

}  // namespace tailor::scheduler
