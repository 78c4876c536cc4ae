// Probes that ask the hardware and kernel directly (not through files under HostPaths):
// hwloc and libcpuid for topology and caches, perf_event_open for hardware counters.
//
// They sit behind std::function seams in InventorySources so tests of the inventory assembly
// can substitute fixed answers. Thread-safety: each call is independent.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace tailor::agent {

struct HostTopology {
  std::string brand;   // libcpuid brand string ("AMD EPYC 9654 96-Core Processor")
  std::string vendor;  // libcpuid vendor string
  uint32_t sockets = 0;
  uint32_t physical_cores = 0;
  uint32_t logical_cores = 0;
  uint32_t numa_nodes = 0;
  uint64_t l1d_bytes = 0;
  uint64_t l2_bytes = 0;
  uint64_t l3_bytes = 0;
  uint32_t l3_domains = 0;
  uint64_t memory_bytes = 0;  // hwloc total memory of the machine
};

// hwloc for counts and cache sizes (it reads sysfs and works in VMs); libcpuid for the brand
// and for cache sizes hwloc does not report.
Result<HostTopology> ProbeTopology();

// True if a hardware perf event (retired instructions, user space, this thread) opens.
bool ProbeHardwarePerfCounters();

}  // namespace tailor::agent
