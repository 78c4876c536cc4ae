// CallbackSender: delivers completion callbacks, at least once. One thread takes the pending
// callback due soonest (AsyncQueue), POSTs the invocation's result (the JSON of
// GET /v1/invocations/ID) to its URL and records the try: a 2xx answer is DELIVERED; anything
// else (an error status, no answer within `timeout`, a name that does not resolve) is tried
// again with exponential backoff, up to `max_attempts` tries, then FAILED with the last error.
// A URL whose host resolves to a private address is FAILED at once unless `allow_private`
// (callback_target.h); redirects are not followed.
//
// Each POST carries `Tailor-Invocation-Id: ID` (receivers deduplicate by it: a callback may
// arrive more than once) and `Tailor-Signature: t=UNIX_SECONDS,v1=HEX`, where HEX is the
// HMAC-SHA256, keyed with the function's callback secret, of "UNIX_SECONDS.BODY".
//
// Thread-safety: Wake and Stop may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "scheduler/async_queue.h"

namespace tailor::scheduler {

class CallbackSender {
 public:
  struct Options {
    uint32_t max_attempts = 10;
    std::chrono::milliseconds initial_backoff{1000};
    std::chrono::milliseconds max_backoff{300'000};
    std::chrono::milliseconds timeout{10'000};  // connecting, and waiting for the answer
    bool allow_private = false;
    std::chrono::milliseconds idle_poll{250};
  };
  // The function's callback secret (FunctionRegistry::CallbackSecret).
  using SecretOf = std::function<Result<std::string>(const std::string& function)>;
  // Called after each try with its result: "delivered", "retry" or "failed".
  using TryHook = std::function<void(const std::string& result)>;

  CallbackSender(Options options, AsyncQueue& queue, SecretOf secret_of, const Clock& clock);
  ~CallbackSender();  // stops

  // Set before Start.
  void SetTryHook(TryHook hook) { hook_ = std::move(hook); }
  void Start();
  void Stop();

  // The value of the Tailor-Signature header for `body` sent at `unix_seconds`.
  static std::string Signature(const std::string& secret, int64_t unix_seconds,
                               const std::string& body);

 private:
  void Loop();
  // One try; returns what to record.
  struct Verdict {
    v1::CallbackState state;
    std::string error;
  };
  Verdict Deliver(const AsyncQueue::DueCallback& due);
  std::chrono::milliseconds BackoffAfter(uint32_t attempts) const;
  void Wait(std::chrono::milliseconds delay);

  const Options options_;
  AsyncQueue& queue_;
  const SecretOf secret_of_;
  const Clock& clock_;
  TryHook hook_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tailor::scheduler
