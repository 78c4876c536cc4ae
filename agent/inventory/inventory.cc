#include "agent/inventory/inventory.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "agent/inventory/cgroup_layout.h"
#include "agent/inventory/cpuinfo.h"
#include "agent/inventory/resctrl_info.h"
#include "agent/load/meminfo.h"
#include "common/file_util.h"
#include "common/logging.h"

namespace tailor::agent {

Result<v1::HostInventory> CollectInventory(const InventorySources& sources) {
  const HostPaths& paths = sources.paths;
  v1::HostInventory inv;
  inv.set_hostname(ReadFirstLine(paths.Resolve("/proc/sys/kernel/hostname")).value_or(""));
  inv.set_kernel_version(ReadFirstLine(paths.Resolve("/proc/sys/kernel/osrelease")).value_or(""));

  // Identity and features: raw CPUID first; /proc/cpuinfo fills what CPUID could not give.
  const CpuidSnapshot snapshot = sources.read_cpuid();
  auto cpuinfo_text = ReadFile(paths.Resolve("/proc/cpuinfo"));
  Result<CpuinfoSummary> cpuinfo =
      cpuinfo_text.ok() ? ParseCpuinfo(*cpuinfo_text) : Result<CpuinfoSummary>(cpuinfo_text.status());
  auto* cpu = inv.mutable_cpu();
  if (snapshot.max_basic_leaf >= 1) {
    const CpuSignature sig = DecodeSignature(snapshot);
    cpu->set_vendor(snapshot.vendor);
    cpu->set_family(sig.family);
    cpu->set_model(sig.model);
    cpu->set_stepping(sig.stepping);
    for (const auto& [name, present] : DecodeCpuFeatures(snapshot)) {
      (*inv.mutable_cpu_features())[name] = present;
    }
  } else if (cpuinfo.ok()) {
    cpu->set_vendor(cpuinfo->vendor);
    cpu->set_family(cpuinfo->family);
    cpu->set_model(cpuinfo->model);
    cpu->set_stepping(cpuinfo->stepping);
    for (std::string_view name : KnownCpuFeatures()) {
      (*inv.mutable_cpu_features())[std::string(name)] = cpuinfo->flags.contains(std::string(name));
    }
  } else {
    return cpuinfo.status().WithContext("neither CPUID nor /proc/cpuinfo is readable");
  }
  if (cpuinfo.ok()) cpu->set_model_name(cpuinfo->model_name);

  // Topology and caches.
  auto* topo = inv.mutable_topology();
  auto* cache = inv.mutable_cache();
  Result<HostTopology> probed = sources.probe_topology();
  if (probed.ok()) {
    topo->set_sockets(probed->sockets);
    topo->set_physical_cores(probed->physical_cores);
    topo->set_logical_cores(probed->logical_cores);
    topo->set_numa_nodes(probed->numa_nodes);
    cache->set_l1d_bytes(probed->l1d_bytes);
    cache->set_l2_bytes(probed->l2_bytes);
    cache->set_l3_bytes(probed->l3_bytes);
    cache->set_l3_domains(probed->l3_domains);
    if (cpu->model_name().empty()) cpu->set_model_name(probed->brand);
    if (cpu->vendor().empty()) cpu->set_vendor(probed->vendor);
  } else {
    log::Warn("topology probe failed; using /proc/cpuinfo counts", {{"error", probed.status()}});
    if (cpuinfo.ok()) {
      topo->set_sockets(cpuinfo->sockets);
      topo->set_logical_cores(cpuinfo->logical_cpus);
      topo->set_physical_cores(cpuinfo->logical_cpus);
      topo->set_numa_nodes(1);
    }
  }

  auto meminfo_text = ReadFile(paths.Resolve("/proc/meminfo"));
  if (meminfo_text.ok()) {
    auto mem = ParseMeminfo(*meminfo_text);
    if (mem.ok()) inv.set_memory_bytes(mem->total_bytes);
  }
  if (inv.memory_bytes() == 0 && probed.ok()) inv.set_memory_bytes(probed->memory_bytes);

  // RDT: CPUID says what the silicon has; resctrl says what the kernel lets us use.
  const RdtCpuid rdt_cpuid = DecodeRdt(snapshot);
  auto* rdt = inv.mutable_rdt();
  rdt->set_cmt(rdt_cpuid.cmt);
  rdt->set_mbm_total(rdt_cpuid.mbm_total);
  rdt->set_mbm_local(rdt_cpuid.mbm_local);
  rdt->set_l3_cat(rdt_cpuid.l3_cat);
  rdt->set_l3_cat_ways(rdt_cpuid.l3_cat_ways);
  rdt->set_mba(rdt_cpuid.mba);
  auto resctrl = DetectResctrl(paths);
  if (resctrl.ok()) {
    rdt->set_resctrl_mounted(resctrl->mounted);
    if (resctrl->l3) rdt->set_l3_cat_ways(resctrl->l3->ways);
  } else {
    log::Warn("resctrl is mounted but its info tree is unreadable", {{"error", resctrl.status()}});
  }

  auto cgroups = ReadCgroupLayout(paths);
  if (cgroups.ok()) {
    auto* cg = inv.mutable_cgroup();
    cg->set_version(static_cast<uint32_t>(cgroups->version));
    cg->set_mount_point(cgroups->mount_point);
    for (const auto& c : cgroups->controllers) cg->add_controllers(c);
  } else {
    log::Warn("cannot read cgroup layout", {{"error", cgroups.status()}});
  }

  inv.set_hw_perf_counters(sources.probe_hw_perf());
  return inv;
}

std::string InventoryToJson(const v1::HostInventory& inventory) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(inventory, &out, options);
  // Re-emit through nlohmann::json, whose objects keep keys sorted: the feature map comes out
  // in a stable, readable order.
  return nlohmann::json::parse(out).dump(2) + "\n";
}

}  // namespace tailor::agent
