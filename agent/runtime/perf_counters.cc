#include "agent/runtime/perf_counters.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tailor::agent {
namespace {

enum Slot { kInstructions, kCycles, kLlcRefs, kLlcMisses, kTaskClock, kCtxSwitches, kFaults };

struct EventSpec {
  Slot slot;
  uint32_t type;
  uint64_t config;
  bool hardware;
};

constexpr EventSpec kEvents[] = {
    {kInstructions, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, true},
    {kCycles, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, true},
    {kLlcRefs, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, true},
    {kLlcMisses, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, true},
    {kTaskClock, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, false},
    {kCtxSwitches, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, false},
    {kFaults, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, false},
};

}  // namespace

namespace {

// The kernel enables a software event type by patching its code (a static key, with an IPI to
// every CPU) when the first such event opens, and patches it back when the last one closes.
// Opened and closed once per run, that cost about a millisecond of agent CPU per run on the
// dev VM. Holding one disabled counter of each kind on the agent itself for its lifetime keeps
// the keys set, so per-run counters are cheap. (Disabled counters on an idle agent cost
// nothing measurable.)
// A disabled user-space counter of this event.
perf_event_attr AttrFor(const EventSpec& e) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = e.type;
  attr.config = e.config;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return attr;
}

void KeepPerfEventTypesWarm() {
  static const bool done = [] {
    for (const auto& e : kEvents) {
      perf_event_attr attr = AttrFor(e);
      // Deliberately never closed; failures only mean that event type is unavailable here.
      (void)::syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    }
    return true;
  }();
  (void)done;
}

}  // namespace

PerfEventOpenFn RealPerfEventOpen() {
  KeepPerfEventTypesWarm();
  return [](perf_event_attr* attr, pid_t pid) {
    return static_cast<int>(
        ::syscall(SYS_perf_event_open, attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC));
  };
}

PerfCounters::PerfCounters(pid_t pid, const PerfEventOpenFn& open) {
  bool hw_ok = true, sw_ok = true;
  for (const auto& e : kEvents) {
    if (e.hardware && !hw_ok) continue;
    perf_event_attr attr = AttrFor(e);
    attr.enable_on_exec = 1;
    attr.inherit = 1;
    int fd = open(&attr, pid);
    if (fd < 0) {
      if (reason_.empty()) {
        reason_ = std::string(e.hardware ? "hardware" : "software") +
                  " perf events unavailable: " + std::strerror(errno);
      }
      (e.hardware ? hw_ok : sw_ok) = false;
      continue;
    }
    fds_.emplace_back(fd, e.slot);
  }
  // A partial set is as good as none for a ratio such as LLC miss rate: keep all or nothing.
  if (!hw_ok || !sw_ok) {
    std::vector<std::pair<int, int>> kept;
    for (auto [fd, slot] : fds_) {
      const bool is_hw = slot <= kLlcMisses;
      if ((is_hw && !hw_ok) || (!is_hw && !sw_ok)) {
        ::close(fd);
      } else {
        kept.emplace_back(fd, slot);
      }
    }
    fds_ = std::move(kept);
  }
  hardware_ = hw_ok;
  software_ = sw_ok;
}

PerfCounters::~PerfCounters() {
  for (auto [fd, slot] : fds_) ::close(fd);
}

PerfReadings PerfCounters::Read() const {
  PerfReadings r;
  r.hardware = hardware_;
  r.software = software_;
  r.unavailable_reason = reason_;
  for (auto [fd, slot] : fds_) {
    uint64_t value = 0;
    if (::read(fd, &value, sizeof(value)) != sizeof(value)) continue;
    switch (slot) {
      case kInstructions: r.instructions = value; break;
      case kCycles: r.cycles = value; break;
      case kLlcRefs: r.llc_references = value; break;
      case kLlcMisses: r.llc_misses = value; break;
      case kTaskClock: r.task_clock_ns = value; break;
      case kCtxSwitches: r.context_switches = value; break;
      case kFaults: r.page_faults = value; break;
      default: break;
    }
  }
  return r;
}

}  // namespace tailor::agent
