// AsyncDispatcher: worker threads that run the durable async queue through the Gateway.
//
// A worker claims the oldest due entry and invokes it, then follows retry_rules.h
// (DecideAsyncNext): a run is recorded with its outcome (SUCCEEDED, or FAILED with the run kept).
// An invocation that found no capacity waited for it in Admission for up to `capacity_wait`
// (so that a worker is not held by one function while others could run) and goes back to the
// queue without spending a try, due again after `capacity_recheck`. One whose attempts failed
// before the function started is retried with exponential backoff, up to `max_attempts`. One
// that can never run (unknown or removed function, bad request, no node ever could) fails at
// once as NOT_RUN, and so does one not run within `deadline` of being accepted.
// Workers sleep until Wake() (called on enqueue) or the next entry is due. When the database
// fails (a full disk), a worker backs off before claiming again, and keeps trying to record an
// outcome it holds until it is written (or the dispatcher stops: the next start reconciles).
//
// Thread-safety: Wake and Stop may be called from any thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "common/backoff.h"
#include "scheduler/async_queue.h"
#include "scheduler/gateway.h"

namespace tailor::scheduler {

class AsyncDispatcher {
 public:
  struct Options {
    uint32_t workers = 4;
    uint32_t max_attempts = 8;
    std::chrono::milliseconds initial_backoff{200};
    std::chrono::milliseconds max_backoff{10'000};
    std::chrono::milliseconds idle_poll{1000};
    std::chrono::milliseconds capacity_wait{1000};
    std::chrono::milliseconds capacity_recheck{250};
    // An invocation not run this long after it was accepted fails (outcome NOT_RUN).
    std::chrono::milliseconds deadline{3'600'000};
    // Between tries to read or write the queue while its database fails (a full disk).
    ExponentialBackoff::Options storage_backoff{};
  };
  AsyncDispatcher(Options options, AsyncQueue& queue, Gateway& gateway, const Clock& clock);
  ~AsyncDispatcher();

  void Wake();
  void Stop();

 private:
  void Work();
  // Runs one claimed entry to its next state.
  void Run(const AsyncQueue::Claimed& claimed);
  // What to write for the entry after its invocation.
  std::function<Status()> Decide(const AsyncQueue::Claimed& claimed,
                                 const Result<v1::GatewayInvokeResponse>& result,
                                 bool past_deadline);
  // Writes it, trying again with backoff until it is written or the dispatcher stops.
  void Record(const AsyncQueue::Claimed& claimed, const std::function<Status()>& record);
  // Waits `delay` or until Stop; false when stopping.
  bool Sleep(std::chrono::milliseconds delay);

  const Options options_;
  AsyncQueue& queue_;
  Gateway& gateway_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t wakeups_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace tailor::scheduler
