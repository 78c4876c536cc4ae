// MembershipClient: keeps this agent registered with the scheduler.
//
// A background thread registers (with the inventory), then heartbeats with the node's load at
// the interval the scheduler asked for. When the scheduler is unreachable it retries with
// exponential backoff; when the scheduler answers NOT_FOUND to a heartbeat (it lost the node,
// e.g. a fresh data directory) it registers again.
//
// Thread-safety: Start/Stop from the owning thread; state() from any thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/backoff.h"
#include "common/status.h"
#include "tailor/v1/membership.grpc.pb.h"

namespace tailor::agent {

class MembershipClient {
 public:
  struct Options {
    std::string scheduler_address;           // for logs
    std::shared_ptr<grpc::Channel> channel;  // to the scheduler (proto/grpc_channel.h)
    std::string node_id;
    std::string advertised_address;  // host:port of this agent's gRPC server
    std::string agent_version;
    std::chrono::milliseconds rpc_timeout{2000};
    ExponentialBackoff::Options backoff;
  };

  using LoadFn = std::function<Result<v1::NodeLoad>()>;

  MembershipClient(Options options, v1::HostInventory inventory, LoadFn sample_load);
  ~MembershipClient();

  void Start();
  void Stop();
  // From now on every heartbeat says the agent is stopping (no new placements here), and one
  // is sent at once. Returns once that heartbeat was answered, or after `timeout`.
  bool AnnounceStopping(std::chrono::milliseconds timeout);

  bool registered() const { return registered_.load(); }
  uint64_t heartbeats_sent() const { return heartbeats_sent_.load(); }

 private:
  void Run();
  Status Register();
  Status Heartbeat();
  // Waits for `delay` or until Stop(); returns false if stopping.
  bool WaitFor(std::chrono::milliseconds delay);

  const Options options_;
  const v1::HostInventory inventory_;
  LoadFn sample_load_;
  std::unique_ptr<v1::Membership::Stub> stub_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool heartbeat_now_ = false;                     // guarded by mu_
  grpc::ClientContext* heartbeat_call_ = nullptr;  // the heartbeat in flight; guarded by mu_
  std::atomic<bool> agent_stopping_{false};
  std::atomic<uint64_t> stopping_acked_{0};  // heartbeats answered that said stopping
  std::atomic<bool> registered_{false};
  std::atomic<uint64_t> heartbeats_sent_{0};
  std::chrono::milliseconds heartbeat_interval_{1000};
};

}  // namespace tailor::agent
