// RunSpawner: the agent's handle on its tailor-run-spawner process (agent/run_spawner.cc),
// which starts (vfork) and reaps every function run. spawn_protocol.h has what they say to each other.
//
// The spawner is started on first use and started again when it is found gone (a send on the
// control socket fails): the runs it had are lost with it, the next ones are not.
//
// Thread-safety: Send may be called from many threads at once; each request is one atomic
// datagram and each run gets its answers on its own channel.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "agent/runtime/spawn_protocol.h"
#include "common/status.h"

namespace tailor::agent {

inline constexpr const char kRunSpawnerName[] = "tailor-run-spawner";
// tailor-run-spawner next to this program's own executable.
std::string DefaultRunSpawnerPath();

class RunSpawner {
 public:
  explicit RunSpawner(std::string program);
  ~RunSpawner();  // closes the control socket; the spawner ends its runs and exits
  RunSpawner(const RunSpawner&) = delete;
  RunSpawner& operator=(const RunSpawner&) = delete;

  // Starts the spawner unless it is running. Errors: the program cannot be started.
  Status EnsureStarted();

  // Sends one encoded SpawnRequest with its `fd_count` descriptors (SpawnFd order; at most
  // kMaxFdCount). The caller keeps and closes its own copies. Errors: the spawner cannot be
  // (re)started, or the request is refused by the kernel (EMSGSIZE: RESOURCE_EXHAUSTED).
  Status Send(const std::string& encoded_request, const int* fds, int fd_count);

  const std::string& program() const { return program_; }
  // The spawner's pid, or -1 when none is running.
  pid_t pid() const;

 private:
  struct Process;
  Result<std::shared_ptr<Process>> Current();
  void Forget(const std::shared_ptr<Process>& broken);

  const std::string program_;
  mutable std::mutex mu_;
  std::shared_ptr<Process> process_;
};

}  // namespace tailor::agent
