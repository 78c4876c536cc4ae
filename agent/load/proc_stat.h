// /proc/stat "cpu" line: a pure parser of cumulative CPU time, and utilization between two
// samples.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace tailor::agent {

// Cumulative jiffies over all CPUs since boot (first line of /proc/stat).
struct CpuTimes {
  uint64_t busy_ticks = 0;   // user + nice + system + irq + softirq + steal
  uint64_t total_ticks = 0;  // busy + idle + iowait
};

Result<CpuTimes> ParseProcStatCpu(std::string_view text);

// Busy share in [0, 1] between two samples; 0 when no time passed.
double CpuUtilization(const CpuTimes& before, const CpuTimes& after);

}  // namespace tailor::agent
