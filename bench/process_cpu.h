// CPU time of another process, for the benchmarks that measure the agent (and its spawner)
// from outside.
#pragma once

#include <sys/types.h>

namespace tailor::bench {

// utime + stime of `pid` (all its threads, not its children) in seconds, from
// /proc/<pid>/stat, in clock ticks (10 ms); 0 when the process is gone.
double ProcessCpuSeconds(pid_t pid);

}  // namespace tailor::bench
