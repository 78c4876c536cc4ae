#include "agent/runtime/resctrl_run.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_util.h"
#include "common/logging.h"

namespace tailor::agent {
namespace {

// Sums a monitoring event over every L3 domain of a (monitoring or control) group.
Result<uint64_t> SumMonData(const std::string& group_dir, const std::string& event) {
  const std::string mon_data = JoinPath(group_dir, "mon_data");
  TAILOR_ASSIGN_OR_RETURN(auto domains, ListDirectory(mon_data));
  uint64_t total = 0;
  bool any = false;
  for (const auto& d : domains) {
    if (d.rfind("mon_L3_", 0) != 0) continue;
    auto text = ReadFirstLine(JoinPath(JoinPath(mon_data, d), event));
    if (!text.ok()) continue;
    auto v = ParseUint64(*text);  // "Unavailable" when the RMID was recycled
    if (!v.ok()) continue;
    total += *v;
    any = true;
  }
  if (!any) return NotFoundError("no readable " + event + " under " + mon_data);
  return total;
}

}  // namespace

std::vector<std::string> ParseL3Domains(std::string_view schemata) {
  std::vector<std::string> out;
  for (std::string_view line : SplitString(schemata, '\n')) {
    line = TrimWhitespace(line);
    if (!line.starts_with("L3:")) continue;
    for (std::string_view part : SplitString(line.substr(3), ';')) {
      auto eq = part.find('=');
      if (eq != std::string_view::npos) out.emplace_back(TrimWhitespace(part.substr(0, eq)));
    }
  }
  return out;
}

ResctrlRun::~ResctrlRun() {
  if (monitored_ && ::rmdir(join_dir_.c_str()) != 0 && errno != ENOENT) {
    log::LogOnce(log::Level::kWarn, "resctrl.rmdir", "cannot remove resctrl monitoring group",
                 {{"dir", join_dir_}, {"errno", errno}});
  }
}

std::string ResctrlRun::TasksFile() const {
  return join_dir_.empty() ? std::string() : JoinPath(join_dir_, "tasks");
}

void ResctrlRun::MarkStart() {
  if (monitored_) mbm_start_ = SumMonData(join_dir_, "mbm_total_bytes").value_or(0);
}

ResctrlReadings ResctrlRun::Finish() {
  ResctrlReadings r;
  r.allocated = allocated_;
  r.cache_ways = ways_;
  if (!monitored_) return r;
  auto occupancy = SumMonData(join_dir_, "llc_occupancy");
  if (occupancy.ok()) {
    r.monitored = true;
    r.llc_occupancy_bytes = *occupancy;
  }
  auto mbm = SumMonData(join_dir_, "mbm_total_bytes");
  if (mbm.ok() && *mbm >= mbm_start_) r.mbm_total_bytes = *mbm - mbm_start_;
  return r;
}

Result<std::string> ResctrlManager::EnsureWaysGroup(uint32_t ways) {
  const std::string root = paths_.Resolve(info_.mount_point);
  const std::string dir = JoinPath(root, "tailor-ways-" + std::to_string(ways));
  std::lock_guard lock(mu_);
  if (ready_ways_.contains(ways)) return dir;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, "creating resctrl control group " + dir);
  }
  TAILOR_ASSIGN_OR_RETURN(std::string root_schemata, ReadFile(JoinPath(root, "schemata")));
  auto domains = ParseL3Domains(root_schemata);
  if (domains.empty()) return FailedPreconditionError("root schemata lists no L3 domains");
  char mask[32];
  std::snprintf(mask, sizeof(mask), "%llx", (1ull << ways) - 1);
  std::string line = "L3:";
  for (size_t i = 0; i < domains.size(); ++i) {
    if (i > 0) line += ';';
    line += domains[i] + "=" + mask;
  }
  TAILOR_RETURN_IF_ERROR(WriteFile(JoinPath(dir, "schemata"), line + "\n"));
  ready_ways_.insert(ways);
  return dir;
}

Result<std::unique_ptr<ResctrlRun>> ResctrlManager::Start(const std::string& run_name,
                                                          uint32_t cache_ways,
                                                          const std::string& cache_class) {
  if (!info_.mounted) {
    if (cache_ways > 0 || !cache_class.empty()) {
      return FailedPreconditionError("cache allocation asked for, but resctrl is not mounted");
    }
    return std::make_unique<ResctrlRun>();
  }
  const std::string root = paths_.Resolve(info_.mount_point);
  std::string ctrl_dir = root;
  bool allocated = false;
  if (!cache_class.empty()) {
    if (cache_class.find('/') != std::string::npos || cache_class == "." || cache_class == "..") {
      return InvalidArgumentError("cache class '" + cache_class + "' is not a group name");
    }
    ctrl_dir = JoinPath(root, cache_class);
    if (!PathExists(JoinPath(ctrl_dir, "schemata"))) {
      return NotFoundError("resctrl control group '" + cache_class + "' does not exist");
    }
    allocated = true;
  } else if (cache_ways > 0) {
    if (!info_.l3) return FailedPreconditionError("this host has no L3 cache allocation");
    if (cache_ways > info_.l3->ways || cache_ways < std::max(1u, info_.l3->min_cbm_bits)) {
      return InvalidArgumentError("cache_ways " + std::to_string(cache_ways) + " outside " +
                                  std::to_string(std::max(1u, info_.l3->min_cbm_bits)) + ".." +
                                  std::to_string(info_.l3->ways));
    }
    TAILOR_ASSIGN_OR_RETURN(ctrl_dir, EnsureWaysGroup(cache_ways));
    allocated = true;
  }
  const uint32_t ways = allocated ? cache_ways : 0;
  if (!monitoring_available()) {
    // Allocation without monitoring: the child joins the control group itself.
    if (!allocated) return std::make_unique<ResctrlRun>();
    return std::make_unique<ResctrlRun>(ctrl_dir, false, true, ways);
  }
  // The kernel makes mon_groups/ in every control group; creating it is a no-op there and
  // keeps fake trees in tests faithful.
  const std::string mon_groups = JoinPath(ctrl_dir, "mon_groups");
  if (::mkdir(mon_groups.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, "creating " + mon_groups);
  }
  const std::string mon_dir = JoinPath(mon_groups, run_name);
  if (::mkdir(mon_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, "creating resctrl monitoring group " + mon_dir);
  }
  return std::make_unique<ResctrlRun>(mon_dir, true, allocated, ways);
}

}  // namespace tailor::agent
