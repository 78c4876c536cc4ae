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

void AsyncDispatcher::Work() {
  while (true) {
    uint64_t seen;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = wakeups_;
    }
    auto claimed = queue_.ClaimDue();
    if (!claimed.ok()) {
      log::Error("async queue claim failed", {{"error", claimed.status()}});
    } else if (claimed->has_value()) {
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
  caller.deadline = std::min(clock_.WallNow() + options_.capacity_wait, deadline);
  caller.on_attempt = [&](const std::string& invocation_id, const std::string& node_id) {
    return queue_.RecordAttempt(c.id, invocation_id, node_id);
  };
  auto result = gateway_.Invoke(c.request, caller);
  Status recorded;
  const v1::RunOutcome outcome = result.ok() ? result->outcome() : v1::RUN_OUTCOME_NOT_RUN;
  const bool past_deadline = clock_.WallNow() >= deadline;
  switch (DecideAsyncNext(result.ok(), outcome, result.status(), c.attempts,
                          options_.max_attempts, past_deadline)) {
    case AsyncNext::kSucceed:
    case AsyncNext::kFailWithRun:
      recorded = queue_.Finish(c.id, *result);
      break;
    case AsyncNext::kRetryLater: {
      // Exponential backoff from the attempt count, so it survives restarts.
      auto delay = options_.initial_backoff * (1u << std::min(c.attempts - 1, 16u));
      delay = std::min<std::chrono::milliseconds>(delay, options_.max_backoff);
      recorded = queue_.Retry(c.id, std::string(result.status().message()), delay);
      break;
    }
    case AsyncNext::kWaitForCapacity:
      recorded = queue_.Defer(c.id, std::string(result.status().message()),
                              options_.capacity_recheck);
      break;
    case AsyncNext::kFailNotRun:
      recorded = queue_.Fail(
          c.id, v1::RUN_OUTCOME_NOT_RUN,
          (past_deadline ? "not run within the async deadline of " +
                               std::to_string(options_.deadline.count() / 1000) + " s: "
                         : std::string()) +
              std::string(result.status().message()));
      break;
  }
  if (!recorded.ok()) {
    log::Error("cannot record async invocation outcome", {{"id", c.id}, {"error", recorded}});
  }
}

}  // namespace tailor::scheduler
