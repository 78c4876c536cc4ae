#include "agent/inventory/resctrl_info.h"

#include <algorithm>
#include <bit>

#include "agent/inventory/mounts.h"
#include "common/file_util.h"

namespace tailor::agent {
namespace {

Result<uint32_t> ReadU32(const std::string& path) {
  TAILOR_ASSIGN_OR_RETURN(std::string line, ReadFirstLine(path));
  auto v = ParseUint64(line);
  if (!v.ok()) return v.status().WithContext("parsing " + path);
  return static_cast<uint32_t>(*v);
}

Result<uint64_t> ReadHex(const std::string& path) {
  TAILOR_ASSIGN_OR_RETURN(std::string line, ReadFirstLine(path));
  auto v = ParseHexMask(line);
  if (!v.ok()) return v.status().WithContext("parsing " + path);
  return *v;
}

}  // namespace

bool ResctrlInfo::HasMonFeature(std::string_view name) const {
  if (!l3_mon) return false;
  return std::find(l3_mon->mon_features.begin(), l3_mon->mon_features.end(), name) !=
         l3_mon->mon_features.end();
}

Result<uint64_t> ParseHexMask(std::string_view text) {
  text = TrimWhitespace(text);
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.empty() || text.size() > 16) {
    return InvalidArgumentError("not a hex bitmask: '" + std::string(text) + "'");
  }
  uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return InvalidArgumentError("not a hex bitmask: '" + std::string(text) + "'");
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

Result<ResctrlInfo> ReadResctrlInfo(const HostPaths& paths, const std::string& mount_point) {
  ResctrlInfo info;
  info.mounted = true;
  info.mount_point = mount_point;
  const std::string base = paths.Resolve(JoinPath(mount_point, "info"));
  if (PathExists(JoinPath(base, "L3"))) {
    const std::string d = JoinPath(base, "L3");
    ResctrlL3Info l3;
    TAILOR_ASSIGN_OR_RETURN(l3.cbm_mask, ReadHex(JoinPath(d, "cbm_mask")));
    l3.ways = static_cast<uint32_t>(std::popcount(l3.cbm_mask));
    TAILOR_ASSIGN_OR_RETURN(l3.num_closids, ReadU32(JoinPath(d, "num_closids")));
    TAILOR_ASSIGN_OR_RETURN(l3.min_cbm_bits, ReadU32(JoinPath(d, "min_cbm_bits")));
    l3.shareable_bits = ReadHex(JoinPath(d, "shareable_bits")).value_or(0);
    info.l3 = l3;
  }
  if (PathExists(JoinPath(base, "MB"))) {
    const std::string d = JoinPath(base, "MB");
    ResctrlMbInfo mb;
    TAILOR_ASSIGN_OR_RETURN(mb.num_closids, ReadU32(JoinPath(d, "num_closids")));
    TAILOR_ASSIGN_OR_RETURN(mb.min_bandwidth, ReadU32(JoinPath(d, "min_bandwidth")));
    TAILOR_ASSIGN_OR_RETURN(mb.bandwidth_gran, ReadU32(JoinPath(d, "bandwidth_gran")));
    mb.delay_linear = ReadU32(JoinPath(d, "delay_linear")).value_or(0) != 0;
    info.mb = mb;
  }
  if (PathExists(JoinPath(base, "L3_MON"))) {
    const std::string d = JoinPath(base, "L3_MON");
    ResctrlMonInfo mon;
    TAILOR_ASSIGN_OR_RETURN(mon.num_rmids, ReadU32(JoinPath(d, "num_rmids")));
    TAILOR_ASSIGN_OR_RETURN(std::string features, ReadFile(JoinPath(d, "mon_features")));
    for (std::string_view f : SplitWhitespace(features)) mon.mon_features.emplace_back(f);
    info.l3_mon = mon;
  }
  return info;
}

Result<ResctrlInfo> DetectResctrl(const HostPaths& paths) {
  TAILOR_ASSIGN_OR_RETURN(std::string mounts_text, ReadFile(paths.Resolve("/proc/self/mounts")));
  auto mounts = ParseMounts(mounts_text);
  const MountEntry* m = FindMountByType(mounts, "resctrl");
  if (m == nullptr) return ResctrlInfo{};
  return ReadResctrlInfo(paths, m->mount_point);
}

}  // namespace tailor::agent
