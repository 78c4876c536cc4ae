#include "agent/inventory/hardware_probes.h"

#include <hwloc.h>
#include <libcpuid/libcpuid.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace tailor::agent {
namespace {

uint64_t FirstCacheSize(hwloc_topology_t topo, hwloc_obj_type_t type) {
  hwloc_obj_t obj = hwloc_get_obj_by_type(topo, type, 0);
  if (obj == nullptr || obj->attr == nullptr) return 0;
  return obj->attr->cache.size;
}

}  // namespace

Result<HostTopology> ProbeTopology() {
  HostTopology t;
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) != 0) return InternalError("hwloc_topology_init failed");
  if (hwloc_topology_load(topo) != 0) {
    hwloc_topology_destroy(topo);
    return InternalError("hwloc_topology_load failed");
  }
  auto count = [&](hwloc_obj_type_t type) {
    int n = hwloc_get_nbobjs_by_type(topo, type);
    return n > 0 ? static_cast<uint32_t>(n) : 0u;
  };
  t.sockets = count(HWLOC_OBJ_PACKAGE);
  t.physical_cores = count(HWLOC_OBJ_CORE);
  t.logical_cores = count(HWLOC_OBJ_PU);
  t.numa_nodes = count(HWLOC_OBJ_NUMANODE);
  t.l3_domains = count(HWLOC_OBJ_L3CACHE);
  t.l1d_bytes = FirstCacheSize(topo, HWLOC_OBJ_L1CACHE);
  t.l2_bytes = FirstCacheSize(topo, HWLOC_OBJ_L2CACHE);
  t.l3_bytes = FirstCacheSize(topo, HWLOC_OBJ_L3CACHE);
  hwloc_obj_t root = hwloc_get_root_obj(topo);
  if (root != nullptr) t.memory_bytes = root->total_memory;
  hwloc_topology_destroy(topo);
  if (t.sockets == 0) t.sockets = 1;
  if (t.numa_nodes == 0) t.numa_nodes = 1;

  if (cpuid_present()) {
    cpu_raw_data_t raw;
    cpu_id_t id;
    if (cpuid_get_raw_data(&raw) == 0 && cpu_identify(&raw, &id) == 0) {
      t.brand = id.brand_str;
      t.vendor = id.vendor_str;
      if (t.l1d_bytes == 0 && id.l1_data_cache > 0) t.l1d_bytes = uint64_t(id.l1_data_cache) << 10;
      if (t.l2_bytes == 0 && id.l2_cache > 0) t.l2_bytes = uint64_t(id.l2_cache) << 10;
      if (t.l3_bytes == 0 && id.l3_cache > 0) t.l3_bytes = uint64_t(id.l3_cache) << 10;
    }
  }
  if (t.l3_bytes > 0 && t.l3_domains == 0) t.l3_domains = 1;
  return t;
}

bool ProbeHardwarePerfCounters() {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_INSTRUCTIONS;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return false;
  close(static_cast<int>(fd));
  return true;
}

}  // namespace tailor::agent
