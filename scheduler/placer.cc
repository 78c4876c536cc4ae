#include "scheduler/placer.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <unordered_set>

#include "common/random_id.h"
#include "models/eligibility.h"
#include "models/policy_table.h"
#include "scheduler/host_class.h"
#include "scheduler/run_observation.h"

namespace tailor::scheduler {
namespace {

std::string OutcomeOf(const Status& s) {
  return s.reason() == ErrorReason::kNoCapacity || s.reason() == ErrorReason::kDoesNotFit
             ? "no_capacity"
             : "error";
}

std::string RandomKey() {
  std::string key = RandomId();
  return key + RandomId();
}

models::FunctionInfo InfoOf(const v1::FunctionVersion& fn) {
  models::FunctionInfo info;
  info.name = fn.name();
  info.memory_hint_bytes = fn.memory_hint_bytes();
  info.max_memory_bytes = fn.max_memory_bytes();
  info.timeout_ms = fn.timeout_ms();
  info.latency_target_ms = fn.latency_target_ms();
  info.preferred_features.assign(fn.prefers().begin(), fn.prefers().end());
  return info;
}

std::vector<std::string> Sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// `with_candidates` false leaves allowed_node_ids empty, for a caller that walks
// input.candidate_node_ids itself (a set of thousands of ids is not built for nothing).
models::PlacementRequest RequestOf(const PlaceInput& input, const v1::FunctionVersion& fn,
                                   bool with_candidates = true) {
  models::PlacementRequest request;
  request.function = InfoOf(fn);
  request.payload_bytes = input.payload_bytes;
  // The call's required features and those the function was registered with.
  request.required_features = input.required_features;
  request.required_features.insert(request.required_features.end(), fn.required_features().begin(),
                                   fn.required_features().end());
  request.required_features = Sorted(std::move(request.required_features));
  if (with_candidates) {
    request.allowed_node_ids.insert(input.candidate_node_ids.begin(),
                                    input.candidate_node_ids.end());
  }
  request.excluded_node_ids.insert(input.exclude_node_ids.begin(), input.exclude_node_ids.end());
  request.fixed_allocation = input.allocation;
  request.caller_wait = input.caller_wait;
  return request;
}

// The verdicts of the nodes in `slots` (kNoSlot: unknown, left as is) from a decision that
// scored every node.
void VerdictsOfCandidates(const std::vector<models::CandidateScore>& candidates,
                          const std::vector<uint32_t>& slots, size_t slot_count,
                          std::vector<NodeVerdict>& verdicts) {
  constexpr uint32_t kNoCandidate = UINT32_MAX;
  std::vector<uint32_t> candidate_of(slot_count, kNoCandidate);  // by slot
  for (uint32_t k = 0; k < candidates.size(); ++k) {
    if (candidates[k].slot < slot_count) candidate_of[candidates[k].slot] = k;
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] == KubernetesNodes::kNoSlot) continue;
    const uint32_t k = candidate_of[slots[i]];
    if (k == kNoCandidate) continue;
    const models::CandidateScore& c = candidates[k];
    verdicts[i] = {true, c.eligible, c.why, c.reason, c.eligible ? c.score : 0};
  }
}

double TermOf(const models::CandidateScore& c, std::string_view name) {
  for (const auto& [term, value] : c.terms) {
    if (term == name) return value;
  }
  return 0;
}

// Eligible first, best score first (equal scores keep the policy's walk order, least loaded
// first for the performance policy); then the others by node id.
bool RanksBefore(const RankedNode& a, const RankedNode& b) {
  if (a.eligible != b.eligible) return a.eligible;
  if (a.eligible) return a.score < b.score;
  return a.node_id < b.node_id;
}

// Orders a ranking (RanksBefore) moving each node once: a ranking may hold thousands.
void SortRanking(std::vector<RankedNode>& nodes) {
  std::vector<uint32_t> order(nodes.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&nodes](uint32_t a, uint32_t b) { return RanksBefore(nodes[a], nodes[b]); });
  std::vector<RankedNode> sorted;
  sorted.reserve(nodes.size());
  for (uint32_t i : order) sorted.push_back(std::move(nodes[i]));
  nodes = std::move(sorted);
}

}  // namespace

