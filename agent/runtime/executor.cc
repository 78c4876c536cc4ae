#include "agent/runtime/executor.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "agent/runtime/process_runner.h"
#include "agent/runtime/start_failure_report.h"
#include "common/limits.h"
#include "common/logging.h"
#include "common/random_id.h"
#include "common/unique_fd.h"
#include "proto/validation.h"

namespace tailor::agent {
namespace {

int64_t Micros(const timeval& tv) { return int64_t(tv.tv_sec) * 1'000'000 + tv.tv_usec; }

// Errors before anything was attempted: the caller may try another node.
Status NotStarted(Status s) { return s.WithReason(ErrorReason::kNotStarted); }

// The outcome of a run that started, from what was measured.
v1::RunOutcome OutcomeOf(const ProcessResult& pr, bool oom, bool output_too_large) {
  if (pr.timed_out) return v1::RUN_OUTCOME_TIMED_OUT;  // killed at the deadline, whatever followed
  if (pr.cancelled) return v1::RUN_OUTCOME_CANCELLED;
  if (!pr.function_rusage) return v1::RUN_OUTCOME_AGENT_LOST;
  if (oom) return v1::RUN_OUTCOME_OOM_KILLED;
  if (pr.exit_code != 0) return v1::RUN_OUTCOME_FUNCTION_ERROR;
  return output_too_large ? v1::RUN_OUTCOME_OUTPUT_TOO_LARGE : v1::RUN_OUTCOME_SUCCEEDED;
}

}  // namespace

std::string NewInvocationId() { return RandomId(); }

Executor::Executor(ExecutorOptions options, ExecutorDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      spawner_(options_.run_spawner),
      // One spare per run slot and one more, so that a burst finds them ready.
      janitor_(deps_.cgroups, options_.max_concurrent_runs + 1),
      warm_(options_.warm_memory_budget_bytes, options_.keep_alive,
            deps_.clock != nullptr ? *deps_.clock : RealClock::Get()) {
  // Started now, while the agent is small; a failure shows again at the first run.
  if (Status s = spawner_.EnsureStarted(); !s.ok()) {
    log::Warn("cannot start the run spawner", {{"error", s}});
  }
}

Result<std::chrono::nanoseconds> Executor::AcquireSlot() {
  const auto start = deps_.clock->MonotonicNow();
  std::unique_lock lock(mu_);
  if (queued_.load() >= options_.max_queued_runs &&
      running_.load() >= options_.max_concurrent_runs) {
    return NotStarted(ResourceExhaustedError(
        "agent queue is full (" + std::to_string(options_.max_queued_runs) + " runs waiting)"));
  }
  const uint64_t ticket = next_ticket_++;
  queued_.fetch_add(1);
  cv_.wait(lock, [&] {
    return ticket == serving_ticket_ && running_.load() < options_.max_concurrent_runs;
  });
  ++serving_ticket_;
  queued_.fetch_sub(1);
  running_.fetch_add(1);
  cv_.notify_all();
  return deps_.clock->MonotonicNow() - start;
}

void Executor::ReleaseSlot() {
  {
    std::lock_guard lock(mu_);
    running_.fetch_sub(1);
  }
  cv_.notify_all();
}

void Executor::StopAccepting() { accepting_.store(false); }

bool Executor::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout,
                      [this] { return running_.load() == 0 && queued_.load() == 0; });
}

Status Executor::CheckRequest(const internal::v1::InvokeRequest& req) const {
  if (!accepting_.load()) {
    return NotStarted(UnavailableError("this agent is stopping and takes no new runs"));
  }
  TAILOR_RETURN_IF_ERROR(NotStarted(ValidateAgentInvokeRequest(req)));
  const v1::Allocation& a = req.allocation();
  if (a.cache_ways() > 0 && !deps_.resctrl->allocation_available()) {
    return NotStarted(
        FailedPreconditionError("cache_ways asked for, but this node cannot allocate cache"));
  }
  if (options_.node_memory_bytes > 0 && a.memory_limit_bytes() > options_.node_memory_bytes) {
    return NotStarted(FailedPreconditionError(
        "allocation.memory_limit_bytes " + std::to_string(a.memory_limit_bytes()) +
        " is more than this node's " + std::to_string(options_.node_memory_bytes)));
  }
  if (options_.node_cpu_millicores > 0 && a.cpu_millicores() > options_.node_cpu_millicores) {
    return NotStarted(FailedPreconditionError(
        "allocation.cpu_millicores " + std::to_string(a.cpu_millicores()) +
        " is more than this node's " + std::to_string(options_.node_cpu_millicores)));
  }
  return OkStatus();
}

