// The host inventory: what this machine is, assembled from raw CPUID (features, RDT),
// hwloc and libcpuid (topology, caches, brand), files under /proc and /sys (memory, kernel,
// cgroups, resctrl) and a perf_event_open probe.
//
// Every source is a seam in InventorySources, so tests assemble inventories of fixture hosts.
// Thread-safety: stateless.
#pragma once

#include <functional>
#include <string>

#include "agent/inventory/cpuid.h"
#include "agent/inventory/hardware_probes.h"
#include "agent/inventory/host_paths.h"
#include "common/status.h"
#include "tailor/v1/inventory.pb.h"

namespace tailor::agent {

struct InventorySources {
  HostPaths paths;
  std::function<CpuidSnapshot()> read_cpuid = ReadCpuid;
  std::function<Result<HostTopology>()> probe_topology = ProbeTopology;
  std::function<bool()> probe_hw_perf = ProbeHardwarePerfCounters;
};

Result<v1::HostInventory> CollectInventory(const InventorySources& sources);

// Pretty-printed JSON with the proto field names (snake_case) and every field present.
std::string InventoryToJson(const v1::HostInventory& inventory);

}  // namespace tailor::agent
