#include "scheduler/scheduler_metrics.h"

#include <cmath>

namespace tailor::scheduler {

namespace {

const prometheus::Histogram::BucketBoundaries& DecisionBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5,
                                                                   5e-5, 1e-4, 1e-3, 1e-2, 0.1};
  return kBuckets;
}

const prometheus::Histogram::BucketBoundaries& ErrorBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.05, 0.1, 0.2, 0.5, 1, 2, 5};
  return kBuckets;
}

}  // namespace

SchedulerMetrics::SchedulerMetrics(prometheus::Registry& r,
                                   const std::vector<std::string>& policies)
    : decisions_(prometheus::BuildCounter()
                     .Name("tailor_scheduler_decisions_total")
                     .Help("Placement decisions by policy and outcome")
                     .Register(r)),
      decision_latency_(prometheus::BuildHistogram()
                            .Name("tailor_scheduler_decision_latency_seconds")
                            .Help("Time to decide one placement, by policy")
                            .Register(r)),
      explored_(prometheus::BuildCounter()
                    .Name("tailor_scheduler_explored_decisions_total")
                    .Help("Placements that explored (chose a class other than the predicted "
                          "best), by policy")
                    .Register(r)),
      prediction_error_(prometheus::BuildHistogram()
                            .Name("tailor_scheduler_prediction_error_ratio")
                            .Help("Relative error |measured / predicted - 1| of run duration "
                                  "against the decision's prediction, by policy")
                            .Register(r)),
      invocations_(prometheus::BuildCounter()
                       .Name("tailor_scheduler_invocations_total")
                       .Help("Invocations run through the gateway, by outcome")
                       .Register(r)),
      callback_tries_(prometheus::BuildCounter()
                          .Name("tailor_scheduler_callback_tries_total")
                          .Help("Completion callback delivery tries, by result")
                          .Register(r)),
      access_denied_(prometheus::BuildCounter()
                         .Name("tailor_scheduler_access_denied_total")
                         .Help("Calls refused: unauthenticated (no or bad credentials) or "
                               "permission_denied (no role for the action), by action")
                         .Register(r)),
      async_depth_(prometheus::BuildGauge()
                       .Name("tailor_scheduler_async_queue_depth")
                       .Help("Async invocations waiting (queued) or being run (running)")
                       .Register(r)),
      async_oldest_(prometheus::BuildGauge()
                        .Name("tailor_scheduler_async_queue_oldest_age_seconds")
                        .Help("Age of the oldest queued async invocation")
                        .Register(r)
                        .Add({})),
      ingestion_lag_(prometheus::BuildHistogram()
                         .Name("tailor_scheduler_report_ingestion_lag_seconds")
                         .Help("Time from a run's end to its report's arrival")
                         .Register(r)
                         .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.5, 1,
                                                                          5, 10, 60, 300, 3600})),
      reports_(prometheus::BuildCounter()
                   .Name("tailor_scheduler_reports_total")
                   .Help("Run reports stored (replays not counted)")
                   .Register(r)
                   .Add({})),
      reports_rejected_(prometheus::BuildCounter()
                            .Name("tailor_scheduler_reports_rejected_total")
                            .Help("Run reports refused as impossible or malformed")
                            .Register(r)
                            .Add({})),
      model_restore_failures_(prometheus::BuildCounter()
                                  .Name("tailor_scheduler_model_restore_failures_total")
                                  .Help("Saved model state that could not be restored at start "
                                        "(relearned from stored runs instead)")
                                  .Register(r)
                                  .Add({})),
      model_saves_(prometheus::BuildCounter()
                       .Name("tailor_scheduler_model_saves_total")
                       .Help("Saves of what the policies learned, by result (saved, failed)")
                       .Register(r)),
      model_save_seconds_(prometheus::BuildGauge()
                              .Name("tailor_scheduler_model_save_seconds")
                              .Help("How long the last save of the models took")
                              .Register(r)
                              .Add({})),
      model_state_bytes_(prometheus::BuildGauge()
                             .Name("tailor_scheduler_model_state_bytes")
                             .Help("Bytes of the policies' states in the last save")
                             .Register(r)
                             .Add({})),
      admission_waiting_(prometheus::BuildGauge()
                             .Name("tailor_scheduler_admission_waiting")
                             .Help("Invocations waiting for capacity now")
                             .Register(r)
                             .Add({})),
      admission_admitted_(prometheus::BuildCounter()
                              .Name("tailor_scheduler_admission_admitted_total")
                              .Help("Invocations placed after waiting for capacity")
                              .Register(r)
                              .Add({})),
      admission_refused_full_(prometheus::BuildCounter()
                                  .Name("tailor_scheduler_admission_refused_total")
                                  .Help("Invocations refused for lack of capacity, by reason")
                                  .Register(r)
                                  .Add({{"reason", "queue_full"}})),
      admission_refused_deadline_(prometheus::BuildCounter()
                                      .Name("tailor_scheduler_admission_refused_total")
                                      .Help("Invocations refused for lack of capacity, by reason")
                                      .Register(r)
                                      .Add({{"reason", "deadline"}})),
      nodes_(prometheus::BuildGauge()
                 .Name("tailor_scheduler_nodes")
                 .Help("Registered nodes by health")
                 .Register(r)),
      functions_(prometheus::BuildGauge()
                     .Name("tailor_scheduler_functions")
                     .Help("Deployed function versions that can be invoked")
                     .Register(r)
                     .Add({})) {
  for (const auto& policy : policies) {
    PolicySeries& ps = series_[policy];
    for (const char* outcome : {"placed", "no_capacity", "error"}) {
      ps.by_outcome[outcome] = &decisions_.Add({{"policy", policy}, {"outcome", outcome}});
    }
    ps.latency = &decision_latency_.Add({{"policy", policy}}, DecisionBuckets());
    ps.explored = &explored_.Add({{"policy", policy}});
    ps.prediction_error = &prediction_error_.Add({{"policy", policy}}, ErrorBuckets());
  }
  // Both results from the start, at 0: an alert on failed saves sees the series before the
  // first failure.
  for (const char* result : {"saved", "failed"}) model_saves_.Add({{"result", result}});
}

