#include "scheduler/async_dispatcher.h"

#include <algorithm>

#include "common/logging.h"
#include "scheduler/retry_rules.h"

namespace tailor::scheduler {

AsyncDispatcher::AsyncDispatcher(Options options, AsyncQueue& queue, Gateway& gateway,
                                 const Clock& clock)
    : options_(options), queue_(queue), gateway_(gateway), clock_(clock) {
  for (uint32_t i = 0; i < std::max(1u, options_.workers); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

AsyncDispatcher::~AsyncDispatcher() { Stop(); }

void AsyncDispatcher::Wake() {
  {
    std::lock_guard lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

void AsyncDispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
}

bool AsyncDispatcher::Sleep(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay, [&] { return stopping_; });
  return !stopping_;
}

void AsyncDispatcher::Work() {
  ExponentialBackoff storage_backoff(options_.storage_backoff, std::random_device{}());
  while (true) {
    uint64_t seen;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = wakeups_;
    }
    auto claimed = queue_.ClaimDue();
    if (!claimed.ok()) {
      // The database cannot be written (a full disk, say): wait before trying again.
      const auto delay = storage_backoff.NextDelay();
      log::Error("async queue claim failed; trying again later",
                 {{"error", claimed.status()}, {"retry_in_ms", delay.count()}});
      Sleep(delay);
      continue;
    }
    storage_backoff.Reset();
    if (claimed->has_value()) {
      Run(**claimed);
      continue;
    }
    // Nothing due: sleep until woken, or until the next entry may be due.
    std::chrono::milliseconds wait = options_.idle_poll;
    if (auto stats = queue_.GetStats(); stats.ok() && stats->next_due_unix_ms) {
      const int64_t until = *stats->next_due_unix_ms - ToUnixMillis(clock_.WallNow());
      wait = std::clamp(std::chrono::milliseconds(until), std::chrono::milliseconds(5), wait);
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stopping_ || wakeups_ != seen; });
  }
}

void AsyncDispatcher::Run(const AsyncQueue::Claimed& c) {
  using namespace std::chrono;
  const system_clock::time_point deadline =
      system_clock::time_point(milliseconds(c.created_unix_ms)) + options_.deadline;
  CallContext caller;
  caller.tenant = c.tenant;
  caller.deadline = std::min(clock_.WallNow() + options_.capacity_wait, deadline);
  caller.on_attempt = [&](const std::string& invocation_id, const std::string& node_id) {
    return queue_.RecordAttempt(c.id, invocation_id, node_id);
  };
  auto result = gateway_.Invoke(c.request, caller);
  Record(c, Decide(c, result, clock_.WallNow() >= deadline));
}

std::function<Status()> AsyncDispatcher::Decide(const AsyncQueue::Claimed& c,
                                                const Result<v1::GatewayInvokeResponse>& result,
                                                bool past_deadline) {
  const v1::RunOutcome outcome = result.ok() ? result->outcome() : v1::RUN_OUTCOME_NOT_RUN;
  const std::string why = result.ok() ? "" : std::string(result.status().message());
  switch (DecideAsyncNext(result.ok(), outcome, result.status(), c.attempts, options_.max_attempts,
                          past_deadline)) {
    case AsyncNext::kSucceed:
    case AsyncNext::kFailWithRun:
      return [this, id = c.id, response = *result] { return queue_.Finish(id, response); };
    case AsyncNext::kRetryLater: {
      // Exponential backoff from the attempt count, so it survives restarts.
      auto delay = options_.initial_backoff * (1u << std::min(c.attempts - 1, 16u));
      delay = std::min<std::chrono::milliseconds>(delay, options_.max_backoff);
      return [this, id = c.id, why, delay] { return queue_.Retry(id, why, delay); };
    }
    case AsyncNext::kWaitForCapacity:
      return [this, id = c.id, why] { return queue_.Defer(id, why, options_.capacity_recheck); };
    case AsyncNext::kFailNotRun:
      break;
  }
  const std::string error =
      (past_deadline ? "not run within the async deadline of " +
                           std::to_string(options_.deadline.count() / 1000) + " s: "
                     : std::string()) +
      why;
  return [this, id = c.id, error] { return queue_.Fail(id, v1::RUN_OUTCOME_NOT_RUN, error); };
}

void AsyncDispatcher::Record(const AsyncQueue::Claimed& c, const std::function<Status()>& record) {
  // An outcome is never dropped: while the database cannot take it, keep trying. Should the
  // scheduler stop first, the entry is left RUNNING with its attempt recorded, and the next
  // start reconciles it (async_queue.h).
  ExponentialBackoff backoff(options_.storage_backoff, std::random_device{}());
  while (true) {
    const Status recorded = record();
    if (recorded.ok()) return;
    const auto delay = backoff.NextDelay();
    log::Error("cannot record async invocation outcome; trying again",
               {{"id", c.id}, {"error", recorded}, {"retry_in_ms", delay.count()}});
    if (!Sleep(delay)) {
      log::Error("stopping with an async outcome unrecorded; it is reconciled at the next start",
                 {{"id", c.id}});
      return;
    }
  }
}

}  // namespace tailor::scheduler
