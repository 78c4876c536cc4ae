#include "agent/agent_metrics.h"

#include "proto/run_outcome_name.h"

namespace tailor::agent {
namespace {
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}  // namespace

AgentMetrics::AgentMetrics(prometheus::Registry& r)
    : invocations_(prometheus::BuildCounter()
                       .Name("tailor_agent_invocations_total")
                       .Help("Function runs finished on this agent, by function and outcome")
                       .Register(r)),
      duration_(prometheus::BuildHistogram()
                    .Name("tailor_agent_run_duration_seconds")
                    .Help("Wall-clock time of function runs, exec to exit")
                    .Register(r)),
      cpu_seconds_(prometheus::BuildCounter()
                       .Name("tailor_agent_run_cpu_seconds_total")
                       .Help("User plus system CPU time consumed by function runs")
                       .Register(r)),
      peak_memory_(prometheus::BuildGauge()
                       .Name("tailor_agent_run_peak_memory_bytes")
                       .Help("Peak resident memory of the most recent run of each function")
                       .Register(r)),
      queue_wait_(prometheus::BuildHistogram()
                      .Name("tailor_agent_queue_wait_seconds")
                      .Help("Time runs waited for a run slot on this agent")
                      .Register(r)
                      .Add({}, kDurationBuckets)),
      running_(prometheus::BuildGauge()
                   .Name("tailor_agent_running_invocations")
                   .Help("Function runs executing now")
                   .Register(r)
                   .Add({})),
      queued_(prometheus::BuildGauge()
                  .Name("tailor_agent_queued_invocations")
                  .Help("Function runs waiting for a run slot")
                  .Register(r)
                  .Add({})),
      spool_depth_(prometheus::BuildGauge()
                       .Name("tailor_agent_spool_reports")
                       .Help("Run reports spooled and not yet acknowledged by the scheduler")
                       .Register(r)
                       .Add({})),
      spool_dropped_(prometheus::BuildCounter()
                         .Name("tailor_agent_spool_dropped_reports_total")
                         .Help("Run reports dropped because the spool was full")
                         .Register(r)
                         .Add({})),
      reports_rejected_(prometheus::BuildCounter()
                            .Name("tailor_agent_reports_rejected_total")
                            .Help("Run reports the scheduler refused as malformed or impossible "
                                  "(dropped from the spool, logged)")
                            .Register(r)
                            .Add({})),
      access_denied_(prometheus::BuildCounter()
                         .Name("tailor_agent_access_denied_total")
                         .Help("Calls to the agent API refused, by code (only the scheduler may "
                               "call it)")
                         .Register(r)),
      sources_(prometheus::BuildGauge()
                   .Name("tailor_agent_telemetry_source_available")
                   .Help("1 if this host provides the telemetry source, else 0")
                   .Register(r)),
      isolation_(prometheus::BuildGauge()
                     .Name("tailor_agent_isolation")
                     .Help("1 if runs here are isolated by this kind (pid, mount, ipc, uts, "
                           "network, seccomp), 0 if the operator turned it off")
                     .Register(r)),
      lambda_starts_(prometheus::BuildCounter()
                         .Name("tailor_agent_lambda_starts_total")
                         .Help("Invocations of Lambda functions by how they started: cold (a new "
                               "instance) or warm (an idle one reused)")
                         .Register(r)),
      lambda_init_(prometheus::BuildHistogram()
                       .Name("tailor_agent_lambda_init_seconds")
                       .Help("Init time of Lambda instances started cold (start to first /next)")
                       .Register(r)),
      warm_idle_(prometheus::BuildGauge()
                     .Name("tailor_agent_warm_idle_instances")
                     .Help("Idle warm Lambda instances kept on this agent")
                     .Register(r)
                     .Add({})),
      warm_idle_memory_(prometheus::BuildGauge()
                            .Name("tailor_agent_warm_idle_memory_bytes")
                            .Help("Memory limits of the idle warm instances, summed")
                            .Register(r)
                            .Add({})),
      warm_retired_(prometheus::BuildCounter()
                        .Name("tailor_agent_warm_retired_total")
                        .Help("Idle warm instances retired, by why: keep_alive (idle past its "
                              "window) or budget (over the warm memory budget)")
                        .Register(r)) {}

void AgentMetrics::SetWarmPool(uint32_t idle_instances, uint64_t idle_memory_bytes,
                               uint64_t retired_expired, uint64_t retired_budget) {
  warm_idle_.Set(idle_instances);
  warm_idle_memory_.Set(static_cast<double>(idle_memory_bytes));
  std::lock_guard lock(spool_mu_);
  warm_retired_.Add({{"why", "keep_alive"}})
      .Increment(double(retired_expired) - retired_expired_seen_);
  warm_retired_.Add({{"why", "budget"}}).Increment(double(retired_budget) - retired_budget_seen_);
  retired_expired_seen_ = double(retired_expired);
  retired_budget_seen_ = double(retired_budget);
}

void AgentMetrics::RecordRun(const v1::RunReport& report) {
  const std::string& fn = report.function_name();
  invocations_.Add({{"function", fn}, {"outcome", RunOutcomeName(report.outcome())}}).Increment();
  duration_.Add({{"function", fn}}, kDurationBuckets).Observe(report.wall_time_us() / 1e6);
  cpu_seconds_.Add({{"function", fn}})
      .Increment((report.user_cpu_us() + report.system_cpu_us()) / 1e6);
  peak_memory_.Add({{"function", fn}}).Set(static_cast<double>(report.peak_memory_bytes()));
  queue_wait_.Observe(report.queue_wait_us() / 1e6);
  if (report.start_kind() == v1::START_KIND_COLD || report.start_kind() == v1::START_KIND_WARM) {
    const bool cold = report.start_kind() == v1::START_KIND_COLD;
    lambda_starts_.Add({{"function", fn}, {"kind", cold ? "cold" : "warm"}}).Increment();
    if (cold && report.init_duration_us() > 0) {
      lambda_init_.Add({{"function", fn}}, kDurationBuckets)
          .Observe(report.init_duration_us() / 1e6);
    }
  }
}

void AgentMetrics::SetLoad(uint32_t running, uint32_t queued) {
  running_.Set(running);
  queued_.Set(queued);
}

void AgentMetrics::RecordRejectedReports(uint64_t count) {
  reports_rejected_.Increment(static_cast<double>(count));
}

void AgentMetrics::RecordAccessDenied(std::string_view code) {
  access_denied_.Add({{"code", std::string(code)}}).Increment();
}

void AgentMetrics::SetSpool(uint64_t depth, uint64_t dropped_total) {
  std::lock_guard lock(spool_mu_);
  spool_depth_.Set(static_cast<double>(depth));
  const double dropped = static_cast<double>(dropped_total);
  if (dropped > spool_dropped_seen_) {
    spool_dropped_.Increment(dropped - spool_dropped_seen_);
    spool_dropped_seen_ = dropped;
  }
}

void AgentMetrics::SetIsolation(const std::string& kind, bool on) {
  isolation_.Add({{"kind", kind}}).Set(on ? 1 : 0);
}

void AgentMetrics::SetSourceAvailable(const std::string& source, bool available) {
  sources_.Add({{"source", source}}).Set(available ? 1 : 0);
}

}  // namespace tailor::agent
