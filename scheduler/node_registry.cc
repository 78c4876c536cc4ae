#include "scheduler/node_registry.h"

#include "common/logging.h"
#include "proto/validation.h"

namespace tailor::scheduler {

NodeRegistry::NodeRegistry(Options options, const Clock& clock, NodeStore* store)
    : options_(options), clock_(clock), store_(store) {}

Status NodeRegistry::LoadFromStore() {
  if (store_ == nullptr) return OkStatus();
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(std::vector<v1::Node> nodes, store_->LoadAll());
  const MonotonicTime now = clock_.MonotonicNow();
  for (auto& n : nodes) {
    std::string id = n.node_id();
    nodes_[id] = Entry{std::move(n), now, false};
  }
  log::Info("node registry restored", {{"nodes", nodes_.size()}});
  return OkStatus();
}

Status NodeRegistry::Register(const v1::RegisterRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateRegisterRequest(request));
  std::lock_guard lock(mu_);
  const int64_t now_ms = ToUnixMillis(clock_.WallNow());
  auto [it, inserted] = nodes_.try_emplace(request.node_id());
  Entry& e = it->second;
  v1::Node& n = e.node;
  n.set_node_id(request.node_id());
  n.set_address(request.address());
  n.set_agent_version(request.agent_version());
  *n.mutable_inventory() = request.inventory();
  n.set_health(v1::NODE_HEALTH_HEALTHY);
  n.set_stopping(false);  // a new agent process
  n.set_registered_unix_ms(now_ms);
  n.set_last_heartbeat_unix_ms(now_ms);
  e.last_seen = clock_.MonotonicNow();
  e.heartbeat_dirty = false;
  if (store_ != nullptr) {
    Status s = store_->Upsert(n);
    if (!s.ok()) {
      if (inserted) nodes_.erase(it);
      return s;
    }
  }
  log::Info(inserted ? "node registered" : "node registered again",
            {{"node", request.node_id()}, {"address", request.address()}});
  if (listener_) listener_(n, false);
  return OkStatus();
}

Status NodeRegistry::Heartbeat(const v1::HeartbeatRequest& request) {
  TAILOR_RETURN_IF_ERROR(ValidateHeartbeatRequest(request));
  std::lock_guard lock(mu_);
  auto it = nodes_.find(request.node_id());
  if (it == nodes_.end()) {
    return NotFoundError("node '" + request.node_id() + "' is not registered");
  }
  Entry& e = it->second;
  const int64_t now_ms = ToUnixMillis(clock_.WallNow());
  e.last_seen = clock_.MonotonicNow();
  e.node.set_last_heartbeat_unix_ms(now_ms);
  *e.node.mutable_load() = request.load();
  if (request.stopping() && !e.node.stopping()) {
    log::Info("node stopping: its agent is shutting down", {{"node", request.node_id()}});
  }
  e.node.set_stopping(request.stopping());
  if (e.node.health() != v1::NODE_HEALTH_HEALTHY) {
    e.node.set_health(v1::NODE_HEALTH_HEALTHY);
    log::Info("node healthy again", {{"node", request.node_id()}});
    if (store_ != nullptr) {
      Status s = store_->UpdateHealth(request.node_id(), v1::NODE_HEALTH_HEALTHY, now_ms);
      if (!s.ok()) log::Error("cannot persist node health", {{"error", s}});
    }
    e.heartbeat_dirty = false;
  } else {
    e.heartbeat_dirty = true;
  }
  if (listener_) listener_(e.node, false);
  return OkStatus();
}

Status NodeRegistry::SetDraining(const std::string& node_id, bool draining) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return NotFoundError("node '" + node_id + "' is not registered");
  if (store_ != nullptr) TAILOR_RETURN_IF_ERROR(store_->UpdateDraining(node_id, draining));
  it->second.node.set_draining(draining);
  log::Info(draining ? "node draining" : "node no longer draining", {{"node", node_id}});
  if (listener_) listener_(it->second.node, false);
  return OkStatus();
}

