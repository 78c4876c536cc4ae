// LoadSampler: the node's load for heartbeats, from /proc/stat, /proc/meminfo and
// /proc/pressure under HostPaths. CPU utilization is the busy share since the previous
// Sample() call.
//
// A source that is missing (no /proc/pressure on kernels without PSI) is reported as
// unavailable in the result and logged once; it is not an error.
//
// Thread-safety: Sample() must not be called concurrently.
#pragma once

#include <functional>
#include <optional>

#include "agent/inventory/host_paths.h"
#include "agent/load/proc_stat.h"
#include "common/status.h"
#include "tailor/v1/membership.pb.h"

namespace tailor::agent {

class LoadSampler {
 public:
  // `running_invocations` and `queued_invocations` report the agent's own work; may be null.
  LoadSampler(HostPaths paths, std::function<uint32_t()> running_invocations = nullptr,
              std::function<uint32_t()> queued_invocations = nullptr);

  Result<v1::NodeLoad> Sample();

 private:
  HostPaths paths_;
  std::function<uint32_t()> running_;
  std::function<uint32_t()> queued_;
  std::optional<CpuTimes> previous_cpu_;
};

}  // namespace tailor::agent
