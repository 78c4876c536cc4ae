// LambdaMailbox: the hand-off between the agent, which has one invocation for a warm Lambda
// instance, and that instance's runtime, which asks for work and answers over the Lambda
// Runtime API (lambda_runtime_server.h). One invocation at a time, as on Lambda.
//
//   agent:    Post(event) ... WaitResult(until)      Close(why) when the instance is gone
//   runtime:  Next() -> event ... Respond(id, body) | Fail(id, body, type) | InitFailed(...)
//
// Everything the runtime sends is checked against the outstanding invocation: an answer for an
// unknown or already answered request id is refused (the HTTP layer answers 400), so a
// runtime cannot answer an invocation it was not given. The first Next() ends the instance's
// init (init_done()).
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"

namespace tailor::agent {

struct LambdaEvent {
  std::string request_id;
  std::string payload;
  int64_t deadline_unix_ms = 0;
  std::string function_arn;
  std::string trace_id;
};

// How an invocation (or the instance) ended.
enum class LambdaEnd {
  kResponse,       // POST .../response
  kFunctionError,  // POST .../error
  kInitError,      // POST /runtime/init/error: the instance cannot serve
  kExited,         // the runtime's process ended (crash, exit, kill)
  kTooLarge,       // the response was larger than the function's max_output_bytes
};

struct LambdaResult {
  LambdaEnd end = LambdaEnd::kExited;
  std::string body;        // the response, or the error JSON the runtime sent
  std::string error_type;  // Lambda-Runtime-Function-Error-Type, when sent
};

class LambdaMailbox {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  explicit LambdaMailbox(uint64_t max_response_bytes) : max_response_bytes_(max_response_bytes) {}

  // --- the agent's side ---
  // The next invocation; FAILED_PRECONDITION while one is outstanding or after Close.
  Status Post(LambdaEvent event);
  // The outstanding invocation's result, waiting until `until` (nullopt then, the invocation
  // still outstanding). `cancelled` (may be empty) is asked every 20 ms: true returns nullopt.
  std::optional<LambdaResult> WaitResult(SteadyTime until, const std::function<bool()>& cancelled);
  // The instance is gone: Next() returns nullopt from now on, and an outstanding invocation
  // ends with `why` (unless its runtime answered first).
  void Close(LambdaResult why);
  // When the runtime first asked for work (its init ended); nullopt before.
  std::optional<SteadyTime> init_done() const;
  // An init error the runtime reported, if any.
  std::optional<LambdaResult> init_error() const;
  bool closed() const;

  // --- the runtime's side ---
  // Blocks until an invocation is posted (returned, and now outstanding) or `max_wait` passes
  // or the mailbox closes (nullopt for both).
  std::optional<LambdaEvent> Next(std::chrono::milliseconds max_wait);
  // NOT_FOUND: no such outstanding request id; RESOURCE_EXHAUSTED: over max_response_bytes (the
  // invocation then ends kTooLarge).
  Status Respond(const std::string& request_id, std::string body);
  Status Fail(const std::string& request_id, std::string body, std::string error_type);
  // The runtime could not initialize. FAILED_PRECONDITION once init is over (Lambda takes init
  // errors only before the first Next).
  Status InitFailed(std::string body, std::string error_type);

 private:
  Status Finish(const std::string& request_id, LambdaResult result);

  const uint64_t max_response_bytes_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::optional<LambdaEvent> posted_;       // waiting for Next
  std::optional<std::string> outstanding_;  // request id handed to the runtime, unanswered
  std::optional<LambdaResult> result_;      // the answer, until WaitResult takes it
  std::optional<SteadyTime> init_done_;
  std::optional<LambdaResult> init_error_;
  bool closed_ = false;
};

}  // namespace tailor::agent
