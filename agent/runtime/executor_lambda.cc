// Executor::InvokeLambda: runs one invocation of a runtime = "lambda" function on a warm
// instance (warm_pool.h), starting one when none is idle, and reports it like any run: the
// CPU time is the instance cgroup's during the invocation, the peak memory the instance's
// high-water mark so far, and the report says how the run started (cold or warm), the init
// time of a cold start, and how many invocations the instance has served.
#include <signal.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "agent/runtime/executor.h"
#include "agent/runtime/start_failure_report.h"
#include "common/random_id.h"

namespace tailor::agent {
namespace {

int64_t Micros(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

std::string TraceId(const WallTime now) {
  const std::string id = RandomId();
  char epoch[9];
  std::snprintf(epoch, sizeof(epoch), "%08llx",
                static_cast<unsigned long long>(ToUnixMillis(now) / 1000));
  return "Root=1-" + std::string(epoch) + "-" + id.substr(0, 24) + ";Parent=" + id.substr(8, 16) +
         ";Sampled=0";
}

// Lambda's own error JSON, for ends the runtime did not describe itself.
std::string LambdaErrorJson(const std::string& type, const std::string& message) {
  return nlohmann::json{{"errorType", type}, {"errorMessage", message}}.dump();
}

struct UsageDelta {
  int64_t user_cpu_us = 0;
  int64_t system_cpu_us = 0;
  uint64_t oom_kills = 0;
};

UsageDelta Delta(const Result<CgroupUsage>& before, const Result<CgroupUsage>& after) {
  UsageDelta d;
  if (!before.ok() || !after.ok()) return d;
  if (before->cpu_valid && after->cpu_valid) {
    d.user_cpu_us = std::max<int64_t>(0, after->user_cpu_us - before->user_cpu_us);
    d.system_cpu_us = std::max<int64_t>(0, after->system_cpu_us - before->system_cpu_us);
  }
  if (before->oom_valid && after->oom_valid && after->oom_kills > before->oom_kills) {
    d.oom_kills = after->oom_kills - before->oom_kills;
  }
  return d;
}

// The outcome, output and error message of a served invocation.
void SetOutcome(const LambdaServed& served, const UsageDelta& delta, const std::string& request_id,
                v1::RunReport& report, std::string& output) {
  switch (served.result.end) {
    case LambdaEnd::kResponse:
      report.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
      output = served.result.body;
      return;
    case LambdaEnd::kTooLarge:
      report.set_outcome(v1::RUN_OUTCOME_OUTPUT_TOO_LARGE);
      report.set_error_message(served.result.body.substr(0, 4096));
      return;
    case LambdaEnd::kFunctionError:
    case LambdaEnd::kInitError:
      report.set_outcome(v1::RUN_OUTCOME_FUNCTION_ERROR);
      output = served.result.body;
      report.set_error_message((served.result.end == LambdaEnd::kInitError
                                    ? "the runtime failed to initialize"
                                    : "the handler failed") +
                               (served.result.error_type.empty()
                                    ? ""
                                    : " (" + served.result.error_type.substr(0, 256) + ")"));
      return;
    case LambdaEnd::kExited:
      break;
  }
  if (served.timed_out) {
    report.set_outcome(v1::RUN_OUTCOME_TIMED_OUT);
    report.set_timed_out(true);
    output =
        LambdaErrorJson("Sandbox.Timedout", "RequestId: " + request_id + " Error: Task timed out");
    return;
  }
  if (served.cancelled) {
    report.set_outcome(v1::RUN_OUTCOME_CANCELLED);
    return;
  }
  const ProcessResult* exit = served.exit ? &*served.exit : nullptr;
  if (exit != nullptr) {
    report.set_exit_code(exit->exit_code);
    report.set_term_signal(exit->term_signal);
  }
  const bool oom = delta.oom_kills > 0 || (exit != nullptr && exit->term_signal == SIGKILL &&
                                           report.allocation().memory_limit_bytes() > 0);
  report.set_oom_killed(oom);
  report.set_outcome(oom ? v1::RUN_OUTCOME_OOM_KILLED : v1::RUN_OUTCOME_FUNCTION_ERROR);
  report.set_error_message(served.result.body.substr(0, 4096));
  output = LambdaErrorJson(oom ? "Runtime.OutOfMemory" : "Runtime.ExitError",
                           "RequestId: " + request_id + " Error: " + served.result.body);
}

}  // namespace

std::vector<std::string> Executor::LambdaEnv(const internal::v1::InvokeRequest& req,
                                             const InstalledFunction& fn,
                                             const std::string& task_root,
                                             const std::string& instance_id) const {
  const uint64_t memory = req.allocation().memory_limit_bytes();
  const uint64_t memory_mib = memory > 0 ? std::max<uint64_t>(1, memory >> 20) : 128;
  const std::string& name = fn.manifest.name;
  return {"_HANDLER=" + fn.manifest.handler,
          "LAMBDA_TASK_ROOT=" + task_root,
          "LAMBDA_RUNTIME_DIR=" + task_root,
          "AWS_LAMBDA_FUNCTION_NAME=" + name,
          "AWS_LAMBDA_FUNCTION_VERSION=" + fn.manifest.version,
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + std::to_string(memory_mib),
          "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
          "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
          "AWS_LAMBDA_LOG_STREAM_NAME=" + options_.node_id + "/[" + fn.manifest.version + "]" +
              instance_id,
          "AWS_REGION=" + options_.lambda_region,
          "AWS_DEFAULT_REGION=" + options_.lambda_region,
          "TZ=:UTC"};
}

Result<std::unique_ptr<LambdaInstance>> Executor::StartInstance(
    const internal::v1::InvokeRequest& req, const InstalledFunction& fn, const Isolation& isolation,
    v1::RunReport& report) {
  const std::string instance_id = NewInvocationId();
  auto confinement = Confine(instance_id, req.allocation());
  if (!confinement.ok()) {
    MarkStartFailed(v1::START_STEP_CGROUP, confinement.status(), report);
    return confinement.status();
  }
  ProcessSpec spec = BuildSpec(req, fn, isolation, instance_id, *confinement);
  std::erase_if(spec.env,
                [](const std::string& e) { return e.starts_with("TAILOR_INVOCATION_ID="); });
  for (std::string& e : LambdaEnv(req, fn, spec.working_dir, instance_id))
    spec.env.push_back(std::move(e));
  UniqueFd netns;
  if (spec.sandbox.namespaces & spawn::kNsNet) {
    auto taken = TakeNetns(fn.manifest.name);
    if (!taken.ok()) {
      MarkStartFailed(v1::START_STEP_SANDBOX, taken.status(), report);
      return taken.status();
    }
    netns.fd = *taken;
  }
  auto instance = LambdaInstance::Start(
      fn.manifest.name + "@" + fn.manifest.version, std::move(spec), std::move(*confinement),
      std::move(netns), std::min(fn.manifest.max_output_bytes, kMaxOutputBytesCeiling), spawner_);
  if (!instance.ok()) MarkStartFailed(v1::START_STEP_SANDBOX, instance.status(), report);
  return instance;
}

Result<internal::v1::InvokeResponse> Executor::InvokeLambda(
    const internal::v1::InvokeRequest& req, const InstalledFunction& fn, const Isolation& isolation,
    std::chrono::nanoseconds waited, const std::function<bool()>& cancelled) {
  const std::string invocation_id =
      req.invocation_id().empty() ? NewInvocationId() : req.invocation_id();
  v1::RunReport report = NewReport(req, fn, invocation_id, waited);
  const std::string key = fn.manifest.name + "@" + fn.manifest.version;
  std::unique_ptr<LambdaInstance> instance = warm_.Take(key, req.allocation().memory_limit_bytes());
  const bool cold = instance == nullptr;
  if (cold) {
    auto started = StartInstance(req, fn, isolation, report);
    if (!started.ok()) return Deliver(std::move(report), "", false, "");
    instance = std::move(*started);
  }
  // The instance's own limits, which may be larger than asked when a warm one is reused.
  report.mutable_allocation()->set_memory_limit_bytes(instance->memory_limit_bytes());
  report.set_memory_limit_bytes(instance->memory_limit_bytes());

  const uint32_t timeout_ms = req.timeout_ms() > 0 ? req.timeout_ms() : fn.manifest.timeout_ms;
  // The deadline is read by the runtime against the host's real clock, so it is set from it.
  const WallTime now = std::chrono::system_clock::now();
  LambdaEvent event{
      invocation_id, req.payload(), ToUnixMillis(now) + timeout_ms,
      "arn:aws:lambda:" + options_.lambda_region + ":000000000000:function:" + fn.manifest.name,
      TraceId(now)};
  UsageWanted wanted;
  wanted.io = wanted.throttling = wanted.memory_peak = false;
  const auto before = instance->cgroup().ReadUsage(wanted);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  LambdaServed served = instance->Serve(std::move(event), deadline, cancelled);
  const auto after = instance->cgroup().ReadUsage();
  const UsageDelta delta = Delta(before, after);

  report.set_start_kind(cold ? v1::START_KIND_COLD : v1::START_KIND_WARM);
  report.set_instance_invocations(instance->invocations());
  std::chrono::nanoseconds wall = served.wall_time;
  if (cold && instance->init_done()) {
    const auto init = *instance->init_done() - instance->started_at();
    report.set_init_duration_us(Micros(init));
    wall = std::max(std::chrono::nanoseconds(1000), wall - init);
  }
  report.set_wall_time_us(std::max<int64_t>(1, Micros(wall)));
  report.set_end_unix_ms(ToUnixMillis(deps_.clock->WallNow()));
  // A cold start's CPU time would include the runtime's init: it is left unmeasured (0), so
  // CPU sizing learns from warm invocations only.
  report.set_user_cpu_us(cold ? 0 : delta.user_cpu_us);
  report.set_system_cpu_us(cold ? 0 : delta.system_cpu_us);
  if (after.ok() && after->memory_peak_valid) {
    report.set_peak_memory_bytes(after->memory_peak_bytes);
    report.mutable_measured()->set_memory_peak_whole_tree(true);
  }
  report.mutable_measured()->set_cgroup(instance->cgroup().version() > 0);
  report.mutable_measured()->set_notes(
      cold ? "cold start: CPU time not measured (the runtime's init would count); peak memory "
             "is the instance's; no perf or resctrl figures per invocation"
           : "warm instance: CPU time is the instance cgroup's during the invocation; peak "
             "memory is the instance's so far; no perf or resctrl figures per invocation");
  std::string output;
  if (served.exit && served.exit->start_failure) {
    MarkStartFailed(ToProtoStep(served.exit->start_failure->step),
                    served.exit->start_failure->status, report);
  } else {
    SetOutcome(served, delta, invocation_id, report, output);
  }
  if (instance->usable()) warm_.Put(std::move(instance));
  return Deliver(std::move(report), std::move(output), false, std::move(served.log_tail));
}

}  // namespace tailor::agent