Placer::Placer(Options options, NodeRegistry& nodes, FunctionRegistry& functions,
               const Clock& clock)
    : options_(std::move(options)),
      nodes_(nodes),
      functions_(functions),
      clock_(clock),
      ids_(options_.decision_key.empty() ? RandomKey() : options_.decision_key) {}

models::Resources NodeCapacity(const v1::Node& node) {
  models::Resources r;
  r.memory_bytes = node.inventory().memory_bytes();
  r.cpu_millicores = node.inventory().topology().logical_cores() * 1000;
  return r;
}

Result<std::unique_ptr<Placer>> Placer::Create(Options options, NodeRegistry& nodes,
                                               FunctionRegistry& functions, const Clock& clock) {
  std::unique_ptr<Placer> p(new Placer(std::move(options), nodes, functions, clock));
  // Every policy learns from every run from the start, whichever is asked for later.
  TAILOR_ASSIGN_OR_RETURN(std::vector<models::NamedPolicy> every,
                          models::MakeEveryPolicy(p->options_.policy_settings));
  for (models::NamedPolicy& named : every) {
    auto slot = std::make_unique<PolicySlot>();
    slot->policy = std::move(named.policy);
    slot->mu = named.learns_with.empty() ? std::make_shared<std::mutex>()
                                         : p->policies_.at(named.learns_with)->mu;
    slot->policy->DeferSlowLearning();  // Learn runs it without the policy's lock
    p->policies_[named.name] = std::move(slot);
  }
  if (auto policy = p->Slot(p->options_.default_policy); !policy.ok()) return policy.status();
  nodes.SetListener(
      [raw = p.get()](const v1::Node& n, bool removed) { raw->OnNodeChanged(n, removed); });
  return p;
}

Placer::~Placer() { nodes_.SetListener(nullptr); }

void Placer::OnNodeChanged(const v1::Node& n, bool removed) {
  if (removed) {
    {
      std::lock_guard lock(mu_);
      addresses_.erase(n.node_id());
      warm_.RemoveNode(n.node_id());
      kubernetes_.Claim(n.node_id(), "");
      index_.Remove(n.node_id());
    }
    CapacityFreed();  // what waited for this node may fit no node now: let it hear so
    return;
  }
  models::NodeView v;
  v.node_id = n.node_id();
  const models::HostClassInfo cls = HostClassInfoOf(n.inventory());
  v.host_class = cls.name;
  v.healthy = n.health() == v1::NODE_HEALTH_HEALTHY;
  v.draining = n.draining();
  v.stopping = n.stopping();
  v.features = cls.features;
  v.capacity = NodeCapacity(n);
  v.running_invocations = n.load().running_invocations();
  v.queued_invocations = n.load().queued_invocations();
  v.max_concurrent_runs = n.load().max_concurrent_runs();
  v.cpu_utilization = n.load().cpu_utilization();
  v.warm_idle_memory_bytes = n.load().warm_idle_memory_bytes();
  if (n.inventory().rdt().l3_cat() && n.inventory().rdt().resctrl_mounted()) {
    v.cache_ways_total = n.inventory().rdt().l3_cat_ways();
  }
  {
    std::lock_guard lock(mu_);
    addresses_[n.node_id()] = n.address();
    warm_.SetNode(n.node_id(), n.load());
    kubernetes_.Claim(n.node_id(), n.inventory().kubernetes_node());
    index_.Upsert(std::move(v), cls);
  }
  CapacityFreed();
}

Result<Placer::PolicySlot*> Placer::Slot(const std::string& name) {
  auto it = policies_.find(name);
  if (it == policies_.end()) {
    // Every policy was made at Create: what MakePolicy says of this name is why it is unknown.
    auto made = models::MakePolicy(name, options_.policy_settings);
    return (made.ok() ? InvalidArgumentError("unknown placement policy '" + name + "'")
                      : made.status())
        .WithField("policy");
  }
  return it->second.get();
}

