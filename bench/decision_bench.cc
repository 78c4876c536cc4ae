// Placement decision latency of Tailor's policies, on one core, at 100 to 100,000 nodes.
//
//   build/bin/decision_bench [--functions 10000] [--decisions 20000] [--classes 20]
//                            [--learn-runs 5000] [--save-part 64]
//
// Builds a ClusterIndex of N nodes spread over host classes (features, cache and speed vary),
// teaches each policy 10,000 functions (three runs on each of three classes, so predictions
// mix cells, regression and neighbours), decides each function once (steady state), then
// times single decisions for random functions with random load changes between them, and
// prints the p50, p99 and max latency per policy and cluster size as a table and as JSON lines.
// Before the decisions, per policy, it times --learn-runs more runs learned (TimeLearning): how
// long a report holds the policy's lock, inline and deferred as in the scheduler. Then it times
// saving the policy's state (TimeSave): whole, and a part of --save-part functions per lock
// hold as the scheduler saves (scheduler::Placer::kSaveFunctionsPerPart).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/malloc_tuning.h"
#include "models/cluster_index.h"
#include "models/policy_table.h"

namespace {

using namespace tailor::models;
using Clock = std::chrono::steady_clock;

std::vector<HostClassInfo> MakeClasses(int n) {
  const std::vector<std::vector<std::string>> feature_sets = {
      {"aes", "avx2", "avx512f", "fma", "sha_ni"},
      {"aes", "avx2", "fma"},
      {"avx2"},
      {},
      {"aes", "sha_ni"}};
  std::vector<HostClassInfo> classes;
  for (int i = 0; i < n; ++i) {
    HostClassInfo c;
    c.name = "class-" + std::to_string(i);
    c.features = feature_sets[i % feature_sets.size()];
    std::sort(c.features.begin(), c.features.end());
    c.l3_bytes = (8ull << (i % 3)) << 20;
    c.cores = 16;
    c.speed_factor = 0.6 + 0.05 * (i % 10);
    classes.push_back(c);
  }
  return classes;
}

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

RunObservation MakeRun(int function, size_t class_index, const HostClassInfo& c, double base_ms,
                       int run, size_t class_count) {
  RunObservation o;
  o.function = "fn-" + std::to_string(function);
  // One of the class's first five nodes (node i is of class i % classes), so that decisions
  // look up nodes the policy has learned apart or not.
  o.node_id = "node-" + std::to_string(class_index + class_count * ((function + run) % 5));
  o.host_class = c.name;
  o.class_features = HostFeatureVector(c);
  o.wall_ms = base_ms / c.speed_factor;
  o.cpu_ms = o.wall_ms;
  o.peak_memory_bytes = 64 << 20;
  o.succeeded = true;
  return o;
}

// Times `runs` more Observe calls of functions already learned (one of their three classes,
// chosen at random): how long a report holds the policy's lock, which is how long a decision
// may wait for learning. `deferred`: as the scheduler learns (PlacementPolicy::
// DeferSlowLearning), the slow part run outside the timed lock holds, each install timed as a
// hold of its own; else every Observe whole. Prints p50, p99 and max of the holds, and the
// slowest deferred work; deferred, also the median and max of the holds that took a refit
// (the run's Observe with the copy TakeDeferredLearning makes).
void TimeLearning(PlacementPolicy& policy, const std::string& label,
                  const std::vector<HostClassInfo>& classes, int functions, int runs, bool deferred,
                  std::mt19937_64& rng) {
  std::uniform_int_distribution<int> pick_fn(0, functions - 1), pick_k(0, 2);
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  std::vector<double> held_us;
  held_us.reserve(runs);
  double slowest_deferred_us = 0;
  std::vector<double> take_us;  // the holds that took a refit
  for (int r = 0; r < runs; ++r) {
    const int f = pick_fn(rng);
    const size_t ci = (f + 7 * pick_k(rng)) % classes.size();
    const RunObservation o = MakeRun(f, ci, classes[ci], 50.0 * jitter(rng), r, classes.size());
    auto start = Clock::now();
    policy.Observe(o);
    std::unique_ptr<DeferredLearning> slow = deferred ? policy.TakeDeferredLearning() : nullptr;
    held_us.push_back(MicrosSince(start));
    if (slow == nullptr) continue;
    take_us.push_back(held_us.back());
    start = Clock::now();
    slow->Run();
    slowest_deferred_us = std::max(slowest_deferred_us, MicrosSince(start));
    start = Clock::now();
    policy.InstallDeferredLearning(std::move(slow));
    held_us.push_back(MicrosSince(start));
  }
  const double p50 = Percentile(held_us, 0.5), p99 = Percentile(held_us, 0.99),
               max = *std::max_element(held_us.begin(), held_us.end());
  std::printf("%-14s %8s %10.2f %10.2f %10.1f", label.c_str(), deferred ? "learn-d" : "learn", p50,
              p99, max);
  const double take_p50 = take_us.empty() ? 0 : Percentile(take_us, 0.5),
               take_max = take_us.empty() ? 0 : *std::max_element(take_us.begin(), take_us.end());
  if (deferred) {
    std::printf(
        "   (slowest deferred, off the lock: %.1f us; %zu holds took a refit: "
        "p50 %.1f us, max %.1f us)",
        slowest_deferred_us, take_us.size(), take_p50, take_max);
  }
  std::printf("\n");
  std::fprintf(stderr,
               "{\"policy\":\"%s\",\"learn_runs\":%d,\"deferred\":%s,\"functions\":%d,"
               "\"classes\":%zu,\"p50_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.1f,"
               "\"slowest_deferred_us\":%.1f,\"refits_taken\":%zu,\"take_p50_us\":%.1f,"
               "\"take_max_us\":%.1f}\n",
               label.c_str(), runs, deferred ? "true" : "false", functions, classes.size(), p50,
               p99, max, slowest_deferred_us, take_us.size(), take_p50, take_max);
}

// Times saving the policy's state, `rounds` times: whole (SaveState: one lock hold in the
// scheduler before parts), and a part at a time as the scheduler saves (WriteSome of
// `part_functions` per lock hold, then Take off the lock), which must give the same bytes.
// Prints the parts' p50, p99 and max hold, and the median whole save and join (Take).
bool TimeSave(const PlacementPolicy& policy, const std::string& label, size_t part_functions,
              int rounds) {
  std::vector<double> held_us, whole_us, take_us, parted_us;
  size_t parts = 0, bytes = 0;
  for (int round = 0; round < rounds; ++round) {
    auto start = Clock::now();
    const std::string whole = policy.SaveState();
    whole_us.push_back(MicrosSince(start));
    std::unique_ptr<StateSave> save = policy.StartSave();
    parts = 0;
    double parted = 0;
    for (bool saved = false; !saved; ++parts) {
      start = Clock::now();
      saved = save->WriteSome(part_functions);
      held_us.push_back(MicrosSince(start));
      parted += held_us.back();
    }
    start = Clock::now();
    const std::string state = std::move(*save).Take();
    take_us.push_back(MicrosSince(start));
    parted_us.push_back(parted + take_us.back());
    if (state != whole) {
      std::fprintf(stderr, "%s: the state saved in parts differs from SaveState\n", label.c_str());
      return false;
    }
    bytes = whole.size();
  }
  const double p50 = Percentile(held_us, 0.5), p99 = Percentile(held_us, 0.99),
               max = *std::max_element(held_us.begin(), held_us.end());
  const double whole = Percentile(whole_us, 0.5), take = Percentile(take_us, 0.5),
               parted = Percentile(parted_us, 0.5);
  std::printf(
      "%-14s %8s %10.2f %10.2f %10.1f   (%zu parts, in all %.1f ms with the join off the "
      "lock, %.1f ms; whole save %.1f ms; %.1f MB)\n",
      label.c_str(), "save", p50, p99, max, parts, parted / 1000, take / 1000, whole / 1000,
      static_cast<double>(bytes) / 1e6);
  std::fprintf(stderr,
               "{\"policy\":\"%s\",\"save_part_functions\":%zu,\"parts\":%zu,\"p50_us\":%.3f,"
               "\"p99_us\":%.3f,\"max_us\":%.1f,\"parted_save_us\":%.1f,\"take_us\":%.1f,"
               "\"whole_save_us\":%.1f,\"bytes\":%zu}\n",
               label.c_str(), part_functions, parts, p50, p99, max, parted, take, whole, bytes);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // As tailor-scheduler does: freed buffers stay in the process (a save's are tens of MB).
  tailor::KeepFreedMemoryForReuse();
  int functions = 10000, decisions = 20000, class_count = 20, learn_runs = 5000, save_part = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--functions"))
      functions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--decisions"))
      decisions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--classes"))
      class_count = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--learn-runs"))
      learn_runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--save-part"))
      save_part = std::max(1, std::atoi(argv[i + 1]));
  }
  const auto classes = MakeClasses(class_count);
  std::printf("%-14s %8s %10s %10s %10s\n", "policy", "nodes", "p50 us", "p99 us", "max us");
  for (const char* policy_name : {"performance", "efficiency", "balanced", "least-loaded"}) {
    auto policy = MakePolicy(policy_name).value();
    // Teach it the functions once (the cluster size does not change what it learned).
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> base(std::log(5.0), std::log(500.0));
    {
      ClusterIndex seed_index;
      for (const auto& c : classes) {
        NodeView n;
        n.node_id = "seed-" + c.name;
        n.host_class = c.name;
        seed_index.Upsert(n, c);
      }
      for (int f = 0; f < functions; ++f) {
        const double ms = std::exp(base(rng));
        for (int k = 0; k < 3; ++k) {
          const size_t ci = (f + 7 * k) % classes.size();
          const auto& c = classes[ci];
          for (int run = 0; run < 3; ++run) {
            policy->Observe(MakeRun(f, ci, c, ms, run, classes.size()));
          }
        }
      }
    }
    if (learn_runs > 0) {
      TimeLearning(*policy, policy_name, classes, functions, learn_runs, false, rng);
      policy->DeferSlowLearning();
      TimeLearning(*policy, policy_name, classes, functions, learn_runs, true, rng);
    }
    if (!TimeSave(*policy, policy_name, static_cast<size_t>(save_part), 5)) return 1;
    for (int nodes : {100, 1000, 10000, 100000}) {
      ClusterIndex index;
      for (int i = 0; i < nodes; ++i) {
        const auto& c = classes[i % classes.size()];
        NodeView n;
        n.node_id = "node-" + std::to_string(i);
        n.host_class = c.name;
        n.features = c.features;
        n.capacity = {64ull << 30, 16000};
        index.Upsert(n, c);
      }
      // Steady state: each function has been decided once on this cluster, as in a running
      // scheduler (the first decision after new host classes appear refreshes the function's
      // predictions, about 30 us; see docs/benchmarks.md).
      for (int f = 0; f < functions; ++f) {
        PlacementRequest warm;
        warm.function.name = "fn-" + std::to_string(f);
        warm.function.memory_hint_bytes = 64 << 20;
        (void)policy->Decide(warm, index);
      }
      std::vector<double> latency_us;
      latency_us.reserve(decisions);
      std::uniform_int_distribution<int> pick_fn(0, functions - 1), pick_node(0, nodes - 1);
      std::uniform_int_distribution<uint32_t> pick_load(0, 12000);
      std::vector<std::string> names(64);
      for (int d = 0; d < decisions; ++d) {
        // Load moves between decisions, as reservations and heartbeats would move it.
        index.SetAllocated("node-" + std::to_string(pick_node(rng)), {0, pick_load(rng)});
        PlacementRequest req;
        req.function.name = "fn-" + std::to_string(pick_fn(rng));
        req.function.memory_hint_bytes = 64 << 20;
        const auto start = Clock::now();
        auto decided = policy->Decide(req, index);
        const auto end = Clock::now();
        if (!decided.ok()) {
          std::fprintf(stderr, "decision failed: %s\n",
                       std::string(decided.status().message()).c_str());
          return 1;
        }
        index.MarkChosen(decided->node_id);
        latency_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
      }
      const double p50 = Percentile(latency_us, 0.5), p99 = Percentile(latency_us, 0.99),
                   max = *std::max_element(latency_us.begin(), latency_us.end());
      std::printf("%-14s %8d %10.2f %10.2f %10.1f\n", policy_name, nodes, p50, p99, max);
      std::fprintf(stderr,
                   "{\"policy\":\"%s\",\"nodes\":%d,\"functions\":%d,\"classes\":%d,"
                   "\"p50_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.1f}\n",
                   policy_name, nodes, functions, class_count, p50, p99, max);
    }
  }
  return 0;
}
