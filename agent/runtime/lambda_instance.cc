#include "agent/runtime/lambda_instance.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/logging.h"

namespace tailor::agent {
namespace {

// How long an instance may live: far beyond any keep-alive; a runtime never ends on its own.
constexpr auto kInstanceLifetime = std::chrono::hours(24);

std::string ExitDescription(const ProcessResult& pr) {
  if (pr.start_failure)
    return "the runtime could not start: " + pr.start_failure->status.ToString();
  if (pr.term_signal != 0) return "signal " + std::to_string(pr.term_signal);
  return "exit status " + std::to_string(pr.exit_code);
}

}  // namespace

Result<std::unique_ptr<LambdaInstance>> LambdaInstance::Start(std::string key, ProcessSpec spec,
                                                              RunConfinement confinement,
                                                              UniqueFd netns,
                                                              uint64_t max_response_bytes,
                                                              RunSpawner& spawner) {
  std::unique_ptr<LambdaInstance> inst(new LambdaInstance(std::move(key), std::move(confinement),
                                                          std::move(netns), max_response_bytes));
  TAILOR_ASSIGN_OR_RETURN(inst->server_,
                          LambdaRuntimeServer::Start(inst->mailbox_, inst->netns_.fd));
  spec.env.push_back("AWS_LAMBDA_RUNTIME_API=" + inst->server_->address());
  spec.stdin_data.clear();
  spec.timeout = kInstanceLifetime;
  spec.netns_fd = inst->netns_.fd;
  inst->started_at_ = std::chrono::steady_clock::now();
  LambdaInstance* self = inst.get();
  spec.cancelled = [self] { return self->stop_requested_.load(); };
  inst->drain_fd_.fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (inst->drain_fd_.fd < 0) return ErrnoToStatus(errno, "eventfd for a Lambda instance's log");
  spec.drain_fd = inst->drain_fd_.fd;
  spec.drained = [self] {
    {
      std::lock_guard lock(self->mu_);
      ++self->drains_;
    }
    self->exited_cv_.notify_all();
  };
  spec.output_sink = [self](std::string_view chunk) {
    std::lock_guard lock(self->mu_);
    self->log_.append(chunk);
    if (self->log_.size() > 2 * kStderrTailBytes) {
      self->log_.erase(0, self->log_.size() - kStderrTailBytes);
    }
  };
  inst->process_thread_ = std::thread([self, spec = std::move(spec), &spawner]() mutable {
    self->RunBootstrap(std::move(spec), spawner);
  });
  return inst;
}

void LambdaInstance::RunBootstrap(ProcessSpec spec, RunSpawner& spawner) {
  RunCgroup* cg = confinement_.cgroup.get();
  auto pr = RunProcess(spawner, spec, [cg] { (void)cg->KillAll(); });
  ProcessResult result;
  if (pr.ok()) {
    result = std::move(*pr);
  } else {
    result.start_failure = StartFailure{StartFailStep::kSpawner, pr.status()};
  }
  const std::string why = ExitDescription(result);
  {
    std::lock_guard lock(mu_);
    exit_ = std::move(result);
    process_done_ = true;
  }
  exited_cv_.notify_all();
  mailbox_.Close({LambdaEnd::kExited, "Runtime exited with error: " + why, "Runtime.ExitError"});
}

std::string LambdaInstance::TakeLog() {
  std::unique_lock lock(mu_);
  if (!process_done_) {
    // Output written before the runtime answered is in the pipes by now: have it read.
    const uint64_t want = drains_ + 1;
    const uint64_t one = 1;
    if (::write(drain_fd_.fd, &one, sizeof(one)) == sizeof(one)) {
      exited_cv_.wait_for(lock, std::chrono::seconds(1),
                          [&] { return drains_ >= want || process_done_; });
    }
  }
  std::string tail = std::move(log_);
  log_.clear();
  if (tail.size() > kStderrTailBytes) tail.erase(0, tail.size() - kStderrTailBytes);
  return tail;
}

std::optional<ProcessResult> LambdaInstance::WaitExit(std::chrono::milliseconds at_most) {
  std::unique_lock lock(mu_);
  exited_cv_.wait_for(lock, at_most, [this] { return process_done_; });
  return exit_;
}

LambdaServed LambdaInstance::Serve(LambdaEvent event, SteadyTime deadline,
                                   const std::function<bool()>& cancelled) {
  LambdaServed served;
  ++invocations_;
  const auto posted = std::chrono::steady_clock::now();
  Status s = mailbox_.Post(std::move(event));
  std::optional<LambdaResult> result;
  if (s.ok()) {
    result = mailbox_.WaitResult(deadline, cancelled);
  } else {
    result = LambdaResult{LambdaEnd::kExited, "Runtime exited before the invocation",
                          "Runtime.ExitError"};
  }
  served.wall_time = std::chrono::steady_clock::now() - posted;
  if (!result) {
    served.cancelled = cancelled && cancelled();
    served.timed_out = !served.cancelled;
    Stop();
    served.result = {LambdaEnd::kExited, "", ""};
  } else {
    served.result = std::move(*result);
  }
  // A runtime that cannot serve is ended; one that is gone says how it ended, for the report.
  if (served.result.end == LambdaEnd::kInitError) Stop();
  if (!usable()) served.exit = WaitExit(std::chrono::seconds(5));
  served.log_tail = TakeLog();
  return served;
}

void LambdaInstance::Stop() {
  if (stopped_.exchange(true)) return;
  stop_requested_.store(true);
  mailbox_.Close({LambdaEnd::kExited, "the instance was stopped", "Runtime.ExitError"});
  if (process_thread_.joinable()) process_thread_.join();
  if (server_) server_->Stop();
  // Everything in the cgroup is killed and the cgroup removed by the janitor (RunConfinement).
}

LambdaInstance::~LambdaInstance() { Stop(); }

}  // namespace tailor::agent
