// PerfCounters: perf_event_open counters for one run, opened on the child before it execs
// (enable_on_exec, inherited by its descendants).
//
// Hardware events (instructions, cycles, LLC references and misses) are opened when the host
// has them; in VMs they fail with ENOENT and the run says so. Software events (task clock,
// context switches, page faults) work almost everywhere. The opener is a seam: tests pass a
// fake that refuses events to exercise the degraded paths.
//
// Thread-safety: one instance per run.
#pragma once

#include <linux/perf_event.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tailor::agent {

// Returns an fd, or -1 with errno set, like perf_event_open(attr, pid, -1, -1, CLOEXEC).
using PerfEventOpenFn = std::function<int(perf_event_attr* attr, pid_t pid)>;
PerfEventOpenFn RealPerfEventOpen();

struct PerfReadings {
  bool hardware = false;  // all four hardware counters opened
  bool software = false;  // the software counters opened
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  uint64_t llc_references = 0;
  uint64_t llc_misses = 0;
  uint64_t task_clock_ns = 0;
  uint64_t context_switches = 0;
  uint64_t page_faults = 0;
  std::string unavailable_reason;  // errno text of the first event that failed
};

class PerfCounters {
 public:
  PerfCounters(pid_t pid, const PerfEventOpenFn& open);
  ~PerfCounters();
  PerfCounters(const PerfCounters&) = delete;
  PerfCounters& operator=(const PerfCounters&) = delete;

  // Reads every open counter (call after the run has exited).
  PerfReadings Read() const;

 private:
  std::vector<std::pair<int, int>> fds_;  // (fd, slot index)
  bool hardware_ = false;
  bool software_ = false;
  std::string reason_;
};

}  // namespace tailor::agent
