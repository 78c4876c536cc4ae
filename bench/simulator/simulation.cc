#include "bench/simulator/simulation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "common/file_util.h"
#include "models/cluster_index.h"

namespace tailor::sim {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

double ToUnit(uint64_t bits) { return ((bits >> 11) + 0.5) * (1.0 / 9007199254740992.0); }

// The manifest hint an operator who knows a function's kind writes (what static-rules' rules
// and Tailor's policies read).
std::vector<std::string> PreferredFeatures(FunctionKind kind) {
  switch (kind) {
    case FunctionKind::kCrypto:
      return {"aes"};
    case FunctionKind::kHashing:
      return {"sha_ni"};
    case FunctionKind::kVector:
      return {"avx2", "avx512f"};
    case FunctionKind::kCache:
      return {std::string(models::kLargeL3Hint)};
    case FunctionKind::kMemory:
      return {std::string(models::kMemoryBandwidthHint)};
    default:
      return {};
  }
}

constexpr double kMsPerMinute = 60000.0;
constexpr double kMsPerHour = 3600000.0;
constexpr double kMib = 1024.0 * 1024.0;

struct SimNode {
  std::string id;
  uint32_t class_index = 0;  // into the cluster spec
  models::Resources capacity;
  models::Resources allocated;
  uint32_t running = 0;
  std::vector<uint64_t> active_minutes;  // bitset
  std::vector<uint32_t> run_slots;       // its runs in flight (processor sharing only)
  int pool = HostClassSpec::kNoPool;     // the cores it shares with other hosts, if any
};

struct Run {
  uint32_t invocation = 0;
  uint32_t node = 0;
  models::Allocation allocation;
  double start_ms = 0, end_ms = 0;
  double cold_ms = 0;  // the cold start this run paid (0: warm, or no instance model)
  double peak_mib = 0;
  uint64_t payload_bytes = 0;
  bool oom = false;
  uint32_t running_at_start = 0;
  double share_at_start = 0;
  // Processor sharing (SimulationInput::processor_sharing): the work left (ms at full speed)
  // as of `progress_ms`, the speed since then (1 / (1 + interference x co-runners' share)),
  // and the version of its end event (an end event of an older version is stale).
  double work_left_ms = 0;
  double progress_ms = 0;
  double speed = 1;
  double cpu_cores = 0;  // the cores it keeps busy (its pool's demand; processor sharing only)
  // In a core pool: the share of its cores it has got since `progress_ms`, and the time before
  // that it went without them (its CPU time is its cores over its run less that).
  double pool_share = 1;
  double starved_ms = 0;
  uint64_t version = 0;
};

class Simulator {
 public:
  Simulator(const SimulationInput& in, models::PlacementPolicy& policy) : in_(in), policy_(policy) {
    const auto& classes = in.cluster->classes;
    pool_nodes_.resize(in.cluster->pools.size());
    pool_demand_cores_.assign(in.cluster->pools.size(), 0.0);
    for (uint32_t c = 0; c < classes.size(); ++c) {
      for (uint32_t k = 0; k < classes[c].count; ++k) {
        SimNode n;
        n.id = classes[c].info.name + "-" + std::to_string(k);
        n.class_index = c;
        n.pool = classes[c].pool;
        n.capacity = {classes[c].memory_bytes, classes[c].info.cores * 1000};
        models::NodeView v;
        v.node_id = n.id;
        v.host_class = classes[c].info.name;
        v.features = classes[c].info.features;
        v.capacity = n.capacity;
        // A simulated agent starts every run the scheduler admits (allocations limit them, not
        // a concurrency cap): no run ever waits in an agent's queue.
        v.max_concurrent_runs = std::numeric_limits<uint32_t>::max();
        index_.Upsert(std::move(v), AsReported(classes[c].info));
        node_of_[n.id] = static_cast<uint32_t>(nodes_.size());
        if (n.pool != HostClassSpec::kNoPool) {
          pool_nodes_[n.pool].push_back(static_cast<uint32_t>(nodes_.size()));
        }
        nodes_.push_back(std::move(n));
      }
      class_features_.push_back(models::HostFeatureVector(AsReported(classes[c].info)));
    }
    const auto& truth = *in.truth;
    infos_.resize(truth.size());
    for (size_t f = 0; f < truth.size(); ++f) {
      infos_[f].name = truth[f].name;
      infos_[f].memory_hint_bytes = static_cast<uint64_t>(truth[f].declared_mib * kMib);
      if (in.hints) infos_[f].preferred_features = PreferredFeatures(truth[f].kind);
    }
    const size_t n = in.arrivals->size();
    out_.policy = std::string(policy.name());
    out_.latency_ms.assign(n, std::numeric_limits<float>::quiet_NaN());
    out_.run_ms.assign(n, std::numeric_limits<float>::quiet_NaN());
    out_.function_of.resize(n);
    for (size_t i = 0; i < n; ++i) out_.function_of[i] = (*in.arrivals)[i].function;
    out_.runs_by_class.assign(classes.size(), 0);
    out_.host_hours_by_class.assign(classes.size(), 0);
    attempts_.assign(n, 0);
    retry_due_ms_.assign(n, kNoRetry);
  }

