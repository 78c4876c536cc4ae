// CPU time of another process, for the benchmarks that measure the agent (and its spawner)
// from outside.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tailor::bench {

// utime + stime of `pid` (all its threads, not its children) in seconds, from
// /proc/<pid>/stat, in clock ticks (10 ms); 0 when the process is gone.
double ProcessCpuSeconds(pid_t pid);

// The live children of `pid` whose command name (/proc/<pid>/comm, at most 15 characters)
// starts with `comm_prefix`, e.g. the agent's run spawner.
std::vector<pid_t> ChildrenNamed(pid_t pid, const std::string& comm_prefix);

}  // namespace tailor::bench
