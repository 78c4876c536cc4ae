// SchedulerServer: one running scheduler. Opens (and migrates) the database in the data
// directory, restores the node registry, serves the gRPC services, and sweeps leases in the
// background. main() and the integration tests both start it through this class.
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
#include "scheduler/membership_service.h"
#include "scheduler/node_registry.h"
#include "scheduler/node_store.h"
#include "scheduler/run_ingest_service.h"
#include "scheduler/run_store.h"

namespace tailor::scheduler {

struct SchedulerOptions {
  std::string listen_address = "127.0.0.1:7400";
  std::string data_dir = "tailor-data";
  NodeRegistry::Options registry;
};

class SchedulerServer {
 public:
  static Result<std::unique_ptr<SchedulerServer>> Start(const SchedulerOptions& options,
                                                        const Clock& clock);
  ~SchedulerServer();

  const std::string& address() const { return grpc_->address(); }
  NodeRegistry& registry() { return *registry_; }
  RunStore& runs() { return *run_store_; }
  void Stop();

 private:
  SchedulerServer() = default;
  void SweepLoop();

  SchedulerOptions options_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<NodeStore> node_store_;
  std::unique_ptr<NodeRegistry> registry_;
  std::unique_ptr<MembershipServiceImpl> membership_;
  std::unique_ptr<RunStore> run_store_;
  std::unique_ptr<RunIngestServiceImpl> ingest_;
  std::unique_ptr<GrpcServer> grpc_;
  std::thread sweeper_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace tailor::scheduler
