// A tailor-scheduler started as a child process for the load benchmarks: its data in a scratch
// directory, its stderr in <dir>/scheduler.log, its addresses read back from address files.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tailor::bench {

struct SchedulerProcess {
  pid_t pid = -1;
  std::string dir;           // scratch directory (data in dir/data)
  std::string address;       // gRPC host:port
  std::string http_address;  // HTTP host:port; empty unless asked for with --http-listen
  std::string log_file;
};

// Starts `bin_dir`/tailor-scheduler on loopback port 0 in `dir` with `extra` flags, and waits up
// to 10 s for its addresses. Exits the benchmark (status 1, with the reason) when it cannot.
SchedulerProcess StartSchedulerProcess(const std::string& bin_dir, const std::string& dir,
                                       const std::vector<std::string>& extra);
// SIGTERM, then waits for it.
void StopSchedulerProcess(SchedulerProcess& scheduler);

// Prints "<prefix>: <why>" and exits with status 1.
[[noreturn]] void Die(const std::string& prefix, const std::string& why);

}  // namespace tailor::bench
