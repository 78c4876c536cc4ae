#include "agent/runtime/executor.h"

#include <signal.h>


#include "agent/runtime/process_runner.h"
#include "common/logging.h"
#include "common/random_id.h"

namespace tailor::agent {
namespace {

bool ValidInvocationId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

int64_t Micros(const timeval& tv) { return int64_t(tv.tv_sec) * 1'000'000 + tv.tv_usec; }

}  // namespace

std::string NewInvocationId() { return RandomId(); }

Executor::Executor(ExecutorOptions options, ExecutorDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      spawner_(options_.run_spawner),
      // One spare per run slot and one more, so that a burst finds them ready.
      janitor_(deps_.cgroups, options_.max_concurrent_runs + 1) {
  // Started now, while the agent is small; a failure shows again at the first run.
  if (Status s = spawner_.EnsureStarted(); !s.ok()) {
    log::Warn("cannot start the run spawner", {{"error", s}});
  }
}

Result<std::chrono::nanoseconds> Executor::AcquireSlot() {
  const auto start = deps_.clock->MonotonicNow();
  std::unique_lock lock(mu_);
  if (queued_.load() >= options_.max_queued_runs && running_.load() >= options_.max_concurrent_runs) {
    return ResourceExhaustedError("agent queue is full (" +
                                  std::to_string(options_.max_queued_runs) + " runs waiting)");
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

Result<v1::InvokeResponse> Executor::Invoke(const v1::InvokeRequest& req) {
  std::string invocation_id = req.invocation_id().empty() ? NewInvocationId() : req.invocation_id();
  if (!ValidInvocationId(invocation_id)) {
    return InvalidArgumentError("invocation id must be 1..128 characters of [A-Za-z0-9._-]");
  }
  if (req.payload().size() > options_.max_payload_bytes) {
    return InvalidArgumentError("payload of " + std::to_string(req.payload().size()) +
                                " bytes exceeds the agent's limit of " +
                                std::to_string(options_.max_payload_bytes));
  }
  auto found = deps_.functions->Lookup(req.function_name(), req.function_version());
  if (!found.ok() && found.status().code() == StatusCode::kNotFound &&
      !req.bundle_digest().empty() && deps_.fetch_bundle) {
    // First run of this version here: fetch it from the registry, then look again.
    Status fetched = deps_.fetch_bundle(req.bundle_digest());
    if (!fetched.ok()) {
      return fetched.WithContext("fetching '" + req.function_name() + "' from the registry");
    }
    found = deps_.functions->Lookup(req.function_name(), req.function_version());
  }
  TAILOR_ASSIGN_OR_RETURN(InstalledFunction fn, std::move(found));
  const v1::Allocation& alloc = req.allocation();
  if (alloc.cache_ways() > 0 && !deps_.resctrl->allocation_available()) {
    return FailedPreconditionError("cache_ways asked for, but this node cannot allocate cache");
  }

  TAILOR_ASSIGN_OR_RETURN(std::chrono::nanoseconds waited, AcquireSlot());
  struct SlotGuard {
    Executor* e;
    ~SlotGuard() { e->ReleaseSlot(); }
  } slot_guard{this};

  v1::RunReport report;
  report.set_invocation_id(invocation_id);
  report.set_function_name(fn.manifest.name);
  report.set_function_version(fn.manifest.version);
  report.set_node_id(options_.node_id);
  report.set_decision_id(req.decision_id());
  report.set_emulation_profile(options_.emulation.name);
  report.set_queue_wait_us(std::chrono::duration_cast<std::chrono::microseconds>(waited).count());
  report.set_payload_bytes(req.payload().size());
  if (deps_.current_load) *report.mutable_node_load_at_start() = deps_.current_load();
  *report.mutable_allocation() = alloc;

  // The run's confinement.
  CgroupLimits limits;
  limits.memory_limit_bytes = alloc.memory_limit_bytes();
  limits.cpu_millicores =
      EmulatedCpuMillicores(alloc.cpu_millicores(), options_.emulation.cpu_speed_factor);
  limits.cpuset_cpus = options_.emulation.cpuset_cpus;
  const std::string run_name = "run-" + invocation_id;
  TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<RunCgroup> cgroup,
                          deps_.cgroups->Create(run_name, limits));
  // However Invoke returns, the cgroup goes to the janitor, which removes it off this run's
  // critical path (usually just rmdir: the spawner has killed the run's process group by
  // then; anything still inside is killed first).
  struct CgroupGuard {
    CgroupJanitor& janitor;
    std::unique_ptr<RunCgroup>& cg;
    ~CgroupGuard() { janitor.Remove(std::move(cg)); }
  } cgroup_guard{janitor_, cgroup};
  TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<ResctrlRun> resctrl,
                          deps_.resctrl->Start(run_name, alloc.cache_ways(), alloc.cache_class()));

  ProcessSpec spec;
  spec.executable = fn.entrypoint;
  spec.args = fn.manifest.args;
  spec.working_dir = fn.bundle_dir;
  spec.stdin_data = req.payload();
  spec.stdout_cap_bytes = options_.stdout_cap_bytes;
  spec.stderr_cap_bytes = options_.stderr_cap_bytes;
  spec.timeout = std::chrono::milliseconds(req.timeout_ms() > 0 ? req.timeout_ms()
                                                                : fn.manifest.timeout_ms);
  spec.uid = options_.run_uid;
  spec.gid = options_.run_gid;
  spec.join_files = cgroup->ProcsFiles();
  if (std::string tasks = resctrl->TasksFile(); !tasks.empty()) spec.join_files.push_back(tasks);
  if (deps_.perf.hardware) spec.counters = HardwareCounters();
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8",
              "TAILOR_FUNCTION=" + fn.manifest.name,
              "TAILOR_FUNCTION_VERSION=" + fn.manifest.version,
              "TAILOR_INVOCATION_ID=" + invocation_id,
              "TAILOR_MEMORY_LIMIT_BYTES=" + std::to_string(alloc.memory_limit_bytes())};
  for (const auto& [k, v] : fn.manifest.env) spec.env.push_back(k + "=" + v);
  if (!options_.emulation.hidden_features.empty()) {
    std::string hidden;
    for (const auto& f : options_.emulation.hidden_features) hidden += (hidden.empty() ? "" : ",") + f;
    spec.env.push_back("TAILOR_HIDDEN_FEATURES=" + hidden);
    std::string cap = OpensslIa32capFor(options_.emulation.hidden_features);
    if (!cap.empty()) spec.env.push_back("OPENSSL_ia32cap=" + cap);
  }

  auto kill_tree = [&] { (void)cgroup->KillAll(); };
  resctrl->MarkStart();
  TAILOR_ASSIGN_OR_RETURN(ProcessResult pr, RunProcess(spawner_, spec, kill_tree));

  // Assemble the report.
  report.set_start_unix_ms(ToUnixMillis(pr.started_at));
  report.set_end_unix_ms(ToUnixMillis(pr.ended_at));
  report.set_wall_time_us(std::chrono::duration_cast<std::chrono::microseconds>(pr.wall_time).count());
  report.set_exit_code(pr.exit_code);
  report.set_term_signal(pr.term_signal);
  report.set_timed_out(pr.timed_out);
  report.set_output_bytes(pr.stdout_total_bytes);
  report.set_memory_limit_bytes(alloc.memory_limit_bytes());
  report.mutable_allocation()->set_cpu_millicores(limits.cpu_millicores);
  // Peak memory: the function's largest resident set (its ru_maxrss in KiB, reported by the
  // spawner). The cgroup's high-water mark adds page cache, which the kernel reclaims before
  // an OOM kill, so it is only the fallback when the spawner could not report (it died).
  report.set_peak_memory_bytes(static_cast<uint64_t>(pr.rusage.ru_maxrss) * 1024);
  report.set_user_cpu_us(Micros(pr.rusage.ru_utime));
  report.set_system_cpu_us(Micros(pr.rusage.ru_stime));
  report.set_voluntary_context_switches(static_cast<uint64_t>(pr.rusage.ru_nvcsw));
  report.set_involuntary_context_switches(static_cast<uint64_t>(pr.rusage.ru_nivcsw));
  report.set_minor_page_faults(static_cast<uint64_t>(pr.rusage.ru_minflt));
  report.set_major_page_faults(static_cast<uint64_t>(pr.rusage.ru_majflt));

  auto* measured = report.mutable_measured();
  std::string notes;
  if (!pr.function_rusage) {
    notes += "the run spawner died during the run: exit status and rusage unknown; ";
  }
  UsageWanted wanted;
  // Only a memory limit or a SIGKILL can mean an OOM kill; the cgroup's high-water mark is
  // only the fallback for a run whose rusage was lost.
  wanted.oom = alloc.memory_limit_bytes() > 0 || pr.term_signal == SIGKILL;
  wanted.memory_peak = !pr.function_rusage;
  auto usage = cgroup->ReadUsage(wanted);
  measured->set_cgroup(cgroup->version() > 0);
  if (cgroup->version() == 0) notes += "no cgroup hierarchy: limits not enforced; ";
  bool oom = false;
  if (usage.ok()) {
    if (usage->cpu_valid) {
      // The cgroup also counts descendants that were never waited for.
      report.set_user_cpu_us(std::max(report.user_cpu_us(), usage->user_cpu_us));
      report.set_system_cpu_us(std::max(report.system_cpu_us(), usage->system_cpu_us));
    }
    if (usage->oom_valid) oom = usage->oom_kills > 0;
    if (!pr.function_rusage && report.peak_memory_bytes() == 0) {
      report.set_peak_memory_bytes(usage->memory_peak_bytes);
    }
    if (usage->io_valid) {
      report.set_read_bytes(usage->read_bytes);
      report.set_write_bytes(usage->write_bytes);
    }
  }
  if (!usage.ok() || !usage->oom_valid) {
    // No OOM counter: a SIGKILL we did not send, under a memory limit, is the OOM killer.
    oom = !pr.timed_out && pr.term_signal == SIGKILL && alloc.memory_limit_bytes() > 0;
  }
  if (pr.proc_io) {
    report.set_read_bytes(std::max(report.read_bytes(), pr.proc_io->read_bytes));
    report.set_write_bytes(std::max(report.write_bytes(), pr.proc_io->write_bytes));
  }
  measured->set_io_accounting(pr.proc_io.has_value() || (usage.ok() && usage->io_valid));
  report.set_oom_killed(oom);

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
  ResctrlReadings rr = resctrl->Finish();
  measured->set_resctrl_monitoring(rr.monitored);
  measured->set_resctrl_allocation(rr.allocated);
  if (rr.monitored) {
    report.set_llc_occupancy_bytes(rr.llc_occupancy_bytes);
    report.set_memory_bandwidth_bytes(rr.mbm_total_bytes);
  }
  if (!deps_.resctrl->monitoring_available()) notes += "no resctrl monitoring on this host; ";
  if (!notes.empty()) notes.resize(notes.size() - 2);
  measured->set_notes(notes);

  if (pr.timed_out) {
    report.set_outcome(v1::RUN_OUTCOME_TIMED_OUT);
  } else if (oom) {
    report.set_outcome(v1::RUN_OUTCOME_OOM_KILLED);
  } else if (pr.exit_code == 0) {
    report.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  } else {
    report.set_outcome(v1::RUN_OUTCOME_FUNCTION_ERROR);
  }

  if (deps_.sink != nullptr) {
    Status s = deps_.sink->Append(report);
    if (!s.ok()) log::Error("cannot spool run report", {{"invocation", invocation_id}, {"error", s}});
  }

  v1::InvokeResponse resp;
  resp.set_output(std::move(pr.stdout_data));
  resp.set_output_truncated(pr.stdout_truncated);
  resp.set_stderr_tail(std::move(pr.stderr_tail));
  *resp.mutable_report() = std::move(report);
  return resp;
}

}  // namespace tailor::agent
