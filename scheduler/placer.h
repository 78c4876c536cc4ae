// Placer: turns a placement request into a decision. It keeps a models::ClusterIndex current
// from the node registry's change notifications (health from the lease, features and host
// class from the inventory, capacity from memory and cores, load from heartbeats) and from its
// own ledger of in-flight allocations. A decision resolves the function in the registry, asks
// the named placement policy (models/) to choose from the index, reserves the allocation on
// the chosen node, and records the decision with the candidates' scores for Explain.
//
// Capacity accounting: a reservation is held until Release(decision) (the gateway, when the run
// ends), Cancel(decision) (a platform giving it back), a report that names the decision, the
// node's deregistration, or, for platforms that never report, until the function's timeout plus
// `reservation_grace` has passed (Sweep). A node that is full, unhealthy or draining is never
// chosen.
//
// Decisions are kept in memory, the newest `max_decisions`, for Explain (as the models'
// decision; the response message is built when Explain asks). Their ids are signed
// (DecisionIds), so a report can be checked against them after they are forgotten. A Place
// with an idempotency key that a kept decision was made for returns that decision again.
//
// Thread-safety: all methods are safe to call concurrently: one mutex for the cluster index,
// reservations and decisions, and one per policy (a report is learned under the policies'
// locks only, never the placer's).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "models/cluster_index.h"
#include "models/eligibility.h"
#include "models/placement_policy.h"
#include "models/policy_table.h"
#include "scheduler/decision_ids.h"
#include "scheduler/function_registry.h"
#include "scheduler/kubernetes_nodes.h"
#include "scheduler/node_registry.h"
#include "scheduler/warm_instances.h"
#include "tailor/v1/placement.pb.h"
#include "tailor/v1/run_report.pb.h"

namespace tailor::scheduler {

struct PlaceInput {
  std::string function_name;
  std::string function_version;
  uint64_t payload_bytes = 0;
  std::vector<std::string> candidate_node_ids;  // empty: all
  std::vector<std::string> required_features;
  std::string policy;                         // empty: default
  std::vector<std::string> exclude_node_ids;  // nodes already tried
  std::string idempotency_key;                // optional
  // Decided elsewhere (a Kubernetes pod's requests): nodes are judged for it and a Place
  // reserves it; empty: the policy advises one.
  std::optional<models::Allocation> allocation;
  // Set by a caller that waits for capacity and places again as it frees (the gateway's
  // admission queue): `performance` may then keep the call waiting for its best class under
  // overload (models::PlacementRequest::caller_wait), with kNoCapacity.
  std::optional<models::PlacementRequest::CallerWait> caller_wait;
};

struct Placement {
  std::string decision_id;
  v1::FunctionVersion function;
  std::string node_id;
  std::string node_address;
  v1::Allocation allocation;
  double predicted_duration_ms = 0;
  std::string policy;
  bool explored = false;
  bool memory_at_ceiling = false;  // the most memory the function can have (see models)
  bool replayed = false;           // an earlier Place with the same idempotency key made it
};

// One node of a ranking (Placer::Rank).
struct RankedNode {
  std::string node_id;
  std::string host_class;
  bool eligible = false;
  models::Ineligible why = models::Ineligible::kNone;  // kNone when eligible
  std::string reason;                                  // why not, in words
  double score = 0;                  // the policy's score (lower is better); eligible only
  double predicted_duration_ms = 0;  // the policy's prediction; 0 when it has none
};

// What Kubernetes' filter and prioritize learn of one node they named.
struct NodeVerdict {
  bool known = false;  // a node Tailor knows (an unknown one is neither failed nor favoured)
  bool eligible = false;
  models::Ineligible why = models::Ineligible::kNone;  // kNone when eligible or unknown
  std::string reason;                                  // why not, in words
  double score = 0;  // the policy's score (lower is better): eligible nodes, when scored
};

// Every known node a placement could use, in the order the policy prefers them.
struct Ranking {
  v1::FunctionVersion function;
  std::string policy;
  models::Allocation allocation;  // what the nodes were judged for
  // Eligible nodes best first (ties by id), then ineligible ones by id. With candidates,
  // only those Tailor knows; without, every registered node.
  std::vector<RankedNode> nodes;
};

class Placer {
 public:
  struct Options {
    std::string default_policy = "performance";
    models::PolicySettings policy_settings;
    size_t max_decisions = 20'000;  // about 2.5 KiB each at 12 host classes
    std::chrono::milliseconds reservation_grace{30'000};
    // The key decision ids are signed with (DecisionIds); empty: a random one per process.
    std::string decision_key;
  };
  // Called after each decision: policy, outcome ("placed", "no_capacity", "error"), latency,
  // and whether the policy explored.
  using DecisionHook = std::function<void(const std::string& policy, const std::string& outcome,
                                          double latency_seconds, bool explored)>;
  // Called when a successful run's report arrives for a decision that predicted its duration.
  using PredictionHook =
      std::function<void(const std::string& policy, double predicted_ms, double measured_ms)>;
  // Called, without the placer's lock, whenever capacity may have been freed: a reservation
  // released, dropped or expired, or a node changed (health, drain, load, inventory).
  using CapacityHook = std::function<void()>;

