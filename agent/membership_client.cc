#include "agent/membership_client.h"

#include "common/logging.h"
#include "proto/grpc_channel.h"
#include "proto/grpc_status.h"

namespace tailor::agent {

MembershipClient::MembershipClient(Options options, v1::HostInventory inventory,
                                   LoadFn sample_load)
    : options_(std::move(options)),
      inventory_(std::move(inventory)),
      sample_load_(std::move(sample_load)) {
  stub_ = v1::Membership::NewStub(options_.channel);
}

MembershipClient::~MembershipClient() { Stop(); }

void MembershipClient::Start() { thread_ = std::thread([this] { Run(); }); }

void MembershipClient::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (heartbeat_call_ != nullptr) heartbeat_call_->TryCancel();  // it may wait for the channel
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool MembershipClient::WaitFor(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay, [this] { return stopping_ || heartbeat_now_; });
  heartbeat_now_ = false;
  return !stopping_;
}

bool MembershipClient::AnnounceStopping(std::chrono::milliseconds timeout) {
  agent_stopping_.store(true);
  const uint64_t before = stopping_acked_.load();
  {
    std::lock_guard lock(mu_);
    heartbeat_now_ = true;
  }
  cv_.notify_all();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (stopping_acked_.load() == before && std::chrono::steady_clock::now() < deadline) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(20));
  }
  return stopping_acked_.load() != before;
}

Status MembershipClient::Register() {
  v1::RegisterRequest req;
  req.set_node_id(options_.node_id);
  req.set_address(options_.advertised_address);
  *req.mutable_inventory() = inventory_;
  req.set_agent_version(options_.agent_version);
  v1::RegisterResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
  TAILOR_RETURN_IF_ERROR(FromGrpcStatus(stub_->Register(&ctx, req, &resp)));
  if (resp.heartbeat_interval_ms() > 0) {
    heartbeat_interval_ = std::chrono::milliseconds(resp.heartbeat_interval_ms());
  }
  return OkStatus();
}

Status MembershipClient::Heartbeat() {
  v1::HeartbeatRequest req;
  req.set_node_id(options_.node_id);
  const bool stopping = agent_stopping_.load();
  req.set_stopping(stopping);
  auto load = sample_load_ ? sample_load_() : Result<v1::NodeLoad>(v1::NodeLoad());
  if (load.ok()) {
    *req.mutable_load() = *load;
  } else {
    log::LogOnce(log::Level::kWarn, "membership.load_failed", "cannot sample node load",
                 {{"error", load.status()}});
  }
  v1::HeartbeatResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
  // While the scheduler is away the call waits for the channel to reconnect, so the first
  // heartbeat after a restart goes out the moment it is reachable.
  ctx.set_wait_for_ready(true);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return CancelledError("stopping");
    heartbeat_call_ = &ctx;
  }
  const grpc::Status sent = stub_->Heartbeat(&ctx, req, &resp);
  {
    std::lock_guard lock(mu_);
    heartbeat_call_ = nullptr;
  }
  TAILOR_RETURN_IF_ERROR(FromGrpcStatus(sent));
  heartbeats_sent_.fetch_add(1);
  if (stopping) stopping_acked_.fetch_add(1);
  return OkStatus();
}

void MembershipClient::Run() {
  ExponentialBackoff backoff(options_.backoff, std::hash<std::string>{}(options_.node_id));
  bool connected_logged = false;
  bool retry_now = false;  // after a failed heartbeat's backoff: no heartbeat interval too
  while (true) {
    if (!registered_.load()) {
      Status s = Register();
      if (!s.ok()) {
        auto delay = backoff.NextDelay();
        if (backoff.attempts() == 1 || backoff.attempts() % 10 == 0) {
          log::Warn("cannot register with scheduler; retrying",
                    {{"scheduler", options_.scheduler_address},
                     {"error", s},
                     {"retry_in_ms", static_cast<long long>(delay.count())}});
        }
        if (!WaitFor(delay)) return;
        continue;
      }
      registered_.store(true);
      backoff.Reset();
      log::Info("registered with scheduler", {{"scheduler", options_.scheduler_address},
                                              {"node", options_.node_id},
                                              {"heartbeat_interval_ms",
                                               static_cast<long long>(heartbeat_interval_.count())}});
      connected_logged = true;
    }
    if (!WaitFor(retry_now ? std::chrono::milliseconds(0) : heartbeat_interval_)) return;
    retry_now = false;
    Status s = Heartbeat();
    if (s.ok()) {
      if (!connected_logged) {
        log::Info("scheduler reachable again", {{"scheduler", options_.scheduler_address}});
        connected_logged = true;
      }
      backoff.Reset();
      continue;
    }
    if (s.code() == StatusCode::kNotFound) {
      log::Warn("scheduler does not know this node; registering again", {{"error", s}});
      registered_.store(false);
      continue;
    }
    // Scheduler unreachable or failing: try the heartbeat again. Registration survives
    // scheduler restarts (the registry is persisted), so no need to re-register. A call that
    // waited its whole deadline for the channel to connect was paced by that wait: try again
    // at once, so that a call is always waiting when the scheduler comes back. A call that
    // failed fast backs off.
    if (s.code() == StatusCode::kDeadlineExceeded) {
      if (connected_logged) {
        log::Warn("heartbeat failed; waiting for the scheduler", {{"error", s}});
        connected_logged = false;
      }
      retry_now = true;
      continue;
    }
    auto delay = backoff.NextDelay();
    if (connected_logged) {
      log::Warn("heartbeat failed; backing off", {{"error", s},
                                                   {"retry_in_ms",
                                                    static_cast<long long>(delay.count())}});
      connected_logged = false;
    }
    if (!WaitFor(delay)) return;
    retry_now = true;
  }
}

}  // namespace tailor::agent
