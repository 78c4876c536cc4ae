// Perf counters for runs: which ones this host can give, and the hardware set a run counts.
//
// The run's child opens the counters on itself before exec (agent/run_spawner.cc, with
// spawn::CounterAttr: user space, counting from exec, inherited by descendants) and hands them
// to the agent, which reads them after the run. Only hardware events are counted per run
// (instructions, cycles, LLC references and misses): the software ones (task clock, context
// switches, page faults) repeat what wait4's rusage already reports. In VMs hardware events
// fail with ENOENT; the agent learns that once, at start, and then asks for none, so such a
// host pays nothing per run and every report says why the figures are missing.
//
// Thread-safety: ProbePerfSupport may be called from any thread; it probes once per process.
#pragma once

#include <string>
#include <vector>

#include "agent/runtime/spawn_protocol.h"

namespace tailor::agent {

struct PerfSupport {
  bool hardware = false;            // the run's hardware counters can be opened here
  std::string unavailable_reason;   // why not, for the run reports
};

// Opens one disabled counter of each hardware event on the calling process and keeps it for
// the process's lifetime. The kernel enables an event type by patching its code (a static key,
// with an IPI to every CPU) when the first such event opens and patches it back when the last
// closes: held open here, per-run counters never pay that (it was about 1 ms of agent CPU per
// run on the dev VM). The result is computed once.
PerfSupport ProbePerfSupport();

// What a run counts when PerfSupport::hardware: instructions, cycles, LLC references, LLC
// misses, in this order.
const std::vector<spawn::CounterSpec>& HardwareCounters();

}  // namespace tailor::agent