Result<Placement> Placer::Place(const PlaceInput& input) {
  const auto started = clock_.MonotonicNow();
  const std::string policy_name = input.policy.empty() ? options_.default_policy : input.policy;
  TAILOR_ASSIGN_OR_RETURN(v1::FunctionVersion fn,
                          functions_.Resolve(input.function_name, input.function_version));

  models::PlacementRequest request = RequestOf(input, fn);

  TAILOR_ASSIGN_OR_RETURN(PolicySlot * slot, Slot(policy_name));
  // Issued before the lock (an HMAC; DecisionIds is thread-safe): other decisions need not
  // wait for it. A call that places nothing wastes it.
  std::string decision_id = ids_.Issue();
  std::unique_lock lock(mu_);
  if (!input.idempotency_key.empty()) {
    if (auto replayed = ReplayLocked(fn.name(), input.idempotency_key)) return *replayed;
  }
  request.warm_node_ids = warm_.NodesOf(fn.name(), fn.version());
  std::unique_lock policy_lock(*slot->mu);
  auto decided = slot->policy->Decide(request, index_);
  policy_lock.unlock();
  const double latency_s = std::chrono::duration<double>(clock_.MonotonicNow() - started).count();
  if (!decided.ok()) {
    lock.unlock();
    if (hook_) hook_(policy_name, OutcomeOf(decided.status()), latency_s, false);
    return decided.status();
  }
  const models::PlacementDecision& d = *decided;
  Placement p;
  p.decision_id = std::move(decision_id);
  p.function = fn;
  p.node_id = d.node_id;
  p.node_address = addresses_[d.node_id];
  p.allocation.set_memory_limit_bytes(d.allocation.memory_limit_bytes);
  p.allocation.set_cpu_millicores(d.allocation.cpu_millicores);
  p.allocation.set_cache_ways(d.allocation.cache_ways);
  p.predicted_duration_ms = d.predicted_duration_ms;
  p.policy = policy_name;
  p.explored = d.explored;
  p.memory_at_ceiling = d.memory_at_ceiling;
  ReserveLocked(p, fn);
  if (request.warm_node_ids.contains(p.node_id)) warm_.Took(fn.name(), fn.version(), p.node_id);
  StoreDecisionLocked(p, input.idempotency_key, latency_s, std::move(*decided));
  lock.unlock();
  if (hook_) hook_(policy_name, "placed", latency_s, p.explored);
  return p;
}

Result<Ranking> Placer::Rank(const PlaceInput& input) {
  Ranking ranking;
  ranking.policy = input.policy.empty() ? options_.default_policy : input.policy;
  TAILOR_ASSIGN_OR_RETURN(ranking.function,
                          functions_.Resolve(input.function_name, input.function_version));
  models::PlacementRequest request = RequestOf(input, ranking.function);
  request.score_every_node = true;

  TAILOR_ASSIGN_OR_RETURN(PolicySlot * slot, Slot(ranking.policy));
  std::lock_guard lock(mu_);
  request.warm_node_ids = warm_.NodesOf(ranking.function.name(), ranking.function.version());
  std::lock_guard policy_lock(*slot->mu);
  auto decided = slot->policy->Decide(request, index_);
  if (!decided.ok()) {
    if (decided.status().reason() != ErrorReason::kNoCapacity &&
        decided.status().reason() != ErrorReason::kDoesNotFit) {
      return decided.status();
    }
    ranking.allocation = models::EffectiveAllocation(
        request, slot->policy->AdviseAllocation(request.function, index_));
    ranking.nodes = ReasonsLocked(request, *slot->policy, input.candidate_node_ids);
  } else {
    ranking.allocation = decided->allocation;
    ranking.nodes.reserve(decided->candidates.size());
    for (auto& c : decided->candidates) {
      // Scoring every node, the policy said which ones were not asked about.
      if (c.why == models::Ineligible::kNotCandidate) continue;
      ranking.nodes.push_back({std::move(c.node_id), std::move(c.host_class), c.eligible, c.why,
                               std::move(c.reason), c.eligible ? c.score : 0,
                               TermOf(c, "predicted_ms")});
    }
  }
  SortRanking(ranking.nodes);
  return ranking;
}

std::vector<models::Ineligibility> Placer::ClassReasonsLocked(
    const models::PlacementRequest& request) {
  // A class's reason is the same for each of its nodes: judged once per class.
  std::vector<models::Ineligibility> reasons;
  reasons.reserve(index_.classes().size());
  for (const auto& cls : index_.classes()) {
    reasons.push_back(models::ClassIneligibility(request, cls.info));
  }
  return reasons;
}

