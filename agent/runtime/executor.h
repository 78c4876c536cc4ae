// Executor: runs function invocations on this host and profiles every run.
//
// Invoke() checks the request (proto/validation.h), finds the function (fetching its bundle
// from the registry the first time), waits for one of `max_concurrent_runs` slots (first
// come, first served; at most `max_queued_runs` wait, beyond that RESOURCE_EXHAUSTED), then:
// makes the run's cgroup with its memory limit and CPU quota, joins the resctrl groups, opens
// perf counters, runs the function as the unprivileged user, and assembles the RunReport from
// wait4, the cgroup (CPU, the whole tree's memory peak, throttling, OOM kills),
// /proc/<pid>/io, perf and resctrl, saying which measurements this host could take. The
// report goes to the sink (the spool) before Invoke returns.
//
// Every attempt to run yields a report with its outcome (RunOutcome): SUCCEEDED,
// FUNCTION_ERROR, TIMED_OUT, OOM_KILLED, OUTPUT_TOO_LARGE (stdout beyond the manifest's
// max_output_bytes: the output is dropped), AGENT_LOST (the spawner died, or the agent lost
// track of the run), or START_FAILED with the step that failed (cgroup, join, credentials,
// working directory, exec, spawner). Errors mean nothing was attempted: a malformed request
// (INVALID_ARGUMENT), an unknown function (NOT_FOUND), an allocation this node cannot give or
// a full queue; all of them carry ErrorReason::kNotStarted, so a caller may try another node.
//
// Emulated CPU speed (EmulationProfile::cpu_speed_factor < 1) scales the run's quota down; the
// report then gives the allocation as asked, the CPU time a host of that speed would have
// used (measured time / factor), and no throttling figures (the emulation itself throttles).
//
// Thread-safety: Invoke may be called concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "agent/runtime/cgroup_janitor.h"
#include "agent/runtime/emulation.h"
#include "agent/runtime/function_store.h"
#include "agent/runtime/netns_pool.h"
#include "agent/runtime/perf_counters.h"
#include "agent/runtime/process_runner.h"
#include "agent/runtime/resctrl_run.h"
#include "agent/runtime/run_cgroup.h"
#include "agent/runtime/run_confinement.h"
#include "agent/runtime/run_report_sink.h"
#include "agent/runtime/run_uids.h"
#include "agent/runtime/sandbox.h"
#include "agent/runtime/warm_pool.h"
#include "common/clock.h"
#include "tailor/internal/v1/agent.pb.h"

namespace tailor::agent {

struct ExecutorOptions {
  std::string node_id;
  uint32_t max_concurrent_runs = 2;
  uint32_t max_queued_runs = 1000;
  // What this node has; an allocation beyond it is refused (0: not checked).
  uint64_t node_memory_bytes = 0;
  uint32_t node_cpu_millicores = 0;
  // How often a run's memory is sampled where the kernel keeps no high-water mark.
  std::chrono::milliseconds memory_sample_interval{10};
  std::optional<uid_t> run_uid;  // run functions as this user (when the agent is root) unless
  std::optional<gid_t> run_gid;  // ExecutorDeps::uids gives each function its own
  uint32_t run_pids_max = 0;     // the most processes and threads in one run (0: no limit)
  EmulationProfile emulation;
  std::string run_spawner = DefaultRunSpawnerPath();  // next to the agent binary
  // Lambda runtimes (docs/lambda.md): the most memory idle warm instances may hold (their
  // memory limits summed), how long they are kept, and the region their ARNs name.
  uint64_t warm_memory_budget_bytes = 1ull << 30;
  models::KeepAliveOptions keep_alive;
  std::string lambda_region = "us-east-1";
};

struct ExecutorDeps {
  FunctionStore* functions = nullptr;
  CgroupManager* cgroups = nullptr;
  ResctrlManager* resctrl = nullptr;
  // Which perf counters runs get (ProbePerfSupport(); the default asks for none).
  PerfSupport perf{false, "perf counters not probed"};
  const Clock* clock = nullptr;
  std::function<v1::NodeLoad()> current_load;  // may be null
  RunReportSink* sink = nullptr;                // may be null
  // Installs the bundle with this SHA-256 from the scheduler's registry; may be null.
  std::function<Status(const std::string& digest)> fetch_bundle;
  // How runs are isolated (agent/runtime/sandbox.h); null: not at all.
  const Sandbox* sandbox = nullptr;
  // Network namespaces for sandboxed runs; null: each run makes its own.
  NetnsPool* netns = nullptr;
  // A uid per function; null: every function runs as ExecutorOptions::run_uid.
  RunUids* uids = nullptr;
};

class Executor {
 public:
  Executor(ExecutorOptions options, ExecutorDeps deps);

