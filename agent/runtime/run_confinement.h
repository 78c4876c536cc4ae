// RunConfinement: what confines one run or one warm instance: its cgroup (handed to the
// janitor however the run ends, so it is removed off the run's path), its resctrl group, and
// the limits written to them.
//
// Thread-safety: belongs to one run or instance.
#pragma once

#include <memory>

#include "agent/runtime/cgroup_janitor.h"
#include "agent/runtime/resctrl_run.h"
#include "agent/runtime/run_cgroup.h"

namespace tailor::agent {

struct RunConfinement {
  CgroupJanitor* janitor = nullptr;
  std::unique_ptr<RunCgroup> cgroup;
  std::unique_ptr<ResctrlRun> resctrl;
  CgroupLimits limits;
  RunConfinement() = default;
  RunConfinement(RunConfinement&&) = default;
  RunConfinement& operator=(RunConfinement&&) = default;
  ~RunConfinement() {
    if (cgroup) janitor->Remove(std::move(cgroup));
  }
};

}  // namespace tailor::agent