Result<InstalledFunction> Executor::FindFunction(const internal::v1::InvokeRequest& req) {
  auto found = deps_.functions->Lookup(req.function_name(), req.function_version());
  if (!found.ok() && found.status().code() == StatusCode::kNotFound &&
      !req.bundle_digest().empty() && deps_.fetch_bundle) {
    // First run of this version here: fetch it from the registry, then look again.
    Status fetched = deps_.fetch_bundle(req.bundle_digest());
    if (!fetched.ok()) {
      return NotStarted(
          fetched.WithContext("fetching '" + req.function_name() + "' from the registry"));
    }
    found = deps_.functions->Lookup(req.function_name(), req.function_version());
  }
  if (!found.ok()) return NotStarted(found.status());
  return found;
}

Result<int> Executor::TakeNetns(const std::string& function) {
  return deps_.netns ? deps_.netns->Take(function) : NetnsPool::MakeNamespace();
}

Status Executor::CheckSandbox() {
  if (deps_.sandbox == nullptr) return OkStatus();
  ProcessSpec spec;
  spec.executable = "/bin/true";
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.timeout = std::chrono::seconds(30);
  spec.sandbox = deps_.sandbox->Probe();
  spec.working_dir = deps_.sandbox->mounts() ? kSandboxBundleDir : "/";
  if (::geteuid() == 0) spec.uid = spec.gid = 65534;
  UniqueFd netns;
  if (spec.sandbox.namespaces & spawn::kNsNet) {
    TAILOR_ASSIGN_OR_RETURN(netns.fd, TakeNetns(""));
    spec.netns_fd = netns.fd;
  }
  TAILOR_ASSIGN_OR_RETURN(ProcessResult pr, RunProcess(spawner_, spec, nullptr));
  if (pr.start_failure) return pr.start_failure->status;
  if (pr.exit_code != 0) {
    return InternalError("/bin/true in a sandbox exited with " + std::to_string(pr.exit_code) +
                         " (signal " + std::to_string(pr.term_signal) + "): " + pr.stderr_tail);
  }
  return OkStatus();
}

Result<Executor::Isolation> Executor::IsolationFor(const internal::v1::InvokeRequest& req,
                                                   const InstalledFunction& fn) const {
  Isolation isolation;
  isolation.uid = options_.run_uid;
  isolation.gid = options_.run_gid;
  if (deps_.uids != nullptr) {
    auto uid = deps_.uids->For(fn.manifest.name);
    if (!uid.ok()) return NotStarted(uid.status());
    isolation.uid = *uid;
    isolation.gid = *uid;
  }
  if (deps_.sandbox != nullptr) {
    auto box = deps_.sandbox->For(fn, req.allocation().memory_limit_bytes());
    if (!box.ok()) return NotStarted(box.status());
    isolation.sandbox = std::move(*box);
  }
  return isolation;
}

v1::RunReport Executor::NewReport(const internal::v1::InvokeRequest& req,
                                  const InstalledFunction& fn, const std::string& invocation_id,
                                  std::chrono::nanoseconds waited) const {
  v1::RunReport report;
  report.set_invocation_id(invocation_id);
  report.set_function_name(fn.manifest.name);
  report.set_function_version(fn.manifest.version);
  report.set_node_id(options_.node_id);
  report.set_decision_id(req.decision_id());
  report.set_emulation_profile(options_.emulation.name);
  report.set_start_kind(v1::START_KIND_PROCESS);
  report.set_queue_wait_us(std::chrono::duration_cast<std::chrono::microseconds>(waited).count());
  report.set_payload_bytes(req.payload().size());
  if (deps_.current_load) *report.mutable_node_load_at_start() = deps_.current_load();
  *report.mutable_allocation() = req.allocation();
  report.set_memory_limit_bytes(req.allocation().memory_limit_bytes());
  const int64_t now_ms = ToUnixMillis(deps_.clock->WallNow());
  report.set_start_unix_ms(now_ms);
  report.set_end_unix_ms(now_ms);
  return report;
}

