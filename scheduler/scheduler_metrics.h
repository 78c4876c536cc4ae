// SchedulerMetrics: every Prometheus metric the scheduler serves, declared in one place.
//
//   tailor_scheduler_decisions_total{policy,outcome}          counter (placed, no_capacity, error)
//   tailor_scheduler_decision_latency_seconds{policy}         histogram
//   tailor_scheduler_invocations_total{outcome}               counter (gateway invocations, by
//                                                             RunOutcomeName: succeeded,
//                                                             function_error, timed_out, ...,
//                                                             not_run)
//   tailor_scheduler_async_queue_depth{state}                 gauge (queued, running)
//   tailor_scheduler_async_queue_oldest_age_seconds           gauge
//   tailor_scheduler_report_ingestion_lag_seconds             histogram (run end to arrival)
//   tailor_scheduler_reports_total                            counter (new reports stored)
//   tailor_scheduler_reports_rejected_total                   counter (refused run reports)
//   tailor_scheduler_model_restore_failures_total             counter (saved model state that
//                                                             could not be restored at start)
//   tailor_scheduler_model_saves_total{result}                counter (saved, failed)
//   tailor_scheduler_model_save_seconds                       gauge (the last save: the policies
//                                                             written in parts, then models.db)
//   tailor_scheduler_model_state_bytes                        gauge (the last save's states)
//   tailor_scheduler_admission_waiting                        gauge (calls waiting for capacity)
//   tailor_scheduler_admission_admitted_total                 counter (placed after waiting)
//   tailor_scheduler_admission_refused_total{reason}          counter (queue_full, deadline)
//   tailor_scheduler_callback_tries_total{result}             counter (delivered, retry, failed)
//   tailor_scheduler_access_denied_total{code,action}         counter (authorizer.h)
//   tailor_scheduler_nodes{health}                            gauge
//   tailor_scheduler_functions                                gauge (deployed, not removed)
//
// Thread-safety: prometheus-cpp metrics are thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace tailor::scheduler {

class SchedulerMetrics {
 public:
  // `policies`: the policy names, whose series are made up front so recording a decision is a
  // lookup, not a label-set search (decisions are the scheduler's hottest path).
  SchedulerMetrics(prometheus::Registry& registry, const std::vector<std::string>& policies);

  void RecordDecision(const std::string& policy, const std::string& outcome, double seconds,
                      bool explored = false);
  // |measured / predicted - 1| of a run's duration against its decision's prediction.
  void RecordPrediction(const std::string& policy, double predicted_ms, double measured_ms);
  void RecordInvocation(const std::string& outcome);
  void RecordCallback(const std::string& result);
  // A refused call: code "unauthenticated" or "permission_denied", action (authorizer.h).
  void RecordAccessDenied(std::string_view code, std::string_view action);
  void RecordReport(double lag_seconds);
  void RecordRejectedReport();
  void RecordModelRestoreFailures(int count);
  // A save of what the policies learned (SchedulerServer::SaveModels): whether it was written,
  // how long it took, and how many bytes the states had.
  void RecordModelSave(bool saved, double seconds, size_t bytes);
  void SetAsyncQueue(int64_t queued, int64_t running, double oldest_age_seconds);
  void SetNodes(size_t healthy, size_t unhealthy);
  // From Admission's running totals (the counters advance by what changed since last time).
  void SetAdmission(size_t waiting, uint64_t admitted, uint64_t refused_queue_full,
                    uint64_t refused_deadline);
  void SetFunctions(size_t deployed);

 private:
  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Family<prometheus::Histogram>& decision_latency_;
  prometheus::Family<prometheus::Counter>& explored_;
  prometheus::Family<prometheus::Histogram>& prediction_error_;
  prometheus::Family<prometheus::Counter>& invocations_;
  prometheus::Family<prometheus::Counter>& callback_tries_;
  prometheus::Family<prometheus::Counter>& access_denied_;
  prometheus::Family<prometheus::Gauge>& async_depth_;
  prometheus::Gauge& async_oldest_;
  prometheus::Histogram& ingestion_lag_;
  prometheus::Counter& reports_;
  prometheus::Counter& reports_rejected_;
  prometheus::Counter& model_restore_failures_;
  prometheus::Family<prometheus::Counter>& model_saves_;
  prometheus::Gauge& model_save_seconds_;
  prometheus::Gauge& model_state_bytes_;
  prometheus::Gauge& admission_waiting_;
  prometheus::Counter& admission_admitted_;
  prometheus::Counter& admission_refused_full_;
  prometheus::Counter& admission_refused_deadline_;
  prometheus::Family<prometheus::Gauge>& nodes_;
  prometheus::Gauge& functions_;
  struct PolicySeries {
    std::unordered_map<std::string, prometheus::Counter*> by_outcome;
    prometheus::Histogram* latency = nullptr;
    prometheus::Counter* explored = nullptr;
    prometheus::Histogram* prediction_error = nullptr;
  };
  std::unordered_map<std::string, PolicySeries> series_;  // read-only after construction
};

}  // namespace tailor::scheduler