  // `cancelled` (may be empty) says whether the caller went away: a run it says so of is
  // stopped (outcome CANCELLED), and one still waiting for a slot never starts (CANCELLED
  // error, ErrorReason::kNotStarted).
  Result<internal::v1::InvokeResponse> Invoke(const internal::v1::InvokeRequest& request,
                                              const std::function<bool()>& cancelled = {});

  // Runs /bin/true once in a sandbox like every run's (ExecutorDeps::sandbox), as an
  // unprivileged user: OK, or the error of the step this host cannot do. OK without a sandbox.
  Status CheckSandbox();

  uint32_t running() const { return running_.load(); }
  uint32_t queued() const { return queued_.load(); }
  // Graceful stop: from now on Invoke refuses new runs (UNAVAILABLE, ErrorReason::kNotStarted,
  // so a caller tries another node); runs already accepted, waiting or running, go on.
  void StopAccepting();
  // Waits until no run is waiting or running, up to `timeout`; false if some still are.
  bool WaitIdle(std::chrono::milliseconds timeout);
  const ExecutorOptions& options() const { return options_; }
  RunSpawner& spawner() { return spawner_; }
  WarmPool& warm_pool() { return warm_; }
  // Returns once the cgroups of every finished run are removed (they go in the background).
  void DrainCgroups() { janitor_.Drain(); }

 private:
  // Waits for a run slot; returns the time waited.
  Result<std::chrono::nanoseconds> AcquireSlot();
  void ReleaseSlot();
  // The steps of Invoke, in order.
  Status CheckRequest(const internal::v1::InvokeRequest& request) const;
  Result<InstalledFunction> FindFunction(const internal::v1::InvokeRequest& request);
  // Who the run is and what isolates it: filled into the spec by BuildSpec.
  struct Isolation {
    spawn::SandboxRequest sandbox;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
  };
  Result<Isolation> IsolationFor(const internal::v1::InvokeRequest& request,
                                 const InstalledFunction& fn) const;
  // A network namespace for a run of `function` (from the pool, or made now without one).
  Result<int> TakeNetns(const std::string& function);
  v1::RunReport NewReport(const internal::v1::InvokeRequest& request, const InstalledFunction& fn,
                          const std::string& invocation_id, std::chrono::nanoseconds waited) const;
  Result<RunConfinement> Confine(const std::string& invocation_id,
                                 const v1::Allocation& allocation);
  ProcessSpec BuildSpec(const internal::v1::InvokeRequest& request, const InstalledFunction& fn,
                        const Isolation& isolation, const std::string& invocation_id,
                        RunConfinement& confinement) const;
  void Measure(const ProcessResult& pr, const ProcessSpec& spec, RunConfinement& confinement,
               v1::RunReport& report) const;
  // runtime = "lambda" (executor_lambda.cc): on a warm instance, or a new one.
  Result<internal::v1::InvokeResponse> InvokeLambda(const internal::v1::InvokeRequest& request,
                                                    const InstalledFunction& fn,
                                                    const Isolation& isolation,
                                                    std::chrono::nanoseconds waited,
                                                    const std::function<bool()>& cancelled);
  Result<std::unique_ptr<LambdaInstance>> StartInstance(const internal::v1::InvokeRequest& request,
                                                        const InstalledFunction& fn,
                                                        const Isolation& isolation,
                                                        v1::RunReport& report);
  std::vector<std::string> LambdaEnv(const internal::v1::InvokeRequest& request,
                                     const InstalledFunction& fn, const std::string& task_root,
                                     const std::string& instance_id) const;
  internal::v1::InvokeResponse Deliver(v1::RunReport report, std::string output,
                                       bool output_truncated, std::string stderr_tail);

  const ExecutorOptions options_;
  const ExecutorDeps deps_;
  RunSpawner spawner_;
  CgroupJanitor janitor_;
  WarmPool warm_;  // before the janitor goes: instances hand their cgroups to it
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_ticket_ = 0;
  uint64_t serving_ticket_ = 0;
  std::atomic<uint32_t> running_{0};
  std::atomic<uint32_t> queued_{0};
  std::atomic<bool> accepting_{true};
};

// A random 128-bit id in hex, for invocations that arrive without one.
std::string NewInvocationId();

}  // namespace tailor::agent