  // What a host of the class tells the scheduler about itself.
  static models::HostClassInfo AsReported(models::HostClassInfo info) {
    info.speed_factor = 1.0;
    return info;
  }

  PolicyRun Run() {
    const auto started = std::chrono::steady_clock::now();
    const auto& arrivals = *in_.arrivals;
    size_t next = 0;
    std::vector<ClassFailure> failures = in_.failures;
    std::sort(failures.begin(), failures.end(),
              [](const auto& a, const auto& b) { return a.at_ms < b.at_ms; });
    size_t next_failure = 0;
    while (next < arrivals.size() || !ends_.empty() || !retries_.empty()) {
      const double arrival_ms =
          next < arrivals.size() ? arrivals[next].time_ms : std::numeric_limits<double>::infinity();
      const double end_ms =
          ends_.empty() ? std::numeric_limits<double>::infinity() : ends_.top().at_ms;
      if (next_failure < failures.size() && failures[next_failure].at_ms <= arrival_ms &&
          failures[next_failure].at_ms < end_ms) {
        FailClass(failures[next_failure++]);
      } else if (!retries_.empty() && retries_.top().first <= arrival_ms &&
                 retries_.top().first < end_ms) {
        const auto [at_ms, invocation] = retries_.top();
        retries_.pop();
        Retry(invocation, at_ms);
      } else if (!ends_.empty() && ends_.top().at_ms <= arrival_ms) {
        const End end = ends_.top();
        ends_.pop();
        const uint32_t slot = end.slot;
        if (runs_[slot].version != end.version) continue;  // rescheduled since
        Complete(slot);
        DrainQueue(runs_[slot].end_ms);
        free_.push_back(slot);
      } else {
        const auto invocation = static_cast<uint32_t>(next++);
        if (Start outcome = TryStart(invocation, arrival_ms); outcome == Start::kNoRoomNow) {
          Wait(invocation, arrival_ms);
        } else if (outcome == Start::kNeverFits) {
          ++out_.failed;
        }
      }
    }
    out_.failed += queue_.size();  // nothing left to free room for them
    for (const auto& node : nodes_) {
      uint64_t minutes = 0;
      for (uint64_t word : node.active_minutes) minutes += __builtin_popcountll(word);
      out_.host_hours += minutes / 60.0;
      out_.host_hours_by_class[node.class_index] += minutes / 60.0;
      out_.active_core_hours += minutes / 60.0 * in_.cluster->classes[node.class_index].info.cores;
    }
    out_.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return std::move(out_);
  }

 private:
  void Wait(uint32_t invocation, double now_ms) {
    RetryLater(invocation, now_ms);
    if (Stranded(invocation)) {
      ++out_.failed;
      return;
    }
    if (attempts_[invocation] == 0) ++out_.waited;
    queue_.push_back(invocation);
  }

  // A refused invocation no event will ask again: nothing runs (no completion will make room)
  // and its refusal set no retry.
  bool Stranded(uint32_t invocation) const {
    return total_running_ == 0 && retry_due_ms_[invocation] == kNoRetry;
  }

  // The invocation was just refused: it is asked again when that refusal's retry hint passes,
  // and a refusal without one cancels the retry an earlier refusal set, as the gateway's
  // admission queue keeps only each waiter's last hint (a retry event already queued for an
  // older hint is then skipped).
  void RetryLater(uint32_t invocation, double now_ms) {
    retry_due_ms_[invocation] = retry_after_ms_ > 0 ? now_ms + retry_after_ms_ : kNoRetry;
    if (retry_after_ms_ > 0) retries_.push({retry_due_ms_[invocation], invocation});
  }

