// LambdaInstance: one warm instance of a runtime = "lambda" function: its bootstrap running in
// its own cgroup (and sandbox, when the agent has one), the Runtime API server it talks to
// (lambda_runtime_server.h) and the mailbox between them (lambda_mailbox.h). It serves one
// invocation at a time and stays up between them until Stop.
//
// Start() returns at once: the bootstrap starts on the instance's own thread (RunProcess, which
// lasts as long as the process), so a cold invocation is posted right away and the runtime
// takes it with its first /next. The process's stdout and stderr are its log; each
// invocation's answer carries what it wrote since the previous one ended (its tail).
//
// An invocation that times out, is cancelled, or finds the process gone stops the instance:
// Lambda's model is the same (a runtime that timed out is restarted).
//
// Thread-safety: Serve from one thread at a time (the pool hands an instance to one run);
// Stop and the accessors from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/runtime/lambda_mailbox.h"
#include "agent/runtime/lambda_runtime_server.h"
#include "agent/runtime/process_runner.h"
#include "agent/runtime/run_confinement.h"
#include "common/unique_fd.h"

namespace tailor::agent {

struct LambdaServed {
  // What the runtime answered, or how the instance ended (kExited) when it did not.
  LambdaResult result;
  bool timed_out = false;
  bool cancelled = false;
  std::chrono::nanoseconds wall_time{0};  // post to answer
  std::string log_tail;                   // the instance's output during this invocation
  // Set when the process ended (during this invocation or before): its exit.
  std::optional<ProcessResult> exit;
};

class LambdaInstance {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // `spec` runs the bootstrap (its env gets AWS_LAMBDA_RUNTIME_API here; its stdin, timeout,
  // cancellation and output are the instance's). `netns` (may be -1) is the run's network
  // namespace, which the server listens in. `memory_limit_bytes` is what the instance holds
  // while idle, as the warm pool counts it.
  static Result<std::unique_ptr<LambdaInstance>> Start(std::string key, ProcessSpec spec,
                                                       RunConfinement confinement, UniqueFd netns,
                                                       uint64_t max_response_bytes,
                                                       RunSpawner& spawner);
  ~LambdaInstance();  // Stop()

  LambdaServed Serve(LambdaEvent event, SteadyTime deadline,
                     const std::function<bool()>& cancelled);
  // Ends the process and the server; waits for both. Idempotent.
  void Stop();
  // Alive and able to take an invocation.
  bool usable() const { return !stopped_.load() && !mailbox_.closed(); }

  const std::string& key() const { return key_; }
  SteadyTime started_at() const { return started_at_; }
  std::optional<SteadyTime> init_done() const { return mailbox_.init_done(); }
  uint32_t invocations() const { return invocations_; }
  uint64_t memory_limit_bytes() const { return confinement_.limits.memory_limit_bytes; }
  uint32_t cpu_millicores() const { return confinement_.limits.cpu_millicores; }
  RunCgroup& cgroup() { return *confinement_.cgroup; }
  const std::string& runtime_api() const { return server_->address(); }

 private:
  LambdaInstance(std::string key, RunConfinement confinement, UniqueFd netns,
                 uint64_t max_response_bytes)
      : key_(std::move(key)),
        confinement_(std::move(confinement)),
        netns_(std::move(netns)),
        mailbox_(max_response_bytes) {}
  void RunBootstrap(ProcessSpec spec, RunSpawner& spawner);
  // What the runtime wrote since the previous call, after the process thread has read all of
  // it that was written by now (a drain pass; at most a second's wait).
  std::string TakeLog();
  std::optional<ProcessResult> WaitExit(std::chrono::milliseconds at_most);

  const std::string key_;
  RunConfinement confinement_;
  UniqueFd netns_;
  LambdaMailbox mailbox_;
  std::unique_ptr<LambdaRuntimeServer> server_;
  std::thread process_thread_;
  SteadyTime started_at_;
  uint32_t invocations_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::condition_variable exited_cv_;
  std::string log_;                    // guarded by mu_
  UniqueFd drain_fd_;                  // an eventfd: asks the process thread to read output
  uint64_t drains_ = 0;                // guarded by mu_: drain passes done
  std::optional<ProcessResult> exit_;  // guarded by mu_, once the process ended
  bool process_done_ = false;          // guarded by mu_
};

}  // namespace tailor::agent
