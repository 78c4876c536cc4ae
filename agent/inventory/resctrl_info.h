// The resctrl filesystem's info/ tree: what cache and bandwidth control and monitoring the
// kernel offers on this host.
//
// Pure parsers for the individual files, and a reader that takes the resctrl mount point
// (resolved under HostPaths). Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/inventory/host_paths.h"
#include "common/status.h"

namespace tailor::agent {

struct ResctrlL3Info {
  uint64_t cbm_mask = 0;       // info/L3/cbm_mask (hex): all ways the L3 allocation may use
  uint32_t ways = 0;           // popcount of cbm_mask
  uint32_t num_closids = 0;    // info/L3/num_closids
  uint32_t min_cbm_bits = 0;   // info/L3/min_cbm_bits
  uint64_t shareable_bits = 0; // info/L3/shareable_bits (hex)
};

struct ResctrlMbInfo {
  uint32_t num_closids = 0;      // info/MB/num_closids
  uint32_t min_bandwidth = 0;    // info/MB/min_bandwidth (percent or MBps)
  uint32_t bandwidth_gran = 0;   // info/MB/bandwidth_gran
  bool delay_linear = false;     // info/MB/delay_linear
};

struct ResctrlMonInfo {
  uint32_t num_rmids = 0;                 // info/L3_MON/num_rmids
  std::vector<std::string> mon_features;  // info/L3_MON/mon_features, one per line
};

struct ResctrlInfo {
  bool mounted = false;
  std::string mount_point;
  std::optional<ResctrlL3Info> l3;
  std::optional<ResctrlMbInfo> mb;
  std::optional<ResctrlMonInfo> l3_mon;

  bool HasMonFeature(std::string_view name) const;
};

// A capacity bitmask in hex, as in cbm_mask and schemata ("7ff", "0x7ff").
Result<uint64_t> ParseHexMask(std::string_view text);

// Reads <mount_point>/info. A missing resource directory leaves its field empty; a present but
// malformed file is an error.
Result<ResctrlInfo> ReadResctrlInfo(const HostPaths& paths, const std::string& mount_point);

// Finds the resctrl mount in /proc/self/mounts and reads it; mounted=false if there is none.
Result<ResctrlInfo> DetectResctrl(const HostPaths& paths);

}  // namespace tailor::agent
