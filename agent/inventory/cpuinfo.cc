#include "agent/inventory/cpuinfo.h"

#include "common/file_util.h"

namespace tailor::agent {

Result<CpuinfoSummary> ParseCpuinfo(std::string_view text) {
  CpuinfoSummary out;
  std::set<std::string> physical_ids;
  bool in_first = false;
  for (std::string_view line : SplitString(text, '\n')) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = TrimWhitespace(line.substr(0, colon));
    std::string_view value = TrimWhitespace(line.substr(colon + 1));
    if (key == "processor") {
      ++out.logical_cpus;
      in_first = out.logical_cpus == 1;
      continue;
    }
    if (key == "physical id") {
      physical_ids.emplace(value);
      continue;
    }
    if (!in_first) continue;
    if (key == "vendor_id") {
      out.vendor = value;
    } else if (key == "model name") {
      out.model_name = value;
    } else if (key == "cpu family") {
      out.family = static_cast<uint32_t>(ParseUint64(value).value_or(0));
    } else if (key == "model") {
      out.model = static_cast<uint32_t>(ParseUint64(value).value_or(0));
    } else if (key == "stepping") {
      out.stepping = static_cast<uint32_t>(ParseUint64(value).value_or(0));
    } else if (key == "cpu MHz") {
      out.mhz = ParseDouble(value).value_or(0);
    } else if (key == "flags") {
      for (std::string_view flag : SplitWhitespace(value)) out.flags.emplace(flag);
    }
  }
  if (out.logical_cpus == 0) return InvalidArgumentError("no 'processor' entry in cpuinfo text");
  out.sockets = physical_ids.empty() ? 1 : static_cast<uint32_t>(physical_ids.size());
  return out;
}

}  // namespace tailor::agent
