#include "scheduler/scheduler_server.h"

#include "common/file_util.h"
#include "common/logging.h"
#include "scheduler/schema.h"

namespace tailor::scheduler {

Result<std::unique_ptr<SchedulerServer>> SchedulerServer::Start(const SchedulerOptions& options,
                                                                const Clock& clock) {
  std::unique_ptr<SchedulerServer> s(new SchedulerServer());
  s->options_ = options;
  TAILOR_RETURN_IF_ERROR(MakeDirectories(options.data_dir));
  const std::string db_path = JoinPath(options.data_dir, "scheduler.db");
  TAILOR_ASSIGN_OR_RETURN(s->db_, SqliteDb::Open(db_path));
  TAILOR_RETURN_IF_ERROR(s->db_->Migrate(SchedulerMigrations()));
  s->node_store_ = std::make_unique<NodeStore>(*s->db_);
  s->registry_ = std::make_unique<NodeRegistry>(options.registry, clock, s->node_store_.get());
  TAILOR_RETURN_IF_ERROR_CTX(s->registry_->LoadFromStore(), "restoring node registry");
  s->membership_ = std::make_unique<MembershipServiceImpl>(*s->registry_);
  s->run_store_ = std::make_unique<RunStore>(*s->db_, clock);
  s->ingest_ = std::make_unique<RunIngestServiceImpl>(*s->run_store_);
  TAILOR_ASSIGN_OR_RETURN(s->grpc_, GrpcServer::Start(options.listen_address,
                                                      {s->membership_.get(), s->ingest_.get()}));
  s->sweeper_ = std::thread([raw = s.get()] { raw->SweepLoop(); });
  log::Info("scheduler serving", {{"address", s->grpc_->address()}, {"data_dir", options.data_dir}});
  return s;
}

SchedulerServer::~SchedulerServer() { Stop(); }

void SchedulerServer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  if (grpc_) grpc_->Shutdown();
  if (registry_) registry_->Sweep();  // flush heartbeat times
}

void SchedulerServer::SweepLoop() {
  // Sweep a few times per lease so a silent node turns unhealthy soon after its timeout.
  auto period = std::max(std::chrono::milliseconds(20), options_.registry.lease_timeout / 4);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    registry_->Sweep();
    lock.lock();
  }
}

}  // namespace tailor::scheduler
