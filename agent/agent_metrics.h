// AgentMetrics: every Prometheus metric the agent serves, declared in one place.
//
//   tailor_agent_invocations_total{function,outcome}        counter (outcome: RunOutcomeName)
//   tailor_agent_run_duration_seconds{function}             histogram (wall time)
//   tailor_agent_run_cpu_seconds_total{function}            counter (user + system)
//   tailor_agent_run_peak_memory_bytes{function}            gauge (last run)
//   tailor_agent_queue_wait_seconds                         histogram
//   tailor_agent_running_invocations / _queued_invocations  gauges
//   tailor_agent_spool_reports                              gauge (waiting for upload)
//   tailor_agent_spool_dropped_reports_total                counter
//   tailor_agent_reports_rejected_total                     counter (refused by the scheduler)
//   tailor_agent_access_denied_total{code}                  counter (agent_access.h)
//   tailor_agent_telemetry_source_available{source}         gauge 0/1
//   tailor_agent_lambda_starts_total{function,kind}         counter (kind: cold, warm)
//   tailor_agent_lambda_init_seconds{function}              histogram (cold starts' init)
//   tailor_agent_warm_idle_instances / _warm_idle_memory_bytes  gauges
//   tailor_agent_warm_retired_total{why}                    counter (why: keep_alive, budget)
//
// Thread-safety: prometheus-cpp metrics are thread-safe; RecordRun may be called concurrently.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <mutex>
#include <string>

#include "tailor/v1/run_report.pb.h"

namespace tailor::agent {

class AgentMetrics {
 public:
  explicit AgentMetrics(prometheus::Registry& registry);

  void RecordRun(const v1::RunReport& report);
  void SetLoad(uint32_t running, uint32_t queued);
  void SetWarmPool(uint32_t idle_instances, uint64_t idle_memory_bytes, uint64_t retired_expired,
                   uint64_t retired_budget);
  // Safe to call from any thread (runs finish and uploads complete on different threads).
  void SetSpool(uint64_t depth, uint64_t dropped_total);
  void RecordRejectedReports(uint64_t count);
  // A refused call: "unauthenticated" or "permission_denied".
  void RecordAccessDenied(std::string_view code);
  void SetSourceAvailable(const std::string& source, bool available);
  // Whether runs are isolated by `kind` (agent/runtime/sandbox.h names the kinds).
  void SetIsolation(const std::string& kind, bool on);

 private:
  prometheus::Family<prometheus::Counter>& invocations_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& cpu_seconds_;
  prometheus::Family<prometheus::Gauge>& peak_memory_;
  prometheus::Histogram& queue_wait_;
  prometheus::Gauge& running_;
  prometheus::Gauge& queued_;
  prometheus::Gauge& spool_depth_;
  prometheus::Counter& spool_dropped_;
  prometheus::Counter& reports_rejected_;
  prometheus::Family<prometheus::Counter>& access_denied_;
  std::mutex spool_mu_;
  double spool_dropped_seen_ = 0;  // guarded by spool_mu_
  prometheus::Family<prometheus::Gauge>& sources_;
  prometheus::Family<prometheus::Gauge>& isolation_;
  prometheus::Family<prometheus::Counter>& lambda_starts_;
  prometheus::Family<prometheus::Histogram>& lambda_init_;
  prometheus::Gauge& warm_idle_;
  prometheus::Gauge& warm_idle_memory_;
  prometheus::Family<prometheus::Counter>& warm_retired_;
  double retired_expired_seen_ = 0;  // guarded by spool_mu_
  double retired_budget_seen_ = 0;   // guarded by spool_mu_
};

}  // namespace tailor::agent
