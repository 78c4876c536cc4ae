#include "scheduler/scheduler_server.h"

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "common/file_util.h"
#include "common/logging.h"
#include "models/policy_table.h"
#include "proto/validation.h"
#include "scheduler/database_guard.h"
#include "scheduler/schema.h"

namespace tailor::scheduler {

Result<std::unique_ptr<SchedulerServer>> SchedulerServer::Start(const SchedulerOptions& options,
                                                                const Clock& clock) {
  std::unique_ptr<SchedulerServer> s(new SchedulerServer());
  s->options_ = options;
  TAILOR_RETURN_IF_ERROR(MakeDirectories(options.data_dir));
  const std::string db_path = JoinPath(options.data_dir, "scheduler.db");
  TAILOR_ASSIGN_OR_RETURN(s->db_, OpenSchedulerDatabase(db_path, options.init_database));
  TAILOR_ASSIGN_OR_RETURN(s->runs_db_, SqliteDb::Open(db_path));
  TAILOR_RETURN_IF_ERROR(s->StartAccess(db_path, clock));

  s->node_store_ = std::make_unique<NodeStore>(*s->db_);
  s->registry_ = std::make_unique<NodeRegistry>(options.registry, clock, s->node_store_.get());
  TAILOR_RETURN_IF_ERROR_CTX(s->registry_->LoadFromStore(), "restoring node registry");
  s->run_store_ = std::make_unique<RunStore>(*s->runs_db_, clock, options.runs);
  TAILOR_ASSIGN_OR_RETURN(
      s->functions_, FunctionRegistry::Open(db_path, options.data_dir, options.functions, clock));
  TAILOR_ASSIGN_OR_RETURN(s->async_queue_, AsyncQueue::Open(db_path, clock, options.async_queue));
  Placer::Options placer_options = options.placer;
  TAILOR_ASSIGN_OR_RETURN(placer_options.decision_key, DecisionIds::LoadOrCreateKey(*s->db_));
  TAILOR_ASSIGN_OR_RETURN(s->placer_,
                          Placer::Create(placer_options, *s->registry_, *s->functions_, clock));
  s->admission_ = std::make_unique<Admission>(options.admission);
  s->placer_->SetCapacityHook([admission = s->admission_.get()] { admission->CapacityFreed(); });
  s->membership_ =
      std::make_unique<MembershipServiceImpl>(*s->authorizer_, *s->registry_, *s->placer_);
  s->intake_ = std::make_unique<RunIntake>(*s->run_store_, *s->registry_, *s->placer_, clock);
  s->clock_ = &clock;
  TAILOR_ASSIGN_OR_RETURN(
      s->model_states_,
      ModelStateStore::Open(JoinPath(options.data_dir, "models.db"), db_path, clock));
  // Never fails the start: whatever cannot be restored is relearned from the stored runs.
  const int restore_failures = s->RestoreModels();
  s->last_model_save_ = clock.MonotonicNow();
  s->agents_ = std::make_unique<AgentConnections>(s->security_);
  s->tenant_limits_ = std::make_unique<TenantLimits>(options.tenants);
  s->gateway_ = std::make_unique<Gateway>(options.gateway, *s->placer_, *s->admission_, *s->agents_,
                                          *s->tenant_limits_);

  // Metrics, wired through hooks so the core classes know nothing of Prometheus.
  s->metrics_registry_ = std::make_shared<prometheus::Registry>();
  s->metrics_ = std::make_unique<SchedulerMetrics>(*s->metrics_registry_, models::PolicyNames());
  SchedulerMetrics* metrics = s->metrics_.get();
  metrics->RecordModelRestoreFailures(restore_failures);
  s->authorizer_->SetDenialHook([metrics](std::string_view code, Action action) {
    metrics->RecordAccessDenied(code, ActionName(action));
  });
  s->placer_->SetDecisionHook(
      [metrics](const std::string& policy, const std::string& outcome, double seconds,
                bool explored) { metrics->RecordDecision(policy, outcome, seconds, explored); });
  s->placer_->SetPredictionHook(
      [metrics](const std::string& policy, double predicted_ms, double measured_ms) {
        metrics->RecordPrediction(policy, predicted_ms, measured_ms);
      });
  s->gateway_->SetOutcomeHook([metrics](const std::string& o) { metrics->RecordInvocation(o); });
  s->intake_->SetLagHook(
      [metrics](double lag, const v1::RunReport&) { metrics->RecordReport(lag); });
  s->intake_->SetRejectHook([metrics](const Status& why) {
    metrics->RecordRejectedReport();
    log::Warn("run report rejected", {{"error", why}});
  });
  if (!options.metrics_listen.empty()) {
    try {
      s->exposer_ = std::make_unique<prometheus::Exposer>(options.metrics_listen);
    } catch (const std::exception& e) {
      return UnavailableError("cannot serve metrics on " + options.metrics_listen + ": " +
                              e.what());
    }
    s->exposer_->RegisterCollectable(s->metrics_registry_);
    s->metrics_address_ = HostOfAddress(options.metrics_listen) + ":" +
                          std::to_string(s->exposer_->GetListeningPorts().at(0));
  }

  // Invocations left running by a crash: told from their run report where it is stored, run
  // again only what was never sent or may run twice, and otherwise waited for.
  FunctionRegistry* functions = s->functions_.get();
  TAILOR_ASSIGN_OR_RETURN(auto recovered,
                          s->async_queue_->Recover([functions](const std::string& f) {
                            auto fn = functions->Resolve(f, "");
                            return fn.ok() && fn->idempotent();
                          }));
  if (recovered.requeued + recovered.finished + recovered.awaiting > 0) {
    log::Info("async invocations recovered after a restart",
              {{"requeued", recovered.requeued},
               {"finished_from_reports", recovered.finished},
               {"awaiting_reports", recovered.awaiting}});
  }

  s->ingest_ = std::make_unique<RunIngestServiceImpl>(*s->authorizer_, *s->intake_, *s->registry_);
  TAILOR_ASSIGN_OR_RETURN(s->schedules_, Schedules::Open(db_path, clock));
  s->registry_service_ =
      std::make_unique<RegistryServiceImpl>(*s->authorizer_, *s->functions_, s->schedules_.get());
  s->placement_service_ = std::make_unique<PlacementServiceImpl>(
      *s->authorizer_, *s->placer_, *s->intake_, *s->functions_, options.admission.retry_after);
  s->dispatcher_ =
      std::make_unique<AsyncDispatcher>(options.dispatcher, *s->async_queue_, *s->gateway_, clock);
  AsyncDispatcher* dispatcher = s->dispatcher_.get();
  s->callback_sender_ = std::make_unique<CallbackSender>(
      options.callbacks, *s->async_queue_,
      [functions](const std::string& f) { return functions->CallbackSecret(f); }, clock);
  s->callback_sender_->SetTryHook([metrics](const std::string& r) { metrics->RecordCallback(r); });
  s->callback_sender_->Start();
  s->gateway_service_ = std::make_unique<GatewayServiceImpl>(
      options.gateway_service, *s->authorizer_, *s->gateway_, *s->async_queue_, *s->functions_,
      *s->run_store_, *s->placer_, [dispatcher] { dispatcher->Wake(); });
  TAILOR_ASSIGN_OR_RETURN(
      s->grpc_,
      GrpcServer::Start(
          options.listen_address,
          {s->access_service_.get(), s->membership_.get(), s->ingest_.get(),
           s->registry_service_.get(), s->placement_service_.get(), s->gateway_service_.get()},
          MakeServerCredentials(s->security_, ClientCertificates::kVerifyIfSent)));
  if (options.kube_extender) {
    if (options.http_listen.empty()) {
      return InvalidArgumentError(
          "the Kubernetes extender needs the HTTP endpoint (--http-listen)");
    }
    if (!options.extender.policy.empty()) {
      // Refused at start, not in every filter's Error.
      auto policy = models::MakePolicy(options.extender.policy, options.placer.policy_settings);
      if (!policy.ok()) return policy.status().WithField("--kube-extender-policy");
    }
    s->extender_ = std::make_unique<KubeExtender>(*s->placer_, options.extender);
  }
  if (!options.http_listen.empty()) {
    TAILOR_ASSIGN_OR_RETURN(
        s->webhook_,
        WebhookServer::Start(options.http_listen, *s->gateway_service_,
                             options.gateway_service.max_payload_bytes, s->extender_.get()));
  }
  s->RefreshMetrics();
  s->background_ = std::thread([raw = s.get()] { raw->BackgroundLoop(); });
  log::Info("scheduler serving", {{"address", s->grpc_->address()},
                                  {"metrics", s->metrics_address_},
                                  {"http", s->http_address()},
                                  {"tls", !s->security_.insecure},
                                  {"data_dir", options.data_dir}});
  return s;
}

SchedulerServer::~SchedulerServer() { Stop(); }

Status SchedulerServer::StartAccess(const std::string& db_path, const Clock& clock) {
  TAILOR_ASSIGN_OR_RETURN(security_, LoadSchedulerSecurity(options_.security, options_.data_dir));
  TAILOR_ASSIGN_OR_RETURN(tokens_, AccessTokens::Open(db_path, clock));
  if (!security_.insecure) {
    TAILOR_ASSIGN_OR_RETURN(admin_token_path_, BootstrapAdminToken(*tokens_, options_.data_dir));
  }
  authorizer_ = std::make_unique<Authorizer>(Authorizer::Options{.insecure = security_.insecure},
                                             tokens_.get());
  access_service_ = std::make_unique<AccessServiceImpl>(
      *authorizer_, security_.insecure ? nullptr : tokens_.get());
  return OkStatus();
}

int SchedulerServer::RestoreModels() {
  int failures = 0;
  auto saved = model_states_->Load();
  if (!saved.ok()) {
    log::Error("cannot read the saved model state; relearning from stored runs",
               {{"error", saved.status()}});
    ++failures;
    saved = std::map<std::string, ModelStateStore::Saved>();
  }
  int64_t replay_after = 0;
  bool all_restored = !saved->empty();
  for (const auto& policy : models::PolicyNames()) {
    // A policy that keeps no state accepts an empty one; a learning policy does not.
    auto it = saved->find(policy);
    Status s = placer_->RestoreState(policy, it == saved->end() ? "" : it->second.state);
    if (!s.ok()) {
      // Nothing saved (a new data directory, or a policy added since) is not worth a warning.
      if (it != saved->end()) {
        log::Warn("model state not restored; relearning from stored runs",
                  {{"policy", policy}, {"error", s}});
        ++failures;
      }
      all_restored = false;
      continue;
    }
    if (it == saved->end()) continue;
    replay_after =
        replay_after == 0 ? it->second.runs_rowid : std::min(replay_after, it->second.runs_rowid);
  }
  if (!all_restored) replay_after = 0;
  auto runs = run_store_->Recent(options_.replay_runs_on_start, replay_after);
  if (!runs.ok()) {
    log::Error("cannot read stored runs; the models start from what was restored",
               {{"error", runs.status()}});
    return failures + 1;
  }
  size_t skipped = 0;
  for (const auto& run : *runs) {
    // Runs stored before reports were checked may hold what no run can have.
    if (!ValidateRunReport(run.report).ok()) {
      ++skipped;
      continue;
    }
    placer_->Learn(run.report, run.host_class);
  }
  log::Info("models restored", {{"from_saved_state", all_restored},
                                {"replayed_runs", runs->size() - skipped},
                                {"skipped_invalid_runs", skipped}});
  return failures;
}

void SchedulerServer::SaveModels() {
  const MonotonicTime start = clock_->MonotonicNow();
  // The runs learned while the states are taken wait aside, so the states hold exactly the
  // runs up to `rowid` and a restart replays each later one once.
  auto rowid = intake_->BeginModelSave();
  size_t bytes = 0;
  Status s = rowid.status();
  if (s.ok()) {
    const std::map<std::string, std::string> states = placer_->SaveStates();
    intake_->EndModelSave();
    for (const auto& [policy, state] : states) bytes += state.size();
    s = model_states_->Save(states, *rowid);
  }
  if (!s.ok()) log::Error("cannot save model state", {{"error", s}});
  if (metrics_) {
    metrics_->RecordModelSave(
        s.ok(), std::chrono::duration<double>(clock_->MonotonicNow() - start).count(), bytes);
  }
}

void SchedulerServer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (background_.joinable()) background_.join();
  if (webhook_) webhook_->Stop();
  if (dispatcher_) dispatcher_->Stop();
  if (callback_sender_) callback_sender_->Stop();
  if (grpc_) grpc_->Shutdown();
  if (registry_) registry_->Sweep();  // flush heartbeat times
  if (model_states_) SaveModels();
}

