#include "agent/load/load_sampler.h"

#include "agent/load/meminfo.h"
#include "agent/load/pressure.h"
#include "common/file_util.h"
#include "common/logging.h"

namespace tailor::agent {

LoadSampler::LoadSampler(HostPaths paths, std::function<uint32_t()> running_invocations,
                         std::function<uint32_t()> queued_invocations)
    : paths_(std::move(paths)),
      running_(std::move(running_invocations)),
      queued_(std::move(queued_invocations)) {}

Result<v1::NodeLoad> LoadSampler::Sample() {
  v1::NodeLoad load;
  TAILOR_ASSIGN_OR_RETURN(std::string stat_text, ReadFile(paths_.Resolve("/proc/stat")));
  TAILOR_ASSIGN_OR_RETURN(CpuTimes cpu, ParseProcStatCpu(stat_text));
  if (previous_cpu_) load.set_cpu_utilization(CpuUtilization(*previous_cpu_, cpu));
  previous_cpu_ = cpu;

  TAILOR_ASSIGN_OR_RETURN(std::string mem_text, ReadFile(paths_.Resolve("/proc/meminfo")));
  TAILOR_ASSIGN_OR_RETURN(Meminfo mem, ParseMeminfo(mem_text));
  load.set_memory_total_bytes(mem.total_bytes);
  load.set_memory_used_bytes(mem.total_bytes - std::min(mem.total_bytes, mem.available_bytes));

  auto cpu_psi = ReadFile(paths_.Resolve("/proc/pressure/cpu"));
  auto mem_psi = ReadFile(paths_.Resolve("/proc/pressure/memory"));
  auto io_psi = ReadFile(paths_.Resolve("/proc/pressure/io"));
  if (cpu_psi.ok() && mem_psi.ok() && io_psi.ok()) {
    auto c = ParsePressure(*cpu_psi);
    auto m = ParsePressure(*mem_psi);
    auto i = ParsePressure(*io_psi);
    if (c.ok() && m.ok() && i.ok()) {
      auto* p = load.mutable_pressure();
      p->set_available(true);
      p->set_cpu_some_avg10(c->some.avg10);
      p->set_memory_some_avg10(m->some.avg10);
      p->set_memory_full_avg10(m->full.avg10);
      p->set_io_some_avg10(i->some.avg10);
      p->set_io_full_avg10(i->full.avg10);
    }
  } else {
    log::LogOnce(log::Level::kInfo, "load.pressure_unavailable",
                 "pressure stall information unavailable; heartbeats carry no pressure",
                 {{"error", (cpu_psi.ok() ? (mem_psi.ok() ? io_psi.status() : mem_psi.status())
                                          : cpu_psi.status())}});
  }
  if (running_) load.set_running_invocations(running_());
  if (queued_) load.set_queued_invocations(queued_());
  return load;
}

}  // namespace tailor::agent
