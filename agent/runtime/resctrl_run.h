// ResctrlRun: the resctrl side of one run.
//
//   - Monitoring: a monitoring group <mount>/[<ctrl>/]mon_groups/<run>/ that the child joins
//     (its "tasks" file) before exec; at the end its mon_data/mon_L3_*/llc_occupancy and
//     mbm_total_bytes are summed over L3 domains.
//   - Allocation: runs asking for N cache ways join a shared control group
//     <mount>/tailor-ways-N/ whose schemata gives every L3 domain the N lowest ways
//     ("L3:0=f;1=f"), or a named existing class (Allocation.cache_class).
//
// The mount point comes from ResctrlInfo; all paths resolve under HostPaths, so tests drive
// this against a fake resctrl tree. Hosts without resctrl get an inactive ResctrlRun.
//
// Thread-safety: ResctrlManager::Start may be called concurrently; a ResctrlRun is one run's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "agent/inventory/host_paths.h"
#include "agent/inventory/resctrl_info.h"
#include "common/status.h"

namespace tailor::agent {

struct ResctrlReadings {
  bool monitored = false;
  uint64_t llc_occupancy_bytes = 0;
  uint64_t mbm_total_bytes = 0;
  bool allocated = false;
  uint32_t cache_ways = 0;
};

class ResctrlRun {
 public:
  ResctrlRun() = default;  // inactive: nothing to join, nothing measured
  // The child joins `join_dir` (its tasks file). `monitored` means join_dir is this run's own
  // monitoring group: it is read at the end and removed on destruction.
  ResctrlRun(std::string join_dir, bool monitored, bool allocated, uint32_t ways)
      : join_dir_(std::move(join_dir)), monitored_(monitored), allocated_(allocated), ways_(ways) {}
  ~ResctrlRun();
  ResctrlRun(const ResctrlRun&) = delete;
  ResctrlRun& operator=(const ResctrlRun&) = delete;

  // The file the run's child writes "0" to before exec to join the group ("" when inactive).
  std::string TasksFile() const;
  // Call just before the run starts: the memory-bandwidth counter's starting point (an RMID
  // may carry traffic from its previous owner).
  void MarkStart();
  // Call after the run exits; the monitoring group is removed on destruction.
  ResctrlReadings Finish();

 private:
  std::string join_dir_;
  bool monitored_ = false;
  bool allocated_ = false;
  uint32_t ways_ = 0;
  uint64_t mbm_start_ = 0;
};

class ResctrlManager {
 public:
  ResctrlManager(ResctrlInfo info, HostPaths paths) : info_(std::move(info)), paths_(std::move(paths)) {}

  bool monitoring_available() const { return info_.mounted && info_.HasMonFeature("llc_occupancy"); }
  bool allocation_available() const { return info_.mounted && info_.l3.has_value(); }
  uint32_t max_ways() const { return info_.l3 ? info_.l3->ways : 0; }

  // `cache_ways` 0 and empty `cache_class`: monitoring only. INVALID_ARGUMENT for more ways
  // than the cache has or fewer than min_cbm_bits; FAILED_PRECONDITION without allocation.
  Result<std::unique_ptr<ResctrlRun>> Start(const std::string& run_name, uint32_t cache_ways,
                                            const std::string& cache_class);

 private:
  Result<std::string> EnsureWaysGroup(uint32_t ways);

  const ResctrlInfo info_;
  const HostPaths paths_;
  std::mutex mu_;
  std::set<uint32_t> ready_ways_;  // control groups whose schemata this process wrote
};

// "L3:0=7ff;1=7ff\nMB:0=100;1=100" -> the L3 domain ids {0, 1}.
std::vector<std::string> ParseL3Domains(std::string_view schemata);

}  // namespace tailor::agent
