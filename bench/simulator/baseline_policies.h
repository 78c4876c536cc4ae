// The placement rules real systems use, as PlacementPolicy implementations over the same
// ClusterIndex Tailor's policies see, plus the oracle every policy is measured against.
//
//   random         a uniformly random node with room
//   round-robin    the next node with room, in a fixed cycle
//   openwhisk      OpenWhisk's ShardingContainerPoolBalancer: a home invoker from the hash of
//                  the function's name, then a step coprime to the cluster size (also from the
//                  hash) past overloaded invokers
//   static-rules   Node Feature Discovery labels with rules an operator writes per function
//                  kind, plus a Telemetry Aware Scheduling rule: crypto requires aes, hashing
//                  requires sha_ni (when any host has them), vector prefers avx512f then avx2,
//                  cache-bound prefers 32 MiB+ L3, memory-bound avoids hosts over 70% CPU;
//                  least-loaded among the preferred
//   oracle         knows each function's ground truth: the node with the lowest true expected
//                  duration at its current load, and exactly the memory and CPU it needs
// The baselines allocate what static configuration gives: the function's declared memory and
// one core. least-loaded and round-robin come from models/ (the scheduler runs them too).
//
// Thread-safety: not thread-safe (see PlacementPolicy).
#pragma once

#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench/simulator/function_truth.h"
#include "models/cluster_index.h"
#include "models/placement_policy.h"

namespace tailor::sim {

// Names of the baselines MakeBaseline knows, oracle last.
std::vector<std::string> BaselineNames();

// INVALID_ARGUMENT for an unknown name. `truth` must outlive the policy.
Result<std::unique_ptr<models::PlacementPolicy>> MakeBaseline(
    std::string_view name, const std::vector<FunctionTruth>& truth, uint64_t seed);

}  // namespace tailor::sim