  // INVALID_ARGUMENT for an unknown default policy.
  static Result<std::unique_ptr<Placer>> Create(Options options, NodeRegistry& nodes,
                                                FunctionRegistry& functions, const Clock& clock);

  ~Placer();
  Result<Placement> Place(const PlaceInput& input);
  // Scores every node for the input as Place would, reserving nothing and recording no
  // decision (Kubernetes' filter and prioritize, the Rank RPC). NOT_FOUND / FAILED_PRECONDITION
  // for an unknown or removed function, INVALID_ARGUMENT for an unknown policy; no eligible
  // node is not an error (every node then carries its reason).
  Result<Ranking> Rank(const PlaceInput& input);
  // Kubernetes' filter and prioritize: each of `kubernetes_names` (Kubernetes node names,
  // KubernetesNodes says which Tailor node each is) judged for the input's function and
  // allocation as Rank judges nodes, and with `scored` also scored by the policy; in the order
  // named, unknown names marked so. input.candidate_node_ids is not read. The same errors as
  // Rank.
  // A list passed again (the same object) is recognised without comparing its names.
  Result<std::vector<NodeVerdict>> JudgeKubernetesNodes(
      const PlaceInput& input, const KubernetesNodes::NameList& kubernetes_names, bool scored);
  // The node a platform's report names: `name` itself when a node has that id, else the node
  // whose agent claimed it as its Kubernetes node name (a platform on Kubernetes knows the pod's
  // spec.nodeName), else `name` unchanged (then unknown to the intake).
  std::string NodeIdOfReported(const std::string& name);
  // Frees the decision's reservation; unknown or already released ids are ignored. Returns
  // whether a reservation was held.
  bool Release(const std::string& decision_id);
  // Drops every reservation held on a node (it was deregistered); returns how many.
  uint32_t DropReservationsOf(const std::string& node_id);
  // Whether a report's decision id may be trusted: empty, or issued by this scheduler and, if
  // the decision is still kept, for the report's function and node. INVALID_ARGUMENT (naming
  // report.decision_id) otherwise.
  Status CheckReportDecision(const v1::RunReport& report);
  // What the default policy would allocate to the function now; NOT_FOUND for an unknown one.
  Result<v1::Allocation> Advise(const std::string& function_name);
  // A finished run: releases its decision (if any) and teaches every policy.
  void Observe(const v1::RunReport& report, const std::string& host_class);
  // Teaches every policy without touching reservations (replaying stored runs at start), or,
  // while learning is held, keeps the run to teach at ResumeLearning.
  void Learn(const v1::RunReport& report, const std::string& host_class);
  // From now on Learn keeps each run aside instead of teaching it, so a save (SaveStates)
  // includes none of them. REQUIRES: no Learn in progress (RunIntake::BeginModelSave makes
  // sure), and no hold already.
  void HoldLearning();
  // Teaches the runs kept aside, in the order they came (and any that come meanwhile), then
  // lets Learn teach at once again.
  void ResumeLearning();
  // What every policy learned, by policy name (policies that learn nothing are left out). Each
  // policy is saved a part at a time (models::StateSave), under its lock for one part of at
  // most kSaveFunctionsPerPart functions: its decisions wait for a part, not the whole save.
  std::map<std::string, std::string> SaveStates();
  static constexpr size_t kSaveFunctionsPerPart = 64;
  // INVALID_ARGUMENT for an unknown policy or a state it cannot read (nothing changes).
  Status RestoreState(const std::string& policy, const std::string& state);
  Result<v1::ExplainResponse> Explain(const std::string& decision_id);
  // The newest `limit` decisions (of `function`, or all when empty), newest first, with the
  // outcome of those whose report has arrived.
  v1::ListDecisionsResponse ListDecisions(size_t limit, const std::string& function);
  // Drops reservations past their function's timeout plus the grace.
  void Sweep();

  // Resources held on a node by in-flight decisions.
  models::Resources Held(const std::string& node_id);
  void SetDecisionHook(DecisionHook hook) { hook_ = std::move(hook); }
  void SetPredictionHook(PredictionHook hook) { prediction_hook_ = std::move(hook); }
  // Set before the placer is shared between threads, as the other hooks.
  void SetCapacityHook(CapacityHook hook) { capacity_hook_ = std::move(hook); }