Status NodeRegistry::Deregister(const std::string& node_id) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return NotFoundError("node '" + node_id + "' is not registered");
  if (store_ != nullptr) TAILOR_RETURN_IF_ERROR(store_->Delete(node_id));
  const v1::Node removed = std::move(it->second.node);
  nodes_.erase(it);
  log::Info("node deregistered", {{"node", node_id}});
  if (listener_) listener_(removed, true);
  return OkStatus();
}

void NodeRegistry::SetListener(Listener listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
  if (listener_) {
    for (const auto& [id, e] : nodes_) listener_(e.node, false);
  }
}

void NodeRegistry::ExpireLeasesLocked(SweepResult* result) {
  const MonotonicTime now = clock_.MonotonicNow();
  for (auto& [id, e] : nodes_) ExpireLeaseLocked(id, e, now, result);
}

void NodeRegistry::ExpireLeaseLocked(const std::string& id, Entry& e, MonotonicTime now,
                                     SweepResult* result) {
  if (e.node.health() == v1::NODE_HEALTH_UNHEALTHY) return;
  const auto silent = now - e.last_seen;
  if (silent <= options_.lease_timeout) return;
  e.node.set_health(v1::NODE_HEALTH_UNHEALTHY);
  const auto silent_ms = std::chrono::duration_cast<std::chrono::milliseconds>(silent).count();
  log::Warn("node missed its heartbeats; now unhealthy",
            {{"node", id}, {"silent_ms", static_cast<long long>(silent_ms)}});
  if (store_ != nullptr) {
    Status s = store_->UpdateHealth(id, v1::NODE_HEALTH_UNHEALTHY, e.node.last_heartbeat_unix_ms());
    if (!s.ok()) log::Error("cannot persist node health", {{"error", s}});
  }
  e.heartbeat_dirty = false;
  if (listener_) listener_(e.node, false);
  if (result != nullptr) result->became_unhealthy.push_back(id);
}

NodeRegistry::SweepResult NodeRegistry::Sweep() {
  SweepResult result;
  std::lock_guard lock(mu_);
  ExpireLeasesLocked(&result);
  if (store_ != nullptr) {
    std::vector<std::pair<std::string, int64_t>> dirty;
    for (auto& [id, e] : nodes_) {
      if (!e.heartbeat_dirty) continue;
      dirty.emplace_back(id, e.node.last_heartbeat_unix_ms());
      e.heartbeat_dirty = false;
    }
    Status s = store_->UpdateHeartbeats(dirty);
    if (!s.ok()) log::Error("cannot persist heartbeat times", {{"error", s}});
  }
  return result;
}

std::vector<v1::Node> NodeRegistry::List() {
  std::lock_guard lock(mu_);
  ExpireLeasesLocked(nullptr);
  std::vector<v1::Node> out;
  out.reserve(nodes_.size());
  for (const auto& [id, e] : nodes_) out.push_back(e.node);
  return out;
}

Result<v1::Node> NodeRegistry::Get(const std::string& node_id) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return NotFoundError("node '" + node_id + "' is not registered");
  ExpireLeaseLocked(it->first, it->second, clock_.MonotonicNow(), nullptr);
  return it->second.node;
}

Status NodeRegistry::CheckRegistered(const std::string& node_id) {
  std::lock_guard lock(mu_);
  if (!nodes_.contains(node_id)) {
    return NotFoundError("node '" + node_id + "' is not registered");
  }
  return OkStatus();
}

size_t NodeRegistry::CountByHealth(v1::NodeHealth health) {
  std::lock_guard lock(mu_);
  ExpireLeasesLocked(nullptr);
  size_t n = 0;
  for (const auto& [id, e] : nodes_) n += e.node.health() == health ? 1 : 0;
  return n;
}

}  // namespace tailor::scheduler
