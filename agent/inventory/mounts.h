// /proc/self/mounts (or /proc/mounts): a pure parser, and what it says about cgroups and
// resctrl.
//
// Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tailor::agent {

struct MountEntry {
  std::string device;               // field 1
  std::string mount_point;          // field 2, with \040-style escapes decoded
  std::string fs_type;              // field 3: "cgroup", "cgroup2", "resctrl", ...
  std::vector<std::string> options; // field 4 split on ','
};

std::vector<MountEntry> ParseMounts(std::string_view text);

// First mount of the given filesystem type, or nullptr.
const MountEntry* FindMountByType(const std::vector<MountEntry>& mounts, std::string_view type);

}  // namespace tailor::agent