void SchedulerServer::RefreshMetrics() {
  metrics_->SetNodes(registry_->CountByHealth(v1::NODE_HEALTH_HEALTHY),
                     registry_->CountByHealth(v1::NODE_HEALTH_UNHEALTHY));
  metrics_->SetFunctions(functions_->List(false).size());
  if (auto stats = async_queue_->GetStats(); stats.ok()) {
    metrics_->SetAsyncQueue(stats->queued, stats->running, stats->oldest_queued_age_seconds);
  }
  const Admission::Stats admission = admission_->GetStats();
  metrics_->SetAdmission(admission.waiting, admission.admitted_after_wait,
                         admission.refused_queue_full, admission.refused_deadline);
}

void SchedulerServer::FireSchedules() {
  auto fired = schedules_->FireDue(*async_queue_);
  if (!fired.ok()) {
    log::Error("cannot fire schedules", {{"error", fired.status()}});
    return;
  }
  if (fired->queued > 0) dispatcher_->Wake();
  if (fired->skipped_periods > 0) {
    log::Warn("schedule periods missed while the scheduler was down were not made up",
              {{"periods", fired->skipped_periods}});
  }
}

void SchedulerServer::BackgroundLoop() {
  // Sweep a few times per lease so a silent node turns unhealthy soon after its timeout.
  auto period = std::max(std::chrono::milliseconds(20), options_.registry.lease_timeout / 4);
  period = std::min(period, std::chrono::milliseconds(1000));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    for (const std::string& node : registry_->Sweep().became_unhealthy) {
      if (const int abandoned = gateway_->AbandonCallsTo(node); abandoned > 0) {
        log::Warn("abandoned calls to a node whose lease expired",
                  {{"node", node}, {"calls", abandoned}});
      }
    }
    placer_->Sweep();
    if (auto settled = async_queue_->Reconcile(); !settled.ok()) {
      log::Error("cannot reconcile async invocations", {{"error", settled.status()}});
    } else if (*settled > 0) {
      log::Info("async invocations reconciled after a restart", {{"count", *settled}});
    }
    FireSchedules();
    RefreshMetrics();
    if (clock_->MonotonicNow() - last_model_save_ >= options_.model_save_interval) {
      SaveModels();
      last_model_save_ = clock_->MonotonicNow();
    }
    lock.lock();
  }
}

}  // namespace tailor::scheduler