 private:
  Placer(Options options, NodeRegistry& nodes, FunctionRegistry& functions, const Clock& clock);
  void OnNodeChanged(const v1::Node& node, bool removed);
  void CapacityFreed() {
    if (capacity_hook_) capacity_hook_();
  }
  // A policy and its lock. The learned policies decide on what one of them learns
  // (models::MakeEveryPolicy), so they share that one's lock. Every policy is made by Create
  // and none is added later, so policies_ is read without a lock; a report teaches each policy
  // under that policy's lock alone, so learning never holds mu_ and a decision waits at most
  // for one run's learning; the slow part of learning (a refit over every function) runs
  // without the slot's lock (models::DeferredLearning). Lock order: mu_, then a slot's mu.
  struct PolicySlot {
    std::shared_ptr<std::mutex> mu;
    std::unique_ptr<models::PlacementPolicy> policy;
  };
  // INVALID_ARGUMENT for a name that is not a policy.
  Result<PolicySlot*> Slot(const std::string& name);
  // REQUIRES: mu_ and the policy's lock held. The reason of each node in `asked` that Tailor
  // knows (every node when empty), "" for an eligible one (Rank when no node is eligible).
  std::vector<RankedNode> ReasonsLocked(const models::PlacementRequest& request,
                                        models::PlacementPolicy& policy,
                                        const std::vector<std::string>& asked);
  // REQUIRES: mu_ held. Why each class cannot take the request (empty when it can), by class
  // index.
  std::vector<models::Ineligibility> ClassReasonsLocked(const models::PlacementRequest& request);
  // REQUIRES: mu_ held. Why the node in `slot` cannot take the request with `allocation`.
  models::Ineligibility ReasonOfSlotLocked(const models::PlacementRequest& request,
                                           const std::vector<models::Ineligibility>& class_reasons,
                                           const models::Allocation& allocation, uint32_t slot);
  bool ReleaseLocked(const std::string& decision_id);
  // Teaches every policy the run, each under its lock (the learned ones share one).
  void LearnNow(const models::RunObservation& run);
  // The decision made earlier for this function and idempotency key, if still kept.
  std::optional<Placement> ReplayLocked(const std::string& function, const std::string& key);
  void ReserveLocked(const Placement& p, const v1::FunctionVersion& fn);
  void StoreDecisionLocked(const Placement& p, const std::string& idempotency_key, double latency_s,
                           models::PlacementDecision decision);

  struct Reservation {
    std::string node_id;
    models::Resources resources;
    MonotonicTime expires;
  };

  const Options options_;
  NodeRegistry& nodes_;
  FunctionRegistry& functions_;
  const Clock& clock_;
  const DecisionIds ids_;
  DecisionHook hook_;
  PredictionHook prediction_hook_;
  CapacityHook capacity_hook_;
  std::map<std::string, std::unique_ptr<PolicySlot>> policies_;  // fixed after Create
  // Runs kept aside while a save is made (HoldLearning); never held with another lock.
  std::mutex held_mu_;
  bool holding_learning_ = false;
  std::vector<models::RunObservation> held_runs_;
  std::mutex mu_;
  std::unordered_map<std::string, Reservation> reservations_;  // by decision id
  // Expiry times, soonest first; entries of reservations released early are skipped when
  // they come up (Sweep touches only what expired, not every reservation).
  std::priority_queue<std::pair<MonotonicTime, std::string>,
                      std::vector<std::pair<MonotonicTime, std::string>>, std::greater<>>
      expiries_;
  models::ClusterIndex index_;  // also holds each node's in-flight allocation
  WarmInstances warm_;          // idle Lambda instances per node
  std::unordered_map<std::string, std::string> addresses_;  // node id -> agent address
  KubernetesNodes kubernetes_;  // which node answers to a Kubernetes node name
  struct StoredDecision {
    std::string function;
    std::string policy;
    int64_t decided_unix_ms = 0;
    double latency_us = 0;
    v1::Allocation allocation;
    models::PlacementDecision decision;
    bool reported = false;
    double measured_ms = 0;
    v1::RunOutcome outcome = v1::RUN_OUTCOME_UNSPECIFIED;
    // For decisions made with an idempotency key only: as returned, for a replay.
    std::unique_ptr<Placement> placement;
    std::string idempotency_key;  // "function\0key", or empty
  };
  std::unordered_map<std::string, StoredDecision> decisions_;
  std::deque<std::string> decision_order_;
  std::unordered_map<std::string, std::string> by_idempotency_key_;  // -> decision id
};

// Capacity a node offers to invocations, from its inventory.
models::Resources NodeCapacity(const v1::Node& node);

}  // namespace tailor::scheduler