models::Ineligibility Placer::ReasonOfSlotLocked(
    const models::PlacementRequest& request,
    const std::vector<models::Ineligibility>& class_reasons, const models::Allocation& allocation,
    uint32_t slot) {
  const models::Ineligibility& class_reason = class_reasons[index_.class_index(slot)];
  return class_reason.empty()
             ? models::CandidateIneligibility(request, index_.node(slot), allocation)
             : class_reason;
}

std::vector<RankedNode> Placer::ReasonsLocked(const models::PlacementRequest& request,
                                              models::PlacementPolicy& policy,
                                              const std::vector<std::string>& asked) {
  const models::Allocation allocation =
      models::EffectiveAllocation(request, policy.AdviseAllocation(request.function, index_));
  const std::vector<models::Ineligibility> class_reasons = ClassReasonsLocked(request);
  std::vector<RankedNode> nodes;
  nodes.reserve(asked.empty() ? index_.size() : asked.size());
  auto judge = [&](uint32_t slot) {
    models::Ineligibility reason = ReasonOfSlotLocked(request, class_reasons, allocation, slot);
    // The class's own copy of its name: the node's lies elsewhere in memory.
    nodes.push_back({index_.node(slot).node_id,
                     index_.classes()[index_.class_index(slot)].info.name, reason.empty(),
                     reason.why, std::move(reason.text), 0, 0});
  };
  if (asked.empty()) {
    for (uint32_t slot = 0; slot < index_.slot_count(); ++slot) {
      if (index_.live(slot)) judge(slot);
    }
    return nodes;
  }
  // Those Tailor does not know are left out, a node given twice is judged once.
  std::unordered_set<uint32_t> judged;
  judged.reserve(asked.size());
  for (const auto& id : asked) {
    const std::optional<uint32_t> slot = index_.SlotOf(id);
    if (slot && judged.insert(*slot).second) judge(*slot);
  }
  return nodes;
}

std::string Placer::NodeIdOfReported(const std::string& name) {
  std::lock_guard lock(mu_);
  return index_.Find(name) != nullptr ? name : kubernetes_.NodeIdOf(name);
}

Result<std::vector<NodeVerdict>> Placer::JudgeKubernetesNodes(
    const PlaceInput& input, const KubernetesNodes::NameList& kubernetes_names, bool scored) {
  const std::string policy_name = input.policy.empty() ? options_.default_policy : input.policy;
  TAILOR_ASSIGN_OR_RETURN(v1::FunctionVersion fn,
                          functions_.Resolve(input.function_name, input.function_version));
  // Every node is scored (a node's score does not depend on which others were asked about);
  // the named ones are picked out by slot, without a set of thousands of names.
  models::PlacementRequest request = RequestOf(input, fn, /*with_candidates=*/false);
  request.score_every_node = scored;
  request.candidates_by_slot = true;  // picked out by slot below
  TAILOR_ASSIGN_OR_RETURN(PolicySlot * slot, Slot(policy_name));
  std::lock_guard lock(mu_);
  const std::vector<uint32_t> slots = kubernetes_.SlotsOf(kubernetes_names, index_);
  request.warm_node_ids = warm_.NodesOf(fn.name(), fn.version());
  std::lock_guard policy_lock(*slot->mu);
  std::vector<NodeVerdict> verdicts(kubernetes_names->size());
  if (scored) {
    auto decided = slot->policy->Decide(request, index_);
    if (decided.ok()) {
      VerdictsOfCandidates(decided->candidates, slots, index_.slot_count(), verdicts);
      return verdicts;
    }
    if (decided.status().reason() != ErrorReason::kNoCapacity &&
        decided.status().reason() != ErrorReason::kDoesNotFit) {
      return decided.status();
    }
  }
  // Not scored, or no node is eligible: each named node's reason.
  const models::Allocation allocation = models::EffectiveAllocation(
      request, slot->policy->AdviseAllocation(request.function, index_));
  const std::vector<models::Ineligibility> class_reasons = ClassReasonsLocked(request);
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] == KubernetesNodes::kNoSlot) continue;
    models::Ineligibility reason = ReasonOfSlotLocked(request, class_reasons, allocation, slots[i]);
    verdicts[i] = {true, reason.empty(), reason.why, std::move(reason.text), 0};
  }
  return verdicts;
}

