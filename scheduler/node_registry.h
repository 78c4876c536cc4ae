// NodeRegistry: the scheduler's view of the cluster's nodes, with a lease per node.
//
// A node registers (with its inventory) and then heartbeats. Leases run on the monotonic
// clock: a healthy node whose last heartbeat is older than the lease timeout becomes unhealthy
// at the next Sweep(); a heartbeat makes an unhealthy node healthy again at once. Health
// changes are written to the NodeStore immediately; heartbeat times are written in batches by
// Sweep(), so a busy cluster does not cost one fsync per heartbeat.
//
// After a restart, LoadFromStore() restores every node with its persisted health and starts
// its lease afresh (a grace period of one lease timeout for agents to reconnect).
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "scheduler/node_store.h"
#include "tailor/v1/membership.pb.h"

namespace tailor::scheduler {

class NodeRegistry {
 public:
  struct Options {
    std::chrono::milliseconds lease_timeout{5000};
    std::chrono::milliseconds heartbeat_interval{1000};
  };

  struct SweepResult {
    std::vector<std::string> became_unhealthy;
  };

  // `store` may be null (no persistence); both must outlive the registry.
  NodeRegistry(Options options, const Clock& clock, NodeStore* store);

  const Options& options() const { return options_; }

  Status LoadFromStore();

  // INVALID_ARGUMENT (naming the field) for anything proto/validation.h refuses. A node that
  // was draining stays draining.
  Status Register(const v1::RegisterRequest& request);
  // NOT_FOUND if the node never registered; INVALID_ARGUMENT for an impossible load. A
  // heartbeat saying `stopping` takes the node out of placement until it registers again.
  Status Heartbeat(const v1::HeartbeatRequest& request);
  // NOT_FOUND for an unknown node. Persisted at once.
  Status SetDraining(const std::string& node_id, bool draining);
  // Forgets the node (persisted at once); NOT_FOUND for an unknown node.
  Status Deregister(const std::string& node_id);

  // Expires leases and flushes heartbeat times to the store.
  SweepResult Sweep();

  // Called with a node's new state whenever it registers, heartbeats, changes health or drain
  // state, or is deregistered (`removed` true), and for every node when set. Runs under the
  // registry's lock: it must not call back into the registry.
  using Listener = std::function<void(const v1::Node&, bool removed)>;
  void SetListener(Listener listener);

  // All nodes, sorted by id, with health as of now.
  std::vector<v1::Node> List();
  // One node, with its health as of now (its own lease checked, not the others': a call costs
  // a lookup, not a walk of the cluster). NOT_FOUND for an unknown node.
  Result<v1::Node> Get(const std::string& node_id);
  // NOT_FOUND unless the node is registered (whatever its health); copies nothing. What a
  // report batch checks first.
  Status CheckRegistered(const std::string& node_id);
  size_t CountByHealth(v1::NodeHealth health);

 private:
  struct Entry {
    v1::Node node;
    MonotonicTime last_seen;
    bool heartbeat_dirty = false;
  };

  // REQUIRES: mu_ held. Marks unhealthy every node (or `e`) whose lease ran out.
  void ExpireLeasesLocked(SweepResult* result);
  void ExpireLeaseLocked(const std::string& id, Entry& e, MonotonicTime now, SweepResult* result);

  const Options options_;
  const Clock& clock_;
  NodeStore* const store_;
  std::mutex mu_;
  std::map<std::string, Entry> nodes_;
  Listener listener_;
};

}  // namespace tailor::scheduler