Result<RunConfinement> Executor::Confine(const std::string& invocation_id,
                                         const v1::Allocation& alloc) {
  RunConfinement c;
  c.janitor = &janitor_;
  c.limits.memory_limit_bytes = alloc.memory_limit_bytes();
  c.limits.cpu_millicores =
      EmulatedCpuMillicores(alloc.cpu_millicores(), options_.emulation.cpu_speed_factor);
  c.limits.cpuset_cpus = options_.emulation.cpuset_cpus;
  c.limits.pids_max = options_.run_pids_max;
  const std::string run_name = "run-" + invocation_id;
  TAILOR_ASSIGN_OR_RETURN(c.cgroup, deps_.cgroups->Create(run_name, c.limits));
  TAILOR_ASSIGN_OR_RETURN(c.resctrl,
                          deps_.resctrl->Start(run_name, alloc.cache_ways(), alloc.cache_class()));
  return c;
}

ProcessSpec Executor::BuildSpec(const internal::v1::InvokeRequest& req, const InstalledFunction& fn,
                                const Isolation& isolation, const std::string& invocation_id,
                                RunConfinement& c) const {
  ProcessSpec spec;
  spec.executable = fn.entrypoint;
  spec.working_dir = fn.bundle_dir;
  if (deps_.sandbox != nullptr) {
    spec.executable = deps_.sandbox->EntrypointInside(fn);
    spec.working_dir = deps_.sandbox->WorkingDirInside(fn);
  }
  spec.sandbox = isolation.sandbox;
  spec.args = fn.manifest.args;
  spec.stdin_data = req.payload();
  spec.stdout_cap_bytes = std::min(fn.manifest.max_output_bytes, kMaxOutputBytesCeiling);
  spec.stderr_cap_bytes = kStderrTailBytes;
  spec.timeout =
      std::chrono::milliseconds(req.timeout_ms() > 0 ? req.timeout_ms() : fn.manifest.timeout_ms);
  spec.uid = isolation.uid;
  spec.gid = isolation.gid;
  spec.join_files = c.cgroup->ProcsFiles();
  if (std::string tasks = c.resctrl->TasksFile(); !tasks.empty()) spec.join_files.push_back(tasks);
  if (deps_.perf.hardware) spec.counters = HardwareCounters();
  if (c.cgroup->NeedsMemorySampling()) {
    spec.sample = [cg = c.cgroup.get()] { cg->SampleMemory(); };
    spec.sample_interval = options_.memory_sample_interval;
  }
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin",
              "HOME=/tmp",
              "LANG=C.UTF-8",
              "TAILOR_FUNCTION=" + fn.manifest.name,
              "TAILOR_FUNCTION_VERSION=" + fn.manifest.version,
              "TAILOR_INVOCATION_ID=" + invocation_id,
              "TAILOR_MEMORY_LIMIT_BYTES=" + std::to_string(req.allocation().memory_limit_bytes())};
  for (const auto& [k, v] : fn.manifest.env) spec.env.push_back(k + "=" + v);
  if (!options_.emulation.hidden_features.empty()) {
    std::string hidden;
    for (const auto& f : options_.emulation.hidden_features)
      hidden += (hidden.empty() ? "" : ",") + f;
    spec.env.push_back("TAILOR_HIDDEN_FEATURES=" + hidden);
    std::string cap = OpensslIa32capFor(options_.emulation.hidden_features);
    if (!cap.empty()) spec.env.push_back("OPENSSL_ia32cap=" + cap);
  }
  return spec;
}

