// Which cgroup hierarchy a host runs and which controllers Tailor can use there.
//
// Pure: DetectCgroupLayout() works on parsed mounts and the text of the v2 root's
// cgroup.controllers. Reader: ReadCgroupLayout() takes HostPaths.
// Hybrid hosts (v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified) are version 1.
//
// Thread-safety: stateless.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/inventory/host_paths.h"
#include "agent/inventory/mounts.h"
#include "common/status.h"

namespace tailor::agent {

struct CgroupLayout {
  int version = 0;                       // 1, 2, or 0 when no cgroup filesystem is mounted
  std::vector<std::string> controllers;  // usable controllers, sorted
  std::string mount_point;               // v2: the unified mount; v1: parent of the hierarchies
  std::map<std::string, std::string> v1_mounts;  // v1 controller -> its hierarchy's mount point
  std::string v2_mount;                  // where cgroup2 is mounted, if anywhere
};

CgroupLayout DetectCgroupLayout(const std::vector<MountEntry>& mounts,
                                std::string_view v2_root_controllers);

Result<CgroupLayout> ReadCgroupLayout(const HostPaths& paths);

}  // namespace tailor::agent
