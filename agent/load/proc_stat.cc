#include "agent/load/proc_stat.h"

#include <algorithm>

#include "common/file_util.h"

namespace tailor::agent {

Result<CpuTimes> ParseProcStatCpu(std::string_view text) {
  for (std::string_view line : SplitString(text, '\n')) {
    auto f = SplitWhitespace(line);
    if (f.empty() || f[0] != "cpu") continue;
    if (f.size() < 5) return InvalidArgumentError("short cpu line in /proc/stat");
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    uint64_t v[8] = {};
    for (size_t i = 1; i < f.size() && i <= 8; ++i) {
      auto parsed = ParseUint64(f[i]);
      if (!parsed.ok()) return parsed.status().WithContext("cpu line of /proc/stat");
      v[i - 1] = *parsed;
    }
    CpuTimes t;
    const uint64_t idle = v[3] + v[4];
    t.busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    t.total_ticks = t.busy_ticks + idle;
    return t;
  }
  return InvalidArgumentError("no cpu line in /proc/stat");
}

double CpuUtilization(const CpuTimes& before, const CpuTimes& after) {
  if (after.total_ticks <= before.total_ticks || after.busy_ticks < before.busy_ticks) return 0;
  const double busy = static_cast<double>(after.busy_ticks - before.busy_ticks);
  const double total = static_cast<double>(after.total_ticks - before.total_ticks);
  return std::clamp(busy / total, 0.0, 1.0);
}

}  // namespace tailor::agent