void Executor::Measure(const ProcessResult& pr, const ProcessSpec& spec, RunConfinement& c,
                       v1::RunReport& report) const {
  report.set_start_unix_ms(ToUnixMillis(pr.started_at));
  report.set_end_unix_ms(ToUnixMillis(pr.ended_at));
  report.set_wall_time_us(
      std::chrono::duration_cast<std::chrono::microseconds>(pr.wall_time).count());
  report.set_exit_code(pr.exit_code);
  report.set_term_signal(pr.term_signal);
  report.set_timed_out(pr.timed_out);
  report.set_output_bytes(pr.stdout_total_bytes);
  // The largest single process (its ru_maxrss in KiB, from the spawner); the cgroup's
  // high-water mark, for the whole tree, replaces it below where the host keeps one.
  report.set_peak_memory_bytes(static_cast<uint64_t>(pr.rusage.ru_maxrss) * 1024);
  report.set_user_cpu_us(Micros(pr.rusage.ru_utime));
  report.set_system_cpu_us(Micros(pr.rusage.ru_stime));
  report.set_voluntary_context_switches(static_cast<uint64_t>(pr.rusage.ru_nvcsw));
  report.set_involuntary_context_switches(static_cast<uint64_t>(pr.rusage.ru_nivcsw));
  report.set_minor_page_faults(static_cast<uint64_t>(pr.rusage.ru_minflt));
  report.set_major_page_faults(static_cast<uint64_t>(pr.rusage.ru_majflt));

  auto* measured = report.mutable_measured();
  std::string notes;
  if (!pr.function_rusage) notes += "run lost (" + pr.lost_reason + "): exit status unknown; ";
  const v1::Allocation& alloc = report.allocation();
  UsageWanted wanted;
  // Only a memory limit or a SIGKILL can mean an OOM kill.
  wanted.oom = alloc.memory_limit_bytes() > 0 || pr.term_signal == SIGKILL;
  wanted.throttling = c.limits.cpu_millicores > 0;
  auto usage = c.cgroup->ReadUsage(wanted);
  measured->set_cgroup(c.cgroup->version() > 0);
  if (c.cgroup->version() == 0) notes += "no cgroup hierarchy: limits not enforced; ";
  bool oom = false;
  if (usage.ok()) {
    if (usage->cpu_valid) {
      // The cgroup also counts descendants that were never waited for.
      report.set_user_cpu_us(std::max(report.user_cpu_us(), usage->user_cpu_us));
      report.set_system_cpu_us(std::max(report.system_cpu_us(), usage->system_cpu_us));
    }
    if (usage->oom_valid) oom = usage->oom_kills > 0;
    if (usage->memory_peak_valid) {
      report.set_peak_memory_bytes(std::max(report.peak_memory_bytes(), usage->memory_peak_bytes));
      measured->set_memory_peak_whole_tree(true);
    }
    if (usage->io_valid) {
      report.set_read_bytes(usage->read_bytes);
      report.set_write_bytes(usage->write_bytes);
    }
    if (usage->throttling_valid && options_.emulation.cpu_speed_factor >= 1.0) {
      measured->set_cpu_throttling(true);
      report.set_cpu_periods(usage->throttling.periods);
      report.set_cpu_throttled_periods(usage->throttling.throttled_periods);
      report.set_cpu_throttled_us(usage->throttling.throttled_us);
    }
    // Under emulated speed the quota that slows the run makes it wait too: not a co-runner's.
    if (usage->cpu_waiting_valid && options_.emulation.cpu_speed_factor >= 1.0) {
      measured->set_cpu_pressure(true);
      report.set_cpu_waiting_us(usage->cpu_waiting_us);
    }
  }
  if (options_.emulation.cpu_speed_factor < 1.0) {
    // The time a host of the emulated speed would have needed for the same work.
    const double f = options_.emulation.cpu_speed_factor;
    report.set_user_cpu_us(static_cast<int64_t>(double(report.user_cpu_us()) / f));
    report.set_system_cpu_us(static_cast<int64_t>(double(report.system_cpu_us()) / f));
    notes += "CPU time scaled to the emulated speed; no throttling figures under emulation; ";
  }
  if (!usage.ok() || !usage->oom_valid) {
    // No OOM counter: a SIGKILL we did not send, under a memory limit, is the OOM killer.
    oom = !pr.timed_out && pr.function_rusage && pr.term_signal == SIGKILL &&
          alloc.memory_limit_bytes() > 0;
  }
  if (pr.proc_io) {
    report.set_read_bytes(std::max(report.read_bytes(), pr.proc_io->read_bytes));
    report.set_write_bytes(std::max(report.write_bytes(), pr.proc_io->write_bytes));
  }
  measured->set_io_accounting(pr.proc_io.has_value() || (usage.ok() && usage->io_valid));
  report.set_oom_killed(oom && pr.function_rusage);

  if (!spec.counters.empty() && pr.counters.opened && pr.counters.values.size() == 4) {
    measured->set_perf_hardware(true);
    report.set_instructions(pr.counters.values[0]);
    report.set_cycles(pr.counters.values[1]);
    report.set_llc_references(pr.counters.values[2]);
    report.set_llc_misses(pr.counters.values[3]);
  } else if (!spec.counters.empty()) {
    notes += "hardware " + pr.counters.unavailable + "; ";
  } else {
    notes += deps_.perf.unavailable_reason + "; ";
  }
  ResctrlReadings rr = c.resctrl->Finish();
  measured->set_resctrl_monitoring(rr.monitored);
  measured->set_resctrl_allocation(rr.allocated);
  if (rr.monitored) {
    report.set_llc_occupancy_bytes(rr.llc_occupancy_bytes);
    report.set_memory_bandwidth_bytes(rr.mbm_total_bytes);
  }
  if (!deps_.resctrl->monitoring_available()) notes += "no resctrl monitoring on this host; ";
  if (!notes.empty()) notes.resize(notes.size() - 2);
  measured->set_notes(notes.substr(0, 4096));
  const bool too_large = pr.stdout_total_bytes > spec.stdout_cap_bytes;
  report.set_outcome(OutcomeOf(pr, report.oom_killed(), too_large));
  if (report.outcome() == v1::RUN_OUTCOME_OUTPUT_TOO_LARGE) {
    report.set_error_message("wrote " + std::to_string(pr.stdout_total_bytes) +
                             " bytes of output; the function's max_output_bytes is " +
                             std::to_string(spec.stdout_cap_bytes));
  } else if (report.outcome() == v1::RUN_OUTCOME_AGENT_LOST) {
    report.set_error_message(pr.lost_reason.substr(0, 4096));
  }
}

