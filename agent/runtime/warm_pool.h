// WarmPool: the idle warm instances of runtime = "lambda" functions on this agent.
//
// After an invocation, a usable instance is given back (Put) and waits, idle, for the same
// function's next invocation (Take). An idle instance is retired (stopped, its cgroup removed)
// when it has been idle longer than its function's keep-alive window, learned from that
// function's idle times (models/keep_alive.h), or when the idle instances together would
// hold more memory than the budget (the longest idle first). Idle memory is each instance's
// memory limit, which is what it may use while it waits; the agent reports it (heartbeat load)
// so that placement counts it.
//
// Threads: a "warm-pool" thread retires expired instances about once a second (RetireExpired
// does the same on demand, for tests with a simulated clock) and stops the retired ones, off
// the invocations' path (stopping one waits for its process to end), never under mu_.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/runtime/lambda_instance.h"
#include "common/clock.h"
#include "models/keep_alive.h"

namespace tailor::agent {

struct WarmPoolStats {
  uint32_t idle_instances = 0;
  uint64_t idle_memory_bytes = 0;
  uint64_t retired_expired = 0;  // since start
  uint64_t retired_budget = 0;
};

class WarmPool {
 public:
  // `clock` times idleness; `background` starts the retiring thread.
  WarmPool(uint64_t memory_budget_bytes, models::KeepAliveOptions keep_alive, const Clock& clock,
           bool background = true);
  ~WarmPool();  // retires every idle instance

  // An idle instance of `key` whose memory limit is at least `memory_bytes` (0: any), newest
  // first; null when there is none. Every invocation of `key` calls it first, warm or cold: it
  // teaches the key's keep-alive learner how long the instance it takes had been idle, or, for
  // a cold start, how long the newest instance retired unused would have had to wait.
  std::unique_ptr<LambdaInstance> Take(const std::string& key, uint64_t memory_bytes);
  // An invocation of `instance` ended; keep it idle if it is usable and fits the budget.
  void Put(std::unique_ptr<LambdaInstance> instance);
  // Retires the instances idle longer than their window; returns how many.
  size_t RetireExpired();
  // The keep-alive window `key` has now.
  std::chrono::milliseconds KeepAliveFor(const std::string& key);
  WarmPoolStats stats() const;
  // Idle instances per key (for heartbeats and tests).
  std::map<std::string, uint32_t> IdleByKey() const;

 private:
  struct Idle {
    std::unique_ptr<LambdaInstance> instance;
    MonotonicTime since;
  };
  struct PerKey {
    models::KeepAliveLearner learner;
    std::vector<Idle> idle;  // oldest first
    // When instances retired unused had become idle (newest last, at most 64): a cold start
    // tells how long the newest of them would have had to wait.
    std::vector<MonotonicTime> retired_since;
  };
  PerKey& KeyLocked(const std::string& key);
  // Retires k.idle[i] (its idle time counted for the learner) into `out`.
  void RetireLocked(PerKey& k, size_t i, std::vector<std::unique_ptr<LambdaInstance>>& out);
  // Moves instances out while the idle memory is over budget (longest idle first).
  void EvictOverBudgetLocked(std::vector<std::unique_ptr<LambdaInstance>>& out);
  // Stops `instances` on the pool's thread (here, without one).
  void Retire(std::vector<std::unique_ptr<LambdaInstance>> instances);
  void Loop();

  const uint64_t budget_bytes_;
  const models::KeepAliveOptions keep_alive_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, PerKey> keys_;  // guarded by mu_
  uint64_t idle_bytes_ = 0;             // guarded by mu_
  uint64_t retired_expired_ = 0;
  uint64_t retired_budget_ = 0;
  std::vector<std::unique_ptr<LambdaInstance>> retiring_;  // guarded by mu_: to stop
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tailor::agent
