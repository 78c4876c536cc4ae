// ClusterSpec: the hosts a simulation runs on, from a plain-text cluster file.
//
//   # comments and blank lines are ignored
//   class new count=4 cores=16 memory_gib=64 l3_mib=32 speed=1.2 features=aes,avx512f,sha_ni
//   class old count=8 cores=8  memory_gib=32 l3_mib=8  speed=0.7 features=
//   pool vm cores=2
//   class small count=3 cores=2 memory_gib=4 l3_mib=8 speed=1 features=aes pool=vm
//
// Every class needs count, cores, memory_gib, l3_mib and speed; features may be empty. A
// class may name a pool: its hosts then share that many cores with the pool's other hosts
// (as emulated hosts on one machine do), which processor sharing applies. Names are unique.
// docs/simulator.md documents the format.
//
// Thread-safety: immutable after parsing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "models/cluster_index.h"

namespace tailor::sim {

struct HostClassSpec {
  models::HostClassInfo info;  // name, features (sorted), l3_bytes, cores, speed_factor
  uint32_t count = 0;
  uint64_t memory_bytes = 0;
  static constexpr int kNoPool = -1;
  int pool = kNoPool;  // into ClusterSpec::pools
};

// Cores that the hosts of the classes naming the pool share among them.
struct CorePool {
  std::string name;
  uint32_t cores = 0;
};

struct ClusterSpec {
  std::vector<HostClassSpec> classes;
  std::vector<CorePool> pools;
  uint64_t hosts() const;
  uint64_t cores() const;
};

// INVALID_ARGUMENT "cluster file line N: ..." for anything malformed.
Result<ClusterSpec> ParseClusterSpec(std::string_view text);
Result<ClusterSpec> LoadClusterSpec(const std::string& path);
// Every class's count multiplied by `factor` (at least 1 host per class), for scale runs; the
// pools keep their cores.
ClusterSpec ScaleCluster(ClusterSpec spec, double factor);

}  // namespace tailor::sim
