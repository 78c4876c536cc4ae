#include "scheduler/callback_sender.h"

#include <httplib.h>

#include <algorithm>

#include "common/hmac.h"
#include "common/logging.h"
#include "common/version.h"
#include "scheduler/callback_target.h"
#include "scheduler/http_api.h"

namespace tailor::scheduler {

CallbackSender::CallbackSender(Options options, AsyncQueue& queue, SecretOf secret_of,
                               const Clock& clock)
    : options_(options), queue_(queue), secret_of_(std::move(secret_of)), clock_(clock) {}

CallbackSender::~CallbackSender() { Stop(); }

void CallbackSender::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void CallbackSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string CallbackSender::Signature(const std::string& secret, int64_t unix_seconds,
                                      const std::string& body) {
  const std::string t = std::to_string(unix_seconds);
  return "t=" + t + ",v1=" + HmacSha256Hex(secret, t + "." + body);
}

void CallbackSender::Wait(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay, [this] { return stopping_; });
}

std::chrono::milliseconds CallbackSender::BackoffAfter(uint32_t attempts) const {
  const auto delay = options_.initial_backoff * (int64_t{1} << std::min(attempts, 20u));
  return std::min<std::chrono::milliseconds>(delay, options_.max_backoff);
}

void CallbackSender::Loop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto due = queue_.NextDueCallback();
    if (!due.ok()) {
      log::Error("cannot read pending callbacks", {{"error", due.status()}});
      Wait(std::chrono::seconds(1));
      continue;
    }
    if (!due->has_value()) {
      Wait(options_.idle_poll);
      continue;
    }
    const AsyncQueue::DueCallback& d = **due;
    Verdict v = Deliver(d);
    const uint32_t attempts = d.attempts + 1;
    if (v.state == v1::CALLBACK_STATE_PENDING && attempts >= options_.max_attempts) {
      v.state = v1::CALLBACK_STATE_FAILED;
    }
    if (hook_) {
      hook_(v.state == v1::CALLBACK_STATE_DELIVERED ? "delivered"
            : v.state == v1::CALLBACK_STATE_FAILED  ? "failed"
                                                    : "retry");
    }
    if (v.state == v1::CALLBACK_STATE_FAILED) {
      log::Warn("callback failed for good",
                {{"id", d.id}, {"attempts", attempts}, {"error", v.error}});
    }
    Status recorded = queue_.RecordCallback(d.id, v.state, v.error, BackoffAfter(d.attempts));
    if (!recorded.ok()) {
      log::Error("cannot record a callback try", {{"id", d.id}, {"error", recorded}});
      Wait(std::chrono::seconds(1));
    }
  }
}

CallbackSender::Verdict CallbackSender::Deliver(const AsyncQueue::DueCallback& d) {
  auto result = queue_.Get(d.id);
  if (!result.ok()) return {v1::CALLBACK_STATE_PENDING, std::string(result.status().message())};
  result->clear_callback();  // the receiver gets the invocation's result, not this delivery
  const std::string body = AsyncResultJson(*result);
  auto secret = secret_of_(d.function_name);
  if (!secret.ok()) return {v1::CALLBACK_STATE_PENDING, std::string(secret.status().message())};
  auto target = ParseCallbackUrl(d.url, "callback_url");
  if (!target.ok()) return {v1::CALLBACK_STATE_FAILED, std::string(target.status().message())};
  auto address = ResolveCallbackHost(target->host, options_.allow_private);
  if (!address.ok()) {
    const bool never = address.status().code() == StatusCode::kFailedPrecondition;
    return {never ? v1::CALLBACK_STATE_FAILED : v1::CALLBACK_STATE_PENDING,
            std::string(address.status().message())};
  }
  httplib::Client client(target->Origin());
  client.set_hostname_addr_map({{target->host, *address}});  // connect to what was checked
  client.set_follow_location(false);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(options_.timeout);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout - seconds);
  client.set_connection_timeout(seconds.count(), micros.count());
  client.set_read_timeout(seconds.count(), micros.count());
  client.set_write_timeout(seconds.count(), micros.count());
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.WallNow().time_since_epoch()).count();
  httplib::Headers headers = {{"Tailor-Invocation-Id", d.id},
                              {"Tailor-Signature", Signature(*secret, now_s, body)},
                              {"User-Agent", std::string("tailor-scheduler/") + kTailorVersion}};
  auto res = client.Post(target->path, headers, body, "application/json");
  if (!res) {
    return {v1::CALLBACK_STATE_PENDING,
            "no answer from " + target->Origin() + ": " + httplib::to_string(res.error())};
  }
  if (res->status >= 200 && res->status < 300) return {v1::CALLBACK_STATE_DELIVERED, ""};
  return {v1::CALLBACK_STATE_PENDING, "the receiver answered HTTP " + std::to_string(res->status)};
}

}  // namespace tailor::scheduler
