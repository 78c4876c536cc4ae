#include "agent/runtime/lambda_mailbox.h"

#include <algorithm>

namespace tailor::agent {

Status LambdaMailbox::Post(LambdaEvent event) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return FailedPreconditionError("the Lambda instance has ended");
    if (posted_ || outstanding_ || result_) {
      return FailedPreconditionError("the Lambda instance is already serving an invocation");
    }
    posted_ = std::move(event);
  }
  changed_.notify_all();
  return OkStatus();
}

std::optional<LambdaResult> LambdaMailbox::WaitResult(SteadyTime until,
                                                      const std::function<bool()>& cancelled) {
  std::unique_lock lock(mu_);
  while (!result_) {
    if (cancelled && cancelled()) return std::nullopt;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return std::nullopt;
    const auto step =
        cancelled ? std::min<SteadyTime>(until, now + std::chrono::milliseconds(20)) : until;
    changed_.wait_until(lock, step);
  }
  LambdaResult r = std::move(*result_);
  result_.reset();
  return r;
}

void LambdaMailbox::Close(LambdaResult why) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    if ((posted_ || outstanding_) && !result_) result_ = std::move(why);
    posted_.reset();
    outstanding_.reset();
  }
  changed_.notify_all();
}

std::optional<LambdaMailbox::SteadyTime> LambdaMailbox::init_done() const {
  std::lock_guard lock(mu_);
  return init_done_;
}

std::optional<LambdaResult> LambdaMailbox::init_error() const {
  std::lock_guard lock(mu_);
  return init_error_;
}

bool LambdaMailbox::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

std::optional<LambdaEvent> LambdaMailbox::Next(std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mu_);
  if (!init_done_ && !closed_) init_done_ = std::chrono::steady_clock::now();
  if (!init_done_) return std::nullopt;
  changed_.notify_all();  // WaitResult need not wake for this, but a test may wait on init
  const auto until = std::chrono::steady_clock::now() + max_wait;
  changed_.wait_until(lock, until, [this] { return closed_ || posted_.has_value(); });
  if (closed_ || !posted_) return std::nullopt;
  LambdaEvent event = std::move(*posted_);
  posted_.reset();
  outstanding_ = event.request_id;
  return event;
}

Status LambdaMailbox::Finish(const std::string& request_id, LambdaResult result) {
  {
    std::lock_guard lock(mu_);
    if (!outstanding_ || *outstanding_ != request_id) {
      return NotFoundError("no invocation with this request id is waiting for an answer");
    }
    outstanding_.reset();
    result_ = std::move(result);
  }
  changed_.notify_all();
  return OkStatus();
}

Status LambdaMailbox::Respond(const std::string& request_id, std::string body) {
  if (body.size() > max_response_bytes_) {
    const std::string why = "the response is " + std::to_string(body.size()) +
                            " bytes; the function's max_output_bytes is " +
                            std::to_string(max_response_bytes_);
    TAILOR_RETURN_IF_ERROR(Finish(request_id, {LambdaEnd::kTooLarge, why, ""}));
    return ResourceExhaustedError(why);
  }
  return Finish(request_id, {LambdaEnd::kResponse, std::move(body), ""});
}

Status LambdaMailbox::Fail(const std::string& request_id, std::string body,
                           std::string error_type) {
  return Finish(request_id, {LambdaEnd::kFunctionError, std::move(body), std::move(error_type)});
}

Status LambdaMailbox::InitFailed(std::string body, std::string error_type) {
  {
    std::lock_guard lock(mu_);
    if (init_done_) {
      return FailedPreconditionError("init errors are taken only before the first /next");
    }
    init_error_ = LambdaResult{LambdaEnd::kInitError, body, error_type};
    if (posted_ && !result_) result_ = LambdaResult{LambdaEnd::kInitError, body, error_type};
    posted_.reset();
    closed_ = true;
  }
  changed_.notify_all();
  return OkStatus();
}

}  // namespace tailor::agent