  // A retry event came due: the invocation is asked again if it still waits and the event is
  // for its last refusal's hint.
  void Retry(uint32_t invocation, double now_ms) {
    if (retry_due_ms_[invocation] != now_ms) return;  // a later refusal moved or cancelled it
    retry_due_ms_[invocation] = kNoRetry;
    const auto it = std::find(queue_.begin(), queue_.end(), invocation);
    if (it == queue_.end()) return;  // placed since
    const Start outcome = TryStart(invocation, now_ms);
    if (outcome == Start::kStarted) {
      queue_.erase(it);
    } else if (outcome == Start::kNeverFits) {
      ++out_.failed;
      queue_.erase(it);
    } else {
      RetryLater(invocation, now_ms);
      if (Stranded(invocation)) {
        ++out_.failed;
        queue_.erase(it);
      }
    }
  }

  // After a completion, waiting invocations try again, in order, up to kTriesPerCompletion
  // decisions; one that still finds no room keeps its place without blocking those behind it,
  // and later calls of a function that just found no room are passed over (they would find
  // none either), so one large function cannot hold back the small ones queued behind it.
  void DrainQueue(double now_ms) {
    constexpr size_t kTriesPerCompletion = 64;
    size_t tried = 0;
    refused_.clear();
    for (auto it = queue_.begin(); it != queue_.end() && tried < kTriesPerCompletion;) {
      const uint32_t f = (*in_.arrivals)[*it].function;
      if (std::find(refused_.begin(), refused_.end(), f) != refused_.end()) {
        ++it;
        continue;
      }
      ++tried;
      const Start outcome = TryStart(*it, now_ms);
      if (outcome == Start::kStarted) {
        it = queue_.erase(it);
      } else if (outcome == Start::kNeverFits) {
        ++out_.failed;
        it = queue_.erase(it);
      } else {
        refused_.push_back(f);
        RetryLater(*it, now_ms);
        ++it;
      }
    }
    if (total_running_ == 0) {  // then those no retry will ask again never start
      const size_t before = queue_.size();
      std::erase_if(queue_, [&](uint32_t invocation) { return Stranded(invocation); });
      out_.failed += before - queue_.size();
    }
  }

  enum class Start { kStarted, kNoRoomNow, kNeverFits };

  Start TryStart(uint32_t invocation, double now_ms) {
    const uint32_t f = (*in_.arrivals)[invocation].function;
    const FunctionTruth& truth = (*in_.truth)[f];
    request_.function = infos_[f];
    const double payload_kib = truth.PayloadKib(InvocationPayloadNormal(in_.seed, invocation));
    request_.payload_bytes = static_cast<uint64_t>(payload_kib * 1024);
    // A call the policy declines waits in the queue (Wait) and is asked again as runs end, or
    // when the refusal's retry hint passes (Retry).
    request_.caller_wait = models::PlacementRequest::CallerWait{
        .waited_ms = now_ms - (*in_.arrivals)[invocation].time_ms};
    DeliverReports(now_ms);
    if (warm_model()) request_.warm_node_ids = WarmNodes(f, now_ms);
    const auto t0 = std::chrono::steady_clock::now();
    auto decided = policy_.Decide(request_, index_);
    out_.decide_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++out_.decisions;
    retry_after_ms_ = decided.ok() ? 0.0 : double(decided.status().retry_after().count());
    if (!decided.ok()) {
      // Typed: FAILED_PRECONDITION means no node could ever take it (eligibility.h).
      return decided.status().code() == StatusCode::kFailedPrecondition ? Start::kNeverFits
                                                                        : Start::kNoRoomNow;
    }
    auto found = node_of_.find(decided->node_id);
    if (found == node_of_.end()) return Start::kNeverFits;
    SimNode& node = nodes_[found->second];
    const auto& cls = in_.cluster->classes[node.class_index].info;
    models::Allocation a = decided->allocation;
    if (a.memory_limit_bytes == 0) a.memory_limit_bytes = infos_[f].memory_hint_bytes;
    if (a.cpu_millicores == 0) a.cpu_millicores = 1000;

    const uint32_t slot = NewRunSlot();
    ::tailor::sim::Run& r = runs_[slot];
    r.invocation = invocation;
    r.node = found->second;
    r.allocation = a;
    r.start_ms = now_ms;
    r.payload_bytes = request_.payload_bytes;
    r.running_at_start = node.running;
    r.share_at_start = models::AllocatedCpuShare(node.allocated, node.capacity);
    // Under processor sharing the co-runners' interference is applied as they come and go
    // (Reschedule), not fixed from the share at the start.
    const double fixed_share = in_.processor_sharing ? 0.0 : r.share_at_start;
    double wall =
        truth.ExpectedMs(cls, fixed_share, a.cpu_millicores) *
        (found->second < in_.node_slowness.size() ? in_.node_slowness[found->second] : 1.0) *
        DegradationFactor(in_.degradations, node.class_index, now_ms) *
        truth.PayloadFactor(payload_kib) *
        std::exp(truth.noise_sd_log * InvocationNormal(in_.seed, invocation));
    r.peak_mib = truth.MemoryMibAt(InvocationUniform(in_.seed, invocation));
    const double limit_mib = a.memory_limit_bytes / kMib;
    r.oom = r.peak_mib > limit_mib;
    if (r.oom) wall *= std::clamp(limit_mib / r.peak_mib, 0.05, 1.0);  // killed on the way up
    r.cold_ms = 0;  // the slot may be a reused one
    if (warm_model() && !TakeIdle(f, found->second, now_ms)) {
      r.cold_ms = in_.cold_start_ms;
      ++out_.cold_starts;
    }
    r.end_ms = now_ms + r.cold_ms + std::max(0.01, wall);
    r.work_left_ms = std::max(0.01, wall);
    r.progress_ms = now_ms + r.cold_ms;  // work starts once the instance has started
    r.speed = 1;
    r.pool_share = 1;
    r.starved_ms = 0;

    node.allocated.memory_bytes += a.memory_limit_bytes;
    node.allocated.cpu_millicores += a.cpu_millicores;
    ++node.running;
    ++total_running_;
    index_.SetUsage(node.id, node.allocated, node.running);
    index_.MarkChosen(node.id);
    if (decided->explored) ++out_.explored;
    node.run_slots.push_back(slot);
    if (in_.processor_sharing) {
      r.cpu_cores = std::min(truth.cpu_cores, a.cpu_millicores / 1000.0);
      if (node.pool != HostClassSpec::kNoPool) pool_demand_cores_[node.pool] += r.cpu_cores;
      RescheduleAround(node, now_ms);
    } else {
      r.version = ++versions_;
      ends_.push({r.end_ms, slot, r.version});
    }
    return Start::kStarted;
  }

