// Small clusters, truths and runs for the simulator's tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/simulator/baseline_policies.h"
#include "bench/simulator/cluster_spec.h"
#include "bench/simulator/function_truth.h"
#include "bench/simulator/simulation.h"
#include "models/policy_table.h"

namespace tailor::sim::fixtures {

inline const std::string kSource = TAILOR_SOURCE_DIR;

// The input that runs `arrivals` of `truth` on `cluster`, everything else as by default.
inline SimulationInput InputFor(const ClusterSpec& cluster, const std::vector<FunctionTruth>& truth,
                                const std::vector<Arrival>& arrivals) {
  SimulationInput in;
  in.cluster = &cluster;
  in.truth = &truth;
  in.arrivals = &arrivals;
  return in;
}

inline ClusterSpec Cluster(const std::string& text) {
  auto spec = ParseClusterSpec(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

inline FunctionTruth Truth(const std::string& name, double base_ms, double max_mib = 64) {
  FunctionTruth f;
  f.name = name;
  f.base_ms = base_ms;
  f.noise_sd_log = 0;
  f.memory_mib = {{0.0, max_mib / 2}, {1.0, max_mib}};
  f.declared_mib = 128;
  return f;
}

inline PolicyRun RunPolicy(const std::string& name, const ClusterSpec& cluster,
                           const std::vector<FunctionTruth>& truth,
                           const std::vector<Arrival>& arrivals, double exploration = 1.0) {
  const SimulationInput in = InputFor(cluster, truth, arrivals);
  auto policy = MakeBaseline(name, cluster, 1);
  if (!policy.ok()) policy = models::MakePolicy(name, {exploration});
  EXPECT_TRUE(policy.ok()) << name;
  return Simulate(in, **policy);
}

inline std::vector<float> Bounds(const ClusterSpec& cluster,
                                 const std::vector<FunctionTruth>& truth,
                                 const std::vector<Arrival>& arrivals) {
  return LowerBounds(InputFor(cluster, truth, arrivals));
}

}  // namespace tailor::sim::fixtures
