// Pure parsers for the per-cgroup accounting files of cgroup v1 and v2, and for
// /proc/<pid>/io. Text in, typed struct out; each field names its kernel file and key.
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace tailor::agent {

// v2 cpu.stat: "usage_usec N\nuser_usec N\nsystem_usec N\n..."
struct CpuStatV2 {
  int64_t usage_us = 0;   // usage_usec
  int64_t user_us = 0;    // user_usec
  int64_t system_us = 0;  // system_usec
};
Result<CpuStatV2> ParseCpuStatV2(std::string_view text);

// CFS bandwidth control from cpu.stat, in either version: v1 (cpu hierarchy) "nr_periods N",
// "nr_throttled N", "throttled_time NS"; v2 "nr_periods N", "nr_throttled N",
// "throttled_usec N". INVALID_ARGUMENT when nr_periods is missing (no quota support).
struct CpuThrottling {
  uint64_t periods = 0;            // nr_periods: periods in which the cgroup had work
  uint64_t throttled_periods = 0;  // nr_throttled: periods in which it used up its quota
  int64_t throttled_us = 0;        // throttled_time / 1000 (v1), throttled_usec (v2)
};
Result<CpuThrottling> ParseCpuThrottling(std::string_view cpu_stat_text);

// v2 cpu.pressure (pressure stall information): "some avg10=0.00 avg60=0.00 avg300=0.00
// total=N\nfull ...": the microseconds in which some of the cgroup's tasks were runnable but
// waited for a CPU (the "some" line's total). INVALID_ARGUMENT without one.
Result<int64_t> ParseCpuPressureSomeTotalUs(std::string_view text);

// v1 cpuacct.stat: "user N\nsystem N\n" in USER_HZ ticks; converted with ticks_per_second.
struct CpuacctStatV1 {
  int64_t user_us = 0;
  int64_t system_us = 0;
};
Result<CpuacctStatV1> ParseCpuacctStatV1(std::string_view text, int64_t ticks_per_second);

// v2 memory.events "oom_kill N" and v1 memory.oom_control "oom_kill N" share the key.
Result<uint64_t> ParseOomKillCount(std::string_view text);

// v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device, summed.
struct IoBytes {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
};
Result<IoBytes> ParseIoStatV2(std::string_view text);

// v1 blkio.throttle.io_service_bytes: "8:0 Read 4096\n8:0 Write 0\n...\nTotal 4096".
Result<IoBytes> ParseBlkioServiceBytesV1(std::string_view text);

// /proc/<pid>/io: read_bytes and write_bytes (storage layer, this process and reaped children).
Result<IoBytes> ParseProcIo(std::string_view text);

}  // namespace tailor::agent
