// The messages between the agent and tailor-run-spawner (agent/run_spawner.cc), the small
// long-lived process that starts every function run.
//
// The agent holds one end of a SOCK_SEQPACKET socket pair (the control socket); the spawner
// has the other as fd 3. For each run the agent sends one SpawnRequest message with six
// file descriptors attached (SCM_RIGHTS), in the order of SpawnFd:
//
//   stdin (read end), stdout and stderr (write ends), the start gate (read end), the exec
//   error pipe (write end), and the run's own channel (a SOCK_SEQPACKET socket).
//
// The spawner answers on the run's channel, never on the control socket, so runs started from
// many agent threads at once never read each other's answers:
//
//   SpawnEvent{kStarted, pid}       the child exists, has joined the run's cgroups and waits
//                                   at the start gate;
//   SpawnEvent{kFailed, error}      it could not be started (fork failed, malformed request);
//   SpawnEvent{kExited, ...}        the function exited: its wait status and rusage (from wait4
//                                   in the spawner, whose children inherit only its small
//                                   memory high-water mark), /proc/<pid>/io read while it was
//                                   a zombie, and when the spawner saw the exit.
//
// The agent may write one byte, kKillByte, to the channel: the spawner SIGKILLs the run's
// process group if it has not been reaped yet (the timeout). Closing the channel does the
// same. The spawner exits, killing every run it still has, when the control socket closes.
//
// Encoding and decoding are pure functions here, shared by both programs and unit-tested.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tailor::agent::spawn {

inline constexpr uint32_t kRequestMagic = 0x54535251;  // "QRST"
inline constexpr uint32_t kEventMagic = 0x54535645;    // "EVST"
inline constexpr uint32_t kVersion = 1;

// The largest request: the function's path, arguments, environment and cgroup files. An
// AF_UNIX datagram must fit the socket's send buffer (about 208 KiB by default).
inline constexpr size_t kMaxRequestBytes = 192 << 10;

// The descriptors sent with a request, in this order.
enum SpawnFd : int { kStdin = 0, kStdout, kStderr, kGate, kExecError, kChannel, kFdCount };

// The descriptor numbers the function's child sets up before exec: 0-2 are stdio, and while
// it waits at the start gate, kChildGateFd and kChildExecErrorFd (both close-on-exec).
inline constexpr int kChildGateFd = 3;
inline constexpr int kChildExecErrorFd = 4;
// The spawner's end of the control socket.
inline constexpr int kSpawnerControlFd = 3;

// Written to a run's channel by the agent: kill the run's process group now.
inline constexpr char kKillByte = 'k';
// Written to the start gate by the agent: exec the function. EOF at the gate means abort.
inline constexpr char kGateOpenByte = 'g';

struct SpawnRequest {
  std::string executable;               // absolute path
  std::vector<std::string> argv;        // argv[0] included
  std::vector<std::string> env;         // "KEY=VALUE", the whole environment
  std::string working_dir;              // "" : the spawner's
  std::optional<uint32_t> uid;          // drop to this user before exec
  std::optional<uint32_t> gid;
  std::vector<std::string> join_files;  // cgroup.procs files to write "0" to before the gate
};

// INVALID_ARGUMENT when a string holds a NUL byte; RESOURCE_EXHAUSTED over kMaxRequestBytes.
Result<std::string> EncodeRequest(const SpawnRequest& request);
// INVALID_ARGUMENT for anything not produced by EncodeRequest of this version.
Result<SpawnRequest> DecodeRequest(std::string_view bytes);

enum class EventKind : uint32_t { kStarted = 1, kFailed = 2, kExited = 3 };

// Fixed size, so one recv reads one whole event.
struct SpawnEvent {
  uint32_t magic = kEventMagic;
  EventKind kind = EventKind::kFailed;
  int32_t pid = 0;
  int32_t error = 0;        // kFailed: an errno value
  int32_t wait_status = 0;  // kExited: as from wait4
  int32_t io_text_bytes = 0;
  int64_t exited_monotonic_ns = 0;  // kExited: CLOCK_MONOTONIC when the spawner saw the exit
  struct rusage usage {};           // kExited: the function's own
  char io_text[512] = {};           // kExited: /proc/<pid>/io, when it could be read

  std::string_view IoText() const {
    return {io_text, static_cast<size_t>(io_text_bytes)};
  }
};

// INVALID_ARGUMENT unless `bytes` is exactly one well-formed event.
Result<SpawnEvent> DecodeEvent(std::string_view bytes);

}  // namespace tailor::agent::spawn