  // The class's hosts are gone: the scheduler sees them unhealthy; their runs in flight are
  // lost (their end events go stale) and placed again at once.
  void FailClass(const ClassFailure& failure) {
    std::vector<uint32_t> lost;
    for (SimNode& node : nodes_) {
      if (node.class_index != failure.class_index) continue;
      index_.SetHealthy(node.id, false);
      for (const uint32_t slot : node.run_slots) {
        ::tailor::sim::Run& r = runs_[slot];
        r.version = ++versions_;
        MarkActive(node, r.start_ms, failure.at_ms);
        lost.push_back(r.invocation);
        if (node.pool != HostClassSpec::kNoPool) pool_demand_cores_[node.pool] -= r.cpu_cores;
        free_.push_back(slot);
        --total_running_;
        ++out_.lost_runs;
      }
      node.run_slots.clear();
      node.running = 0;
      node.allocated = {};
      index_.SetUsage(node.id, node.allocated, node.running);
      // The pool's other hosts get the cores back.
      if (in_.processor_sharing) RescheduleAround(node, failure.at_ms);
    }
    for (const uint32_t invocation : lost) {
      if (Start outcome = TryStart(invocation, failure.at_ms); outcome == Start::kNoRoomNow) {
        Wait(invocation, failure.at_ms);
      } else if (outcome == Start::kNeverFits) {
        ++out_.failed;
      }
    }
  }

  // Processor sharing: every run on `node`, or on every host of its pool, takes the speed its
  // co-runners now leave it (Reschedule).
  void RescheduleAround(SimNode& node, double now_ms) {
    if (node.pool == HostClassSpec::kNoPool) return Reschedule(node, now_ms);
    for (const uint32_t n : pool_nodes_[node.pool]) Reschedule(nodes_[n], now_ms);
  }

  // The share of the cores they want that a pool's runs get (1 for a host with its own).
  double PoolSpeed(int pool) const {
    if (pool == HostClassSpec::kNoPool) return 1.0;
    const double demand = pool_demand_cores_[pool];
    const double cores = in_.cluster->pools[pool].cores;
    return demand > cores ? cores / demand : 1.0;
  }