std::optional<Placement> Placer::ReplayLocked(const std::string& function, const std::string& key) {
  auto it = by_idempotency_key_.find(function + std::string(1, '\0') + key);
  if (it == by_idempotency_key_.end()) return std::nullopt;
  Placement p = *decisions_.at(it->second).placement;
  p.replayed = true;
  return p;
}

void Placer::ReserveLocked(const Placement& p, const v1::FunctionVersion& fn) {
  // Hold the capacity until the run ends (or its timeout plus grace passes).
  Reservation r;
  r.node_id = p.node_id;
  r.resources = {p.allocation.memory_limit_bytes(), p.allocation.cpu_millicores()};
  r.expires = clock_.MonotonicNow() + std::chrono::milliseconds(fn.timeout_ms()) +
              options_.reservation_grace;
  models::Resources held = index_.Find(p.node_id)->allocated;
  held.memory_bytes += r.resources.memory_bytes;
  held.cpu_millicores += r.resources.cpu_millicores;
  index_.SetAllocated(p.node_id, held);
  index_.MarkChosen(p.node_id);
  expiries_.emplace(r.expires, p.decision_id);
  reservations_[p.decision_id] = r;
}

void Placer::StoreDecisionLocked(const Placement& p, const std::string& idempotency_key,
                                 double latency_s, models::PlacementDecision decision) {
  // Keep what Explain needs; the response message is built only when asked for.
  StoredDecision stored;
  stored.function = p.function.name();
  stored.policy = p.policy;
  stored.decided_unix_ms = ToUnixMillis(clock_.WallNow());
  stored.latency_us = latency_s * 1e6;
  stored.allocation = p.allocation;
  stored.decision = std::move(decision);
  if (!idempotency_key.empty()) {
    stored.placement = std::make_unique<Placement>(p);
    stored.idempotency_key = p.function.name() + std::string(1, '\0') + idempotency_key;
    by_idempotency_key_[stored.idempotency_key] = p.decision_id;
  }
  decisions_[p.decision_id] = std::move(stored);
  decision_order_.push_back(p.decision_id);
  while (decision_order_.size() > options_.max_decisions) {
    if (auto old = decisions_.find(decision_order_.front()); old != decisions_.end()) {
      if (!old->second.idempotency_key.empty()) {
        by_idempotency_key_.erase(old->second.idempotency_key);
      }
      decisions_.erase(old);
    }
    decision_order_.pop_front();
  }
}

bool Placer::ReleaseLocked(const std::string& decision_id) {
  auto it = reservations_.find(decision_id);
  if (it == reservations_.end()) return false;
  if (const models::NodeView* node = index_.Find(it->second.node_id)) {
    models::Resources held = node->allocated;
    held.memory_bytes -= std::min(held.memory_bytes, it->second.resources.memory_bytes);
    held.cpu_millicores -= std::min(held.cpu_millicores, it->second.resources.cpu_millicores);
    index_.SetAllocated(it->second.node_id, held);
  }
  reservations_.erase(it);
  return true;
}

bool Placer::Release(const std::string& decision_id) {
  bool released;
  {
    std::lock_guard lock(mu_);
    released = ReleaseLocked(decision_id);
  }
  if (released) CapacityFreed();
  return released;
}

uint32_t Placer::DropReservationsOf(const std::string& node_id) {
  uint32_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    for (auto it = reservations_.begin(); it != reservations_.end();) {
      if (it->second.node_id == node_id) {
        it = reservations_.erase(it);
        ++dropped;
      } else {
        ++it;
      }
    }
  }
  if (dropped > 0) CapacityFreed();
  return dropped;
}

Status Placer::CheckReportDecision(const v1::RunReport& report) {
  if (report.decision_id().empty()) return OkStatus();
  auto refuse = [](std::string why) {
    return InvalidArgumentError("report.decision_id " + why).WithField("report.decision_id");
  };
  if (!ids_.IssuedHere(report.decision_id())) return refuse("was not issued by this scheduler");
  std::lock_guard lock(mu_);
  auto it = decisions_.find(report.decision_id());
  if (it == decisions_.end()) return OkStatus();  // older than the decisions kept
  if (it->second.function != report.function_name()) {
    return refuse("was made for another function");
  }
  if (it->second.decision.node_id != report.node_id()) return refuse("chose another node");
  return OkStatus();
}

