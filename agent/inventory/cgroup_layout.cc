#include "agent/inventory/cgroup_layout.h"

#include <algorithm>
#include <set>

#include "common/file_util.h"

namespace tailor::agent {
namespace {

constexpr std::string_view kV1Controllers[] = {
    "blkio", "cpu",     "cpuacct", "cpuset",  "devices",    "freezer",
    "hugetlb", "memory", "net_cls", "net_prio", "perf_event", "pids", "rdma", "misc"};

bool IsV1Controller(std::string_view option) {
  return std::find(std::begin(kV1Controllers), std::end(kV1Controllers), option) !=
         std::end(kV1Controllers);
}

std::string ParentDir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

CgroupLayout DetectCgroupLayout(const std::vector<MountEntry>& mounts,
                                std::string_view v2_root_controllers) {
  CgroupLayout layout;
  std::set<std::string> v1;
  for (const auto& m : mounts) {
    if (m.fs_type == "cgroup") {
      for (const auto& opt : m.options) {
        if (IsV1Controller(opt)) {
          v1.insert(opt);
          layout.v1_mounts.emplace(opt, m.mount_point);
        }
      }
    } else if (m.fs_type == "cgroup2" && layout.v2_mount.empty()) {
      layout.v2_mount = m.mount_point;
    }
  }
  if (!v1.empty()) {
    layout.version = 1;
    layout.controllers.assign(v1.begin(), v1.end());
    layout.mount_point = ParentDir(layout.v1_mounts.begin()->second);
    return layout;
  }
  if (!layout.v2_mount.empty()) {
    layout.version = 2;
    layout.mount_point = layout.v2_mount;
    for (std::string_view c : SplitWhitespace(v2_root_controllers)) layout.controllers.emplace_back(c);
    std::sort(layout.controllers.begin(), layout.controllers.end());
  }
  return layout;
}

Result<CgroupLayout> ReadCgroupLayout(const HostPaths& paths) {
  TAILOR_ASSIGN_OR_RETURN(std::string mounts_text, ReadFile(paths.Resolve("/proc/self/mounts")));
  auto mounts = ParseMounts(mounts_text);
  std::string v2_controllers;
  if (const MountEntry* v2 = FindMountByType(mounts, "cgroup2")) {
    v2_controllers = ReadFile(paths.Resolve(JoinPath(v2->mount_point, "cgroup.controllers")))
                         .value_or("");
  }
  return DetectCgroupLayout(mounts, v2_controllers);
}

}  // namespace tailor::agent