  // Processor sharing: every run on `node` advances at its speed until `now_ms`, then takes
  // the speed the node's co-runners (and its pool's) now leave it, and its end moves
  // accordingly.
  void Reschedule(SimNode& node, double now_ms) {
    const double capacity = std::max(1u, node.capacity.cpu_millicores);
    const double pool_speed = PoolSpeed(node.pool);
    for (const uint32_t slot : node.run_slots) {
      ::tailor::sim::Run& r = runs_[slot];
      if (now_ms > r.progress_ms) {
        r.work_left_ms = std::max(0.0, r.work_left_ms - (now_ms - r.progress_ms) * r.speed);
        r.starved_ms += (now_ms - r.progress_ms) * (1 - r.pool_share);
        r.progress_ms = now_ms;
      }
      r.pool_share = pool_speed;
      const double others =
          double(node.allocated.cpu_millicores - r.allocation.cpu_millicores) / capacity;
      const double interference = (*in_.truth)[(*in_.arrivals)[r.invocation].function].interference;
      r.speed = pool_speed / (1 + interference * std::clamp(others, 0.0, 1.0));
      r.end_ms = r.progress_ms + r.work_left_ms / r.speed;
      r.version = ++versions_;
      ends_.push({r.end_ms, slot, r.version});
    }
  }

  uint32_t NewRunSlot() {
    if (!free_.empty()) {
      const uint32_t s = free_.back();
      free_.pop_back();
      return s;
    }
    runs_.emplace_back();
    return static_cast<uint32_t>(runs_.size() - 1);
  }

  void Complete(uint32_t slot) {
    const ::tailor::sim::Run r = runs_[slot];
    SimNode& node = nodes_[r.node];
    node.allocated.memory_bytes -= r.allocation.memory_limit_bytes;
    node.allocated.cpu_millicores -= r.allocation.cpu_millicores;
    --node.running;
    --total_running_;
    index_.SetUsage(node.id, node.allocated, node.running);
    std::erase(node.run_slots, slot);
    if (in_.processor_sharing) {
      if (node.pool != HostClassSpec::kNoPool) pool_demand_cores_[node.pool] -= r.cpu_cores;
      RescheduleAround(node, r.end_ms);
    }

    const Arrival& arrival = (*in_.arrivals)[r.invocation];
    const FunctionTruth& truth = (*in_.truth)[arrival.function];
    const double wall = r.end_ms - r.start_ms - r.cold_ms;
    const double cpu_cores = std::min(truth.cpu_cores, r.allocation.cpu_millicores / 1000.0);
    // A run starved of its pool's cores used them for less of its run, as a real one reports.
    const double starved_ms =
        r.starved_ms + std::max(0.0, r.end_ms - r.progress_ms) * (1 - r.pool_share);
    const double cpu_ms = std::max(0.0, wall - starved_ms) * cpu_cores;
    const double used_mib = r.oom ? r.allocation.memory_limit_bytes / kMib : r.peak_mib;
    MarkActive(node, r.start_ms, r.end_ms);
    out_.busy_core_hours += cpu_ms / kMsPerHour;
    out_.memory_allocated_gib_hours +=
        r.allocation.memory_limit_bytes / kMib / 1024 * wall / kMsPerHour;
    out_.memory_used_gib_hours += used_mib / 1024 * wall / kMsPerHour;

    const auto& cls = in_.cluster->classes[node.class_index].info;
    obs_.function = truth.name;
    obs_.node_id = node.id;
    obs_.host_class = cls.name;
    obs_.class_features = class_features_[node.class_index];
    obs_.payload_bytes = r.payload_bytes;
    obs_.wall_ms = wall;
    obs_.cpu_ms = cpu_ms;
    obs_.peak_memory_bytes = static_cast<uint64_t>(used_mib * kMib);
    obs_.memory_limit_bytes = r.allocation.memory_limit_bytes;
    obs_.cpu_quota_millicores = r.allocation.cpu_millicores;
    obs_.cpu_throttled_fraction =
        truth.cpu_cores * 1000.0 > r.allocation.cpu_millicores ? 1.0 : 0.0;
    obs_.oom_killed = r.oom;
    obs_.succeeded = !r.oom;
    obs_.cold_start_init_ms = r.cold_ms > 0 ? r.cold_ms : -1;
    if (warm_model() && !r.oom) idle_[arrival.function][r.node].push_back(r.end_ms);
    obs_.running_at_start = r.running_at_start;
    obs_.cpu_utilization_at_start = r.share_at_start;
    if (in_.report_lag_ms > 0) {
      reports_.push_back({r.end_ms + in_.report_lag_ms, obs_});
    } else {
      policy_.Observe(obs_);
    }

    if (r.oom) {
      ++out_.oom_kills;
      if (++attempts_[r.invocation] >= in_.max_attempts) {
        ++out_.failed;
      } else if (Start outcome = TryStart(r.invocation, r.end_ms); outcome == Start::kNoRoomNow) {
        Wait(r.invocation, r.end_ms);
      } else if (outcome == Start::kNeverFits) {
        ++out_.failed;
      }
      return;
    }
    out_.latency_ms[r.invocation] =
        static_cast<float>(r.end_ms - arrival.time_ms + in_.dispatch_ms);
    out_.run_ms[r.invocation] = static_cast<float>(wall);
    ++out_.runs_by_class[node.class_index];
  }

