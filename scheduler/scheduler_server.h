// SchedulerServer: one running scheduler. Opens (and migrates) the database in the data
// directory, restores the node registry, the function registry and the async queue, serves
// the gRPC services (Access, Membership, RunIngest, Registry, Placement, Gateway) over mutual
// TLS unless insecure (cluster_bootstrap.h, authorizer.h), the Prometheus
// metrics endpoint and the HTTP webhook endpoint, and runs the background work (lease sweeps,
// reservation expiry, metrics refresh, the async dispatcher). main() and the integration tests
// both start it through this class.
//
// Each store has its own SQLite connection to the one database file (WAL): a transaction in
// one store never captures another store's writes.
//
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/sqlite_db.h"
#include "common/status.h"
#include "proto/grpc_server.h"
#include "scheduler/access_service.h"
#include "scheduler/access_tokens.h"
#include "scheduler/agent_connections.h"
#include "scheduler/async_dispatcher.h"
#include "scheduler/async_queue.h"
#include "scheduler/authorizer.h"
#include "scheduler/callback_sender.h"
#include "scheduler/cluster_bootstrap.h"
#include "scheduler/function_registry.h"
#include "scheduler/gateway.h"
#include "scheduler/gateway_service.h"
#include "scheduler/kube_extender.h"
#include "scheduler/membership_service.h"
#include "scheduler/model_state_store.h"
#include "scheduler/node_registry.h"
#include "scheduler/node_store.h"
#include "scheduler/placement_service.h"
#include "scheduler/placer.h"
#include "scheduler/registry_service.h"
#include "scheduler/run_ingest_service.h"
#include "scheduler/run_intake.h"
#include "scheduler/run_store.h"
#include "scheduler/scheduler_metrics.h"
#include "scheduler/schedules.h"
#include "scheduler/tenant_limits.h"
#include "scheduler/webhook_server.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace tailor::scheduler {

struct SchedulerOptions {
  std::string listen_address = "127.0.0.1:7400";
  std::string data_dir = "tailor-data";
  std::string metrics_listen = "127.0.0.1:0";  // empty: no metrics endpoint
  std::string http_listen = "127.0.0.1:0";     // webhooks; empty: none
  // Serve the Kubernetes scheduler extender verbs on the HTTP endpoint (kube_extender.h).
  bool kube_extender = false;
  KubeExtender::Options extender;
  // Start a new cluster in an empty scheduler.db (database_guard.h); otherwise refused.
  bool init_database = false;
  SecurityOptions security;
  TenantLimits::Options tenants;
  NodeRegistry::Options registry;
  FunctionRegistry::Options functions;
  Placer::Options placer;
  Gateway::Options gateway;
  Admission::Options admission;
  AsyncDispatcher::Options dispatcher;
  AsyncQueue::Options async_queue;
  CallbackSender::Options callbacks;
  GatewayServiceImpl::Options gateway_service;
  RunStore::Options runs;
  // Newest stored runs replayed into the models at start, so a restart forgets nothing it
  // learned from them (the raw runs are the models' persistent state).
  size_t replay_runs_on_start = 200'000;
  // How often what the models learned is saved (also at shutdown).
  std::chrono::milliseconds model_save_interval{60'000};
};

class SchedulerServer {
 public:
  static Result<std::unique_ptr<SchedulerServer>> Start(const SchedulerOptions& options,
                                                        const Clock& clock);
  ~SchedulerServer();

  const std::string& address() const { return grpc_->address(); }
  const std::string& metrics_address() const { return metrics_address_; }
  std::string http_address() const { return webhook_ ? webhook_->address() : ""; }
  // Where the first admin token was written at this start ("" when none was made).
  const std::string& admin_token_path() const { return admin_token_path_; }
  // The CA certificate clients verify this scheduler with (empty when insecure).
  const std::string& ca_cert_pem() const { return security_.tls.ca_cert_pem; }
  NodeRegistry& registry() { return *registry_; }
  RunStore& runs() { return *run_store_; }
  Placer& placer() { return *placer_; }
  void Stop();

 private:
  SchedulerServer() = default;
  // Credentials, tokens and the authorizer (cluster_bootstrap.h).
  Status StartAccess(const std::string& db_path, const Clock& clock);
  void BackgroundLoop();
  // Queues the invocations of the schedules whose period has come (schedules.h).
  void FireSchedules();
  void RefreshMetrics();
  void SaveModels();
  // Restores saved model state and replays the runs stored since (or the newest runs when a
  // state is missing or refused). Never fails: returns how many parts could not be restored
  // (each logged), which were relearned from the stored runs instead.
  int RestoreModels();
  const Clock* clock_ = nullptr;

  SchedulerOptions options_;
  TransportSecurity security_;
  std::string admin_token_path_;
  std::unique_ptr<AccessTokens> tokens_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<AccessServiceImpl> access_service_;
  std::unique_ptr<TenantLimits> tenant_limits_;
  std::unique_ptr<SqliteDb> db_;       // node store
  std::unique_ptr<SqliteDb> runs_db_;  // run store
  std::unique_ptr<NodeStore> node_store_;
  std::unique_ptr<NodeRegistry> registry_;
  std::unique_ptr<MembershipServiceImpl> membership_;
  std::unique_ptr<RunStore> run_store_;
  std::unique_ptr<FunctionRegistry> functions_;
  std::unique_ptr<AsyncQueue> async_queue_;
  std::unique_ptr<Schedules> schedules_;
  std::unique_ptr<Admission> admission_;  // outlives the placer, whose hook it is
  std::unique_ptr<Placer> placer_;
  std::unique_ptr<RunIntake> intake_;
  std::unique_ptr<ModelStateStore> model_states_;
  MonotonicTime last_model_save_{};
  std::unique_ptr<AgentConnections> agents_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<RunIngestServiceImpl> ingest_;
  std::unique_ptr<RegistryServiceImpl> registry_service_;
  std::unique_ptr<PlacementServiceImpl> placement_service_;
  std::unique_ptr<GatewayServiceImpl> gateway_service_;
  std::shared_ptr<prometheus::Registry> metrics_registry_;
  std::unique_ptr<SchedulerMetrics> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string metrics_address_;
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<AsyncDispatcher> dispatcher_;
  std::unique_ptr<CallbackSender> callback_sender_;
  std::unique_ptr<KubeExtender> extender_;  // outlives the webhook server that calls it
  std::unique_ptr<WebhookServer> webhook_;
  std::thread background_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace tailor::scheduler
