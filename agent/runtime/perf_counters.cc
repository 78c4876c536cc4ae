#include "agent/runtime/perf_counters.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tailor::agent {

const std::vector<spawn::CounterSpec>& HardwareCounters() {
  static const std::vector<spawn::CounterSpec> counters = {
      {PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
      {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
      {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
      {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
  };
  return counters;
}

PerfSupport ProbePerfSupport() {
  static const PerfSupport support = [] {
    PerfSupport s;
    s.hardware = true;
    for (const spawn::CounterSpec& c : HardwareCounters()) {
      perf_event_attr attr = spawn::CounterAttr(c);
      attr.enable_on_exec = 0;
      attr.inherit = 0;
      // Deliberately never closed (see the header).
      const long fd = ::syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
      if (fd < 0) {
        s.hardware = false;
        s.unavailable_reason = std::string("hardware perf events unavailable: ") + std::strerror(errno);
        break;
      }
    }
    return s;
  }();
  return support;
}

}  // namespace tailor::agent