  bool warm_model() const { return in_.cold_start_ms > 0; }

  // Teaches the policy the lagging reports that have arrived by `now_ms` (in arrival order:
  // every report lags the same, and runs end in time order).
  void DeliverReports(double now_ms) {
    while (!reports_.empty() && reports_.front().first <= now_ms) {
      policy_.Observe(reports_.front().second);
      reports_.pop_front();
    }
  }

  // Whether the idle instance freed at `since` is still kept at `now_ms`.
  bool Kept(double since, double now_ms) const { return now_ms - since <= in_.keep_alive_s * 1000; }

  // The nodes holding an idle instance of function `f` (expired ones are dropped).
  std::unordered_set<std::string> WarmNodes(uint32_t f, double now_ms) {
    std::unordered_set<std::string> out;
    auto it = idle_.find(f);
    if (it == idle_.end()) return out;
    for (auto& [node, since] : it->second) {
      std::erase_if(since, [&](double t) { return !Kept(t, now_ms); });
      if (!since.empty()) out.insert(nodes_[node].id);
    }
    return out;
  }

  // Takes the newest idle instance of `f` on `node`, if one is still kept.
  bool TakeIdle(uint32_t f, uint32_t node, double now_ms) {
    auto it = idle_.find(f);
    if (it == idle_.end()) return false;
    auto n = it->second.find(node);
    if (n == it->second.end()) return false;
    std::erase_if(n->second, [&](double t) { return !Kept(t, now_ms); });
    if (n->second.empty()) return false;
    n->second.pop_back();
    return true;
  }

  static void MarkActive(SimNode& node, double start_ms, double end_ms) {
    const auto first = static_cast<size_t>(start_ms / kMsPerMinute);
    const auto last = static_cast<size_t>(end_ms / kMsPerMinute);
    if (node.active_minutes.size() * 64 <= last) node.active_minutes.resize(last / 64 + 1, 0);
    for (size_t m = first; m <= last; ++m) node.active_minutes[m / 64] |= 1ull << (m % 64);
  }

  const SimulationInput& in_;
  models::PlacementPolicy& policy_;
  models::ClusterIndex index_;
  std::vector<SimNode> nodes_;
  std::vector<std::vector<uint32_t>> pool_nodes_;  // each pool's hosts, into nodes_
  std::vector<double> pool_demand_cores_;          // cores each pool's runs want (sharing only)
  std::unordered_map<std::string, uint32_t> node_of_;
  std::vector<std::vector<double>> class_features_;
  std::vector<models::FunctionInfo> infos_;
  std::vector<uint8_t> attempts_;
  std::vector<::tailor::sim::Run> runs_;
  std::vector<uint32_t> free_;
  struct End {
    double at_ms = 0;
    uint32_t slot = 0;
    uint64_t version = 0;
    bool operator>(const End& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms
             : slot != o.slot ? slot > o.slot
                              : version > o.version;
    }
  };
  std::priority_queue<End, std::vector<End>, std::greater<End>> ends_;
  // Waiting invocations whose refusal carried a retry hint, and when the hint passes: they are
  // asked again then even if no run ends, as the gateway's admission queue asks them.
  using RetryAt = std::pair<double, uint32_t>;  // at_ms, invocation
  std::priority_queue<RetryAt, std::vector<RetryAt>, std::greater<RetryAt>> retries_;
  double retry_after_ms_ = 0;  // the last refused decision's hint (0: none)
  static constexpr double kNoRetry = -1;
  std::vector<double> retry_due_ms_;  // per invocation: its pending retry's time, or kNoRetry
  uint64_t versions_ = 0;
  std::deque<uint32_t> queue_;
  std::vector<uint32_t> refused_;  // functions refused during the current DrainQueue
  // Reports on their way to the policy (SimulationInput::report_lag_ms): when each arrives.
  std::deque<std::pair<double, models::RunObservation>> reports_;
  // Idle instances: per function, per node, when each was freed (oldest first).
  std::unordered_map<uint32_t, std::unordered_map<uint32_t, std::vector<double>>> idle_;
  uint64_t total_running_ = 0;
  models::PlacementRequest request_;
  models::RunObservation obs_;
  PolicyRun out_;
};

}  // namespace

