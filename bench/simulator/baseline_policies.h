// The placement rules real systems use, as PlacementPolicy implementations over the same
// ClusterIndex Tailor's policies see.
//
//   random             a uniformly random node with room
//   round-robin        the next node with room, in a fixed cycle
//   openwhisk          OpenWhisk's ShardingContainerPoolBalancer: a home invoker from the hash
//                      of the function's name, then a step coprime to the cluster size (also
//                      from the hash) past overloaded invokers
//   least-loaded       the node with the least CPU allocated (spreading)
//   most-allocated     Kubernetes' MostAllocated scoring: the node whose CPU and memory would be
//                      the most allocated after placing (packing), any class
//   static-rules       Node Feature Discovery labels with rules an operator writes per function
//                      kind, plus a Telemetry Aware Scheduling rule: crypto requires aes,
//                      hashing requires sha_ni (when any host has them), vector prefers avx512f
//                      then avx2, cache-bound prefers 32 MiB+ L3, memory-bound avoids hosts
//                      over 70% CPU; least-loaded among the preferred. The rule is chosen by
//                      the function's manifest hints (FunctionInfo::preferred_features), what
//                      Tailor's policies are told too; a function without hints is spread.
//   fastest-first      the fastest class with room (the operator knows each class's true speed),
//                      the least-loaded node in it
//   first-fit-fastest  the fastest class with room, the fullest node in it that fits (packing)
//
// Every baseline allocates with Tailor's own allocator (models::ResourceProfiles, fed the same
// run reports), so a comparison with Tailor's policies measures placement alone. The same
// policy with "+static" appended (e.g. "fastest-first+static") allocates what static
// configuration gives instead (the declared memory and one core): the difference between the
// two is the allocator's effect.
//
// Thread-safety: not thread-safe (see PlacementPolicy).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/simulator/cluster_spec.h"
#include "models/placement_policy.h"

namespace tailor::sim {

// Names of the baselines MakeBaseline knows (each also with "+static").
std::vector<std::string> BaselineNames();
bool IsBaseline(std::string_view name);

// INVALID_ARGUMENT for an unknown name. `cluster` must outlive the policy.
Result<std::unique_ptr<models::PlacementPolicy>> MakeBaseline(std::string_view name,
                                                              const ClusterSpec& cluster,
                                                              uint64_t seed);

}  // namespace tailor::sim