Result<v1::Allocation> Placer::Advise(const std::string& function_name) {
  TAILOR_ASSIGN_OR_RETURN(v1::FunctionVersion fn, functions_.Resolve(function_name, ""));
  TAILOR_ASSIGN_OR_RETURN(PolicySlot * slot, Slot(options_.default_policy));
  std::lock_guard lock(mu_);
  std::lock_guard policy_lock(*slot->mu);
  const models::Allocation a = slot->policy->AdviseAllocation(InfoOf(fn), index_);
  v1::Allocation out;
  out.set_memory_limit_bytes(a.memory_limit_bytes);
  out.set_cpu_millicores(a.cpu_millicores);
  out.set_cache_ways(a.cache_ways);
  return out;
}

namespace {

// Whether a run left its warm instance up: a Lambda run whose runtime answered (a response or
// a handler error) without its process ending.
bool LeftInstanceWarm(const v1::RunReport& r) {
  return (r.start_kind() == v1::START_KIND_COLD || r.start_kind() == v1::START_KIND_WARM) &&
         (r.outcome() == v1::RUN_OUTCOME_SUCCEEDED ||
          r.outcome() == v1::RUN_OUTCOME_FUNCTION_ERROR) &&
         r.exit_code() == 0 && r.term_signal() == 0;
}

}  // namespace

void Placer::Observe(const v1::RunReport& report, const std::string& host_class) {
  if (LeftInstanceWarm(report)) {
    std::lock_guard lock(mu_);
    warm_.Returned(report.function_name(), report.function_version(), report.node_id());
  }
  if (!report.decision_id().empty()) {
    std::string policy;
    double predicted_ms = 0;
    const double measured_ms = report.wall_time_us() / 1000.0;
    bool released;
    {
      std::lock_guard lock(mu_);
      released = ReleaseLocked(report.decision_id());
      if (auto it = decisions_.find(report.decision_id()); it != decisions_.end()) {
        StoredDecision& stored = it->second;
        stored.reported = true;
        stored.measured_ms = measured_ms;
        stored.outcome = report.outcome();
        policy = stored.policy;
        predicted_ms = stored.decision.predicted_duration_ms;
      }
    }
    if (released) CapacityFreed();
    if (prediction_hook_ && predicted_ms > 0 && report.outcome() == v1::RUN_OUTCOME_SUCCEEDED) {
      prediction_hook_(policy, predicted_ms, measured_ms);
    }
  }
  Learn(report, host_class);
}

void Placer::Learn(const v1::RunReport& report, const std::string& host_class) {
  models::RunObservation o = ObservationOf(report, host_class);
  {
    std::lock_guard lock(mu_);
    if (const auto* cls = index_.FindClass(host_class)) o.class_features = cls->feature_vector;
  }
  {
    std::lock_guard held_lock(held_mu_);
    if (holding_learning_) {
      held_runs_.push_back(std::move(o));
      return;
    }
  }
  LearnNow(o);
}

void Placer::HoldLearning() {
  std::lock_guard held_lock(held_mu_);
  holding_learning_ = true;
}

void Placer::ResumeLearning() {
  for (;;) {
    std::vector<models::RunObservation> runs;
    {
      std::lock_guard held_lock(held_mu_);
      if (held_runs_.empty()) {
        holding_learning_ = false;
        return;
      }
      runs.swap(held_runs_);
    }
    // Still holding: runs that come meanwhile queue behind these.
    for (const models::RunObservation& run : runs) LearnNow(run);
  }
}

void Placer::LearnNow(const models::RunObservation& o) {
  // One policy at a time, each under its lock: decisions with the others go on.
  for (auto& [name, slot] : policies_) {
    std::unique_ptr<models::DeferredLearning> slow;
    {
      std::lock_guard policy_lock(*slot->mu);
      slot->policy->Observe(o);
      slow = slot->policy->TakeDeferredLearning();
    }
    if (slow == nullptr) continue;
    // On this reporting thread, without the policy's lock: the policy decides meanwhile on
    // what it learned before.
    slow->Run();
    std::lock_guard policy_lock(*slot->mu);
    slot->policy->InstallDeferredLearning(std::move(slow));
  }
}