double InvocationUniform(uint64_t seed, uint64_t invocation) {
  return ToUnit(SplitMix64(SplitMix64(seed) ^ (invocation * 2 + 1)));
}

double InvocationPayloadNormal(uint64_t seed, uint64_t invocation) {
  // Another stream than the noise's (InvocationNormal uses seed + 1 and seed + 2).
  return InvocationNormal(seed + 0x7061796c6f6164ull, invocation);
}

double InvocationNormal(uint64_t seed, uint64_t invocation) {
  // Box-Muller from two independent uniforms of the invocation.
  const double u1 = ToUnit(SplitMix64(SplitMix64(seed + 1) ^ (invocation * 2)));
  const double u2 = ToUnit(SplitMix64(SplitMix64(seed + 2) ^ (invocation * 2 + 1)));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

std::vector<double> StragglerSlowness(const ClusterSpec& spec, double share, double factor,
                                      uint64_t seed) {
  std::vector<double> slowness(spec.hosts(), 1.0);
  for (size_t i = 0; i < slowness.size(); ++i) {
    if (ToUnit(SplitMix64(SplitMix64(seed + 7) ^ i)) < share) slowness[i] = factor;
  }
  return slowness;
}

namespace {

// One entry of a "--flag class:minute[:value],..." list.
struct ClassMinuteEntry {
  std::string text;  // as written, for errors
  uint32_t class_index = 0;
  double at_ms = 0;
  std::string_view value;  // the part after the minute, when `form` has one
};

Status EntryError(std::string_view flag, std::string_view entry, const std::string& why) {
  return InvalidArgumentError(std::string(flag) + ": '" + std::string(entry) + "': " + why);
}

// The entries of `text` in `form` ("class:minute" or "class:minute:factor"): each names one
// of `spec`'s classes and a whole minute >= 0. INVALID_ARGUMENT naming the entry otherwise.
Result<std::vector<ClassMinuteEntry>> ParseClassMinutes(std::string_view text,
                                                        const ClusterSpec& spec,
                                                        std::string_view flag,
                                                        std::string_view form) {
  const size_t expected_parts = SplitString(form, ':').size();
  std::vector<ClassMinuteEntry> out;
  for (auto entry : SplitString(text, ',')) {
    entry = TrimWhitespace(entry);
    if (entry.empty()) continue;
    const auto parts = SplitString(entry, ':');
    if (parts.size() != expected_parts) {
      return EntryError(flag, entry, "expected " + std::string(form));
    }
    const auto cls = std::find_if(spec.classes.begin(), spec.classes.end(),
                                  [&](const auto& c) { return c.info.name == parts[0]; });
    if (cls == spec.classes.end()) {
      return EntryError(flag, entry, "no class of that name in the cluster");
    }
    const auto minute = ParseDouble(parts[1]);
    if (!minute.ok() || *minute < 0 || *minute > 1e6 || *minute != std::floor(*minute)) {
      return EntryError(flag, entry, "the minute must be a whole number >= 0");
    }
    out.push_back({std::string(entry), static_cast<uint32_t>(cls - spec.classes.begin()),
                   *minute * 60'000, expected_parts > 2 ? parts[2] : std::string_view()});
  }
  return out;
}

// Whether class `class_index` has failed by `now_ms`.
bool FailedBy(const std::vector<ClassFailure>& failures, uint32_t class_index, double now_ms) {
  return std::any_of(failures.begin(), failures.end(), [&](const ClassFailure& f) {
    return f.class_index == class_index && now_ms >= f.at_ms;
  });
}

}  // namespace

Result<std::vector<ClassDegradation>> ParseDegradations(std::string_view text,
                                                        const ClusterSpec& spec) {
  TAILOR_ASSIGN_OR_RETURN(const auto entries,
                          ParseClassMinutes(text, spec, "--degrade", "class:minute:factor"));
  std::vector<ClassDegradation> out;
  for (const auto& e : entries) {
    const auto factor = ParseDouble(e.value);
    if (!factor.ok() || !(*factor >= 1) || *factor > 100) {
      return EntryError("--degrade", e.text, "the factor must be in [1, 100]");
    }
    out.push_back({e.class_index, e.at_ms, *factor});
  }
  return out;
}

Result<std::vector<ClassFailure>> ParseFailures(std::string_view text, const ClusterSpec& spec) {
  TAILOR_ASSIGN_OR_RETURN(const auto entries,
                          ParseClassMinutes(text, spec, "--fail", "class:minute"));
  std::vector<ClassFailure> out;
  std::vector<bool> fails(spec.classes.size(), false);
  for (const auto& e : entries) {
    out.push_back({e.class_index, e.at_ms});
    fails[e.class_index] = true;
  }
  if (!spec.classes.empty() && std::all_of(fails.begin(), fails.end(), [](bool f) { return f; })) {
    return InvalidArgumentError("--fail: every class would fail; at least one must remain");
  }
  return out;
}

double DegradationFactor(const std::vector<ClassDegradation>& degradations, uint32_t class_index,
                         double now_ms) {
  double factor = 1;
  for (const auto& d : degradations) {
    if (d.class_index == class_index && now_ms >= d.from_ms) factor *= d.factor;
  }
  return factor;
}

std::vector<float> LowerBounds(const SimulationInput& input) {
  const auto& arrivals = *input.arrivals;
  const auto& truth = *input.truth;
  // The best class of each function does not depend on the invocation: compute it once.
  // The least slow node of each class (stragglers: SimulationInput::node_slowness).
  const auto& classes = input.cluster->classes;
  std::vector<double> class_slowness(classes.size(), 1.0);
  for (size_t c = 0, node = 0; c < classes.size(); node += classes[c].count, ++c) {
    double least = std::numeric_limits<double>::infinity();
    for (size_t k = node; k < node + classes[c].count; ++k) {
      least = std::min(least, k < input.node_slowness.size() ? input.node_slowness[k] : 1.0);
    }
    class_slowness[c] = least;
  }
  // Degradations and failures split time into epochs; within one, each function's best class
  // is fixed. A run starts at or after its arrival, when no class is faster than at the
  // arrival (factors are at least 1, failed classes never return), so the arrival's epoch
  // bounds it.
  std::vector<double> epoch_starts_ms{0};
  for (const auto& d : input.degradations) epoch_starts_ms.push_back(d.from_ms);
  for (const auto& f : input.failures) epoch_starts_ms.push_back(f.at_ms);
  std::sort(epoch_starts_ms.begin(), epoch_starts_ms.end());
  std::vector<std::vector<double>> best_ms(epoch_starts_ms.size());
  for (size_t e = 0; e < epoch_starts_ms.size(); ++e) {
    best_ms[e].assign(truth.size(), std::numeric_limits<double>::infinity());
    for (size_t f = 0; f < truth.size(); ++f) {
      for (uint32_t c = 0; c < classes.size(); ++c) {
        if (FailedBy(input.failures, c, epoch_starts_ms[e])) continue;  // no run starts there
        const double ms = truth[f].ExpectedMs(classes[c].info, 0.0, truth[f].CpuNeedMillicores());
        const double degraded = DegradationFactor(input.degradations, c, epoch_starts_ms[e]);
        best_ms[e][f] = std::min(best_ms[e][f], ms * class_slowness[c] * degraded);
      }
    }
  }
  std::vector<float> bounds(arrivals.size());
  for (size_t i = 0; i < arrivals.size(); ++i) {
    const FunctionTruth& t = truth[arrivals[i].function];
    const auto epoch =
        std::upper_bound(epoch_starts_ms.begin(), epoch_starts_ms.end(), arrivals[i].time_ms) -
        epoch_starts_ms.begin() - 1;
    const double wall = best_ms[static_cast<size_t>(epoch)][arrivals[i].function] *
                        t.PayloadFactor(t.PayloadKib(InvocationPayloadNormal(input.seed, i))) *
                        std::exp(t.noise_sd_log * InvocationNormal(input.seed, i));
    bounds[i] = static_cast<float>(std::max(0.01, wall) + input.dispatch_ms);
  }
  return bounds;
}

PolicyRun Simulate(const SimulationInput& input, models::PlacementPolicy& policy) {
  Simulator s(input, policy);
  return s.Run();
}

}  // namespace tailor::sim