internal::v1::InvokeResponse Executor::Deliver(v1::RunReport report, std::string output,
                                               bool output_truncated, std::string stderr_tail) {
  if (deps_.sink != nullptr) {
    Status s = deps_.sink->Append(report);
    if (!s.ok()) {
      log::Error("cannot spool run report", {{"invocation", report.invocation_id()}, {"error", s}});
    }
  }
  internal::v1::InvokeResponse resp;
  resp.set_output(std::move(output));
  resp.set_output_truncated(output_truncated);
  resp.set_stderr_tail(std::move(stderr_tail));
  *resp.mutable_report() = std::move(report);
  return resp;
}

Result<internal::v1::InvokeResponse> Executor::Invoke(const internal::v1::InvokeRequest& req,
                                                      const std::function<bool()>& cancelled) {
  TAILOR_RETURN_IF_ERROR(CheckRequest(req));
  TAILOR_ASSIGN_OR_RETURN(InstalledFunction fn, FindFunction(req));
  TAILOR_ASSIGN_OR_RETURN(Isolation isolation, IsolationFor(req, fn));
  TAILOR_ASSIGN_OR_RETURN(std::chrono::nanoseconds waited, AcquireSlot());
  struct SlotGuard {
    Executor* e;
    ~SlotGuard() { e->ReleaseSlot(); }
  } slot_guard{this};
  if (cancelled && cancelled()) {
    return NotStarted(CancelledError("the caller went away before the run could start"));
  }

  if (fn.manifest.runtime == FunctionRuntime::kLambda) {
    return InvokeLambda(req, fn, isolation, waited, cancelled);
  }
  const std::string invocation_id =
      req.invocation_id().empty() ? NewInvocationId() : req.invocation_id();
  v1::RunReport report = NewReport(req, fn, invocation_id, waited);
  auto confinement = Confine(invocation_id, req.allocation());
  if (!confinement.ok()) {
    MarkStartFailed(v1::START_STEP_CGROUP, confinement.status(), report);
    return Deliver(std::move(report), "", false, "");
  }
  ProcessSpec spec = BuildSpec(req, fn, isolation, invocation_id, *confinement);
  spec.cancelled = cancelled;
  UniqueFd netns;
  if (spec.sandbox.namespaces & spawn::kNsNet) {
    auto taken = TakeNetns(fn.manifest.name);
    if (!taken.ok()) {
      MarkStartFailed(v1::START_STEP_SANDBOX, taken.status(), report);
      return Deliver(std::move(report), "", false, "");
    }
    netns.fd = *taken;
    spec.netns_fd = netns.fd;
  }
  auto kill_tree = [cg = confinement->cgroup.get()] { (void)cg->KillAll(); };
  confinement->resctrl->MarkStart();
  auto pr = RunProcess(spawner_, spec, kill_tree);
  if (!pr.ok() || pr->start_failure) {
    const StartFailure failure =
        pr.ok() ? *pr->start_failure : StartFailure{StartFailStep::kSpawner, pr.status()};
    MarkStartFailed(ToProtoStep(failure.step), failure.status, report);
    return Deliver(std::move(report), "", false, "");
  }
  if (deps_.netns != nullptr && netns.fd >= 0 && pr->function_rusage &&
      (spec.sandbox.namespaces & spawn::kNsPid)) {
    // The run is over: its init has ended, taking every process of the run with it (the
    // kernel may still be finishing that). The function's next run may have this network
    // namespace (netns_pool.h says why that is safe).
    deps_.netns->Return(fn.manifest.name, netns.Release());
  }
  Measure(*pr, spec, *confinement, report);
  const bool drop_output = report.outcome() == v1::RUN_OUTCOME_OUTPUT_TOO_LARGE;
  return Deliver(std::move(report), drop_output ? "" : std::move(pr->stdout_data),
                 pr->stdout_truncated, std::move(pr->stderr_tail));
}

}  // namespace tailor::agent