void SchedulerMetrics::RecordDecision(const std::string& policy, const std::string& outcome,
                                      double seconds, bool explored) {
  if (auto ps = series_.find(policy); ps != series_.end()) {
    if (auto c = ps->second.by_outcome.find(outcome); c != ps->second.by_outcome.end()) {
      c->second->Increment();
      ps->second.latency->Observe(seconds);
      if (explored) ps->second.explored->Increment();
      return;
    }
  }
  decisions_.Add({{"policy", policy}, {"outcome", outcome}}).Increment();
  decision_latency_.Add({{"policy", policy}}, DecisionBuckets()).Observe(seconds);
  if (explored) explored_.Add({{"policy", policy}}).Increment();
}

void SchedulerMetrics::RecordPrediction(const std::string& policy, double predicted_ms,
                                        double measured_ms) {
  if (predicted_ms <= 0) return;
  const double error = std::abs(measured_ms / predicted_ms - 1.0);
  if (auto ps = series_.find(policy); ps != series_.end()) {
    ps->second.prediction_error->Observe(error);
    return;
  }
  prediction_error_.Add({{"policy", policy}}, ErrorBuckets()).Observe(error);
}

void SchedulerMetrics::RecordInvocation(const std::string& outcome) {
  invocations_.Add({{"outcome", outcome}}).Increment();
}

void SchedulerMetrics::RecordCallback(const std::string& result) {
  callback_tries_.Add({{"result", result}}).Increment();
}

void SchedulerMetrics::RecordAccessDenied(std::string_view code, std::string_view action) {
  access_denied_.Add({{"code", std::string(code)}, {"action", std::string(action)}}).Increment();
}

void SchedulerMetrics::RecordReport(double lag_seconds) {
  reports_.Increment();
  ingestion_lag_.Observe(lag_seconds < 0 ? 0 : lag_seconds);
}

void SchedulerMetrics::RecordRejectedReport() { reports_rejected_.Increment(); }

void SchedulerMetrics::RecordModelRestoreFailures(int count) {
  if (count > 0) model_restore_failures_.Increment(count);
}

void SchedulerMetrics::RecordModelSave(bool saved, double seconds, size_t bytes) {
  model_saves_.Add({{"result", saved ? "saved" : "failed"}}).Increment();
  model_save_seconds_.Set(seconds);
  model_state_bytes_.Set(static_cast<double>(bytes));
}

void SchedulerMetrics::SetAsyncQueue(int64_t queued, int64_t running, double oldest_age_seconds) {
  async_depth_.Add({{"state", "queued"}}).Set(static_cast<double>(queued));
  async_depth_.Add({{"state", "running"}}).Set(static_cast<double>(running));
  async_oldest_.Set(oldest_age_seconds);
}

void SchedulerMetrics::SetNodes(size_t healthy, size_t unhealthy) {
  nodes_.Add({{"health", "healthy"}}).Set(static_cast<double>(healthy));
  nodes_.Add({{"health", "unhealthy"}}).Set(static_cast<double>(unhealthy));
}

void SchedulerMetrics::SetAdmission(size_t waiting, uint64_t admitted, uint64_t refused_queue_full,
                                    uint64_t refused_deadline) {
  admission_waiting_.Set(static_cast<double>(waiting));
  // Counters only go up: advance each by what the running total gained since the last call.
  auto advance = [](prometheus::Counter& c, uint64_t total) {
    const double gained = static_cast<double>(total) - c.Value();
    if (gained > 0) c.Increment(gained);
  };
  advance(admission_admitted_, admitted);
  advance(admission_refused_full_, refused_queue_full);
  advance(admission_refused_deadline_, refused_deadline);
}

void SchedulerMetrics::SetFunctions(size_t deployed) {
  functions_.Set(static_cast<double>(deployed));
}

}  // namespace tailor::scheduler