std::map<std::string, std::string> Placer::SaveStates() {
  std::map<std::string, std::string> states;
  for (const auto& [name, slot] : policies_) {
    std::unique_ptr<models::StateSave> save;
    {
      std::lock_guard policy_lock(*slot->mu);
      save = slot->policy->StartSave();
    }
    for (bool saved = false; !saved;) {
      std::lock_guard policy_lock(*slot->mu);
      saved = save->WriteSome(kSaveFunctionsPerPart);
    }
    std::string state = std::move(*save).Take();
    if (!state.empty()) states[name] = std::move(state);
  }
  return states;
}

Status Placer::RestoreState(const std::string& policy, const std::string& state) {
  auto it = policies_.find(policy);
  if (it == policies_.end()) return InvalidArgumentError("no policy '" + policy + "'");
  std::lock_guard policy_lock(*it->second->mu);
  return it->second->policy->RestoreState(state);
}

Result<v1::ExplainResponse> Placer::Explain(const std::string& decision_id) {
  std::lock_guard lock(mu_);
  auto it = decisions_.find(decision_id);
  if (it == decisions_.end()) {
    return NotFoundError("no decision '" + decision_id + "' (unknown, or older than the newest " +
                         std::to_string(options_.max_decisions) + " decisions kept)");
  }
  const StoredDecision& s = it->second;
  const models::PlacementDecision& d = s.decision;
  v1::ExplainResponse e;
  e.set_decision_id(decision_id);
  e.set_function_name(s.function);
  e.set_policy(s.policy);
  e.set_chosen_node_id(d.node_id);
  e.set_explored(d.explored);
  e.set_decided_unix_ms(s.decided_unix_ms);
  e.set_decision_latency_us(s.latency_us);
  *e.mutable_allocation() = s.allocation;
  e.set_predicted_duration_ms(d.predicted_duration_ms);
  for (const auto& c : d.candidates) {
    auto* ce = e.add_candidates();
    ce->set_node_id(c.node_id);
    ce->set_host_class(c.host_class);
    ce->set_eligible(c.eligible);
    ce->set_reason(c.reason);
    ce->set_score(c.score);
    for (const auto& [term, value] : c.terms) (*ce->mutable_terms())[term] = value;
  }
  return e;
}

v1::ListDecisionsResponse Placer::ListDecisions(size_t limit, const std::string& function) {
  v1::ListDecisionsResponse out;
  std::lock_guard lock(mu_);
  out.set_decisions_kept(decision_order_.size());
  for (auto id = decision_order_.rbegin(); id != decision_order_.rend(); ++id) {
    if (static_cast<size_t>(out.decisions_size()) >= limit) break;
    const StoredDecision& s = decisions_.at(*id);
    if (!function.empty() && s.function != function) continue;
    auto* d = out.add_decisions();
    d->set_decision_id(*id);
    d->set_function_name(s.function);
    d->set_policy(s.policy);
    d->set_node_id(s.decision.node_id);
    d->set_explored(s.decision.explored);
    d->set_decided_unix_ms(s.decided_unix_ms);
    d->set_decision_latency_us(s.latency_us);
    d->set_predicted_duration_ms(s.decision.predicted_duration_ms);
    *d->mutable_allocation() = s.allocation;
    d->set_reported(s.reported);
    d->set_measured_duration_ms(s.measured_ms);
    d->set_outcome(s.outcome);
  }
  return out;
}

void Placer::Sweep() {
  const auto now = clock_.MonotonicNow();
  bool released = false;
  {
    std::lock_guard lock(mu_);
    while (!expiries_.empty() && expiries_.top().first <= now) {
      const std::string id = expiries_.top().second;
      expiries_.pop();
      released |= ReleaseLocked(id);  // a no-op when the run already released it
    }
  }
  if (released) CapacityFreed();
}

models::Resources Placer::Held(const std::string& node_id) {
  std::lock_guard lock(mu_);
  const models::NodeView* node = index_.Find(node_id);
  return node == nullptr ? models::Resources{} : node->allocated;
}

}  // namespace tailor::scheduler
