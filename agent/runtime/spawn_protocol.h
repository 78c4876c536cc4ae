// The messages between the agent and tailor-run-spawner (agent/run_spawner.cc), the small
// long-lived process that forks every function run.
//
// The agent holds one end of a SOCK_SEQPACKET socket pair (the control socket); the spawner
// has the other as fd 3. A run is started in two steps, so that the slow part can be done
// before the run is asked for:
//
// 1. Prepare. The agent sends one PrepareRequest datagram (the cgroup.procs files to join)
//    with six file descriptors attached (SCM_RIGHTS), in the order of SpawnFd:
//      stdin (read end), stdout and stderr (write ends), the start gate (read end), the exec
//      error pipe (write end), and the run's own channel (a SOCK_SEQPACKET socket).
//    The spawner forks a child, which takes those descriptors in its own process group,
//    joins the cgroups and waits at the start gate.
// 2. Exec. The agent writes one framed ExecRequest (the program, arguments, environment,
//    directory, user) to the start gate; the child reads it, drops privileges and execs.
//    EOF at the gate means the run is abandoned: the child exits.
//
// The spawner answers on the run's channel, never on the control socket, so runs started from
// many agent threads at once never read each other's answers:
//
//   SpawnEvent{kStarted, pid}       the child exists (it joins the cgroups next);
//   SpawnEvent{kFailed, error}      it could not be started (fork failed, malformed request);
//   SpawnEvent{kExited, ...}        the child exited: its wait status and rusage (from wait4
//                                   in the spawner, whose children inherit only its small
//                                   memory high-water mark), /proc/<pid>/io read while it was
//                                   a zombie, and when the spawner saw the exit.
// The child reports any failure before exec (joining, a malformed exec request, setuid, exec
// itself) as an errno int on the exec error pipe, which is close-on-exec: EOF there without
// data means the function started.
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

inline constexpr uint32_t kPrepareMagic = 0x54535250;  // "PRST"
inline constexpr uint32_t kExecMagic = 0x54535845;     // "EXST"
inline constexpr uint32_t kEventMagic = 0x54535645;    // "EVST"
inline constexpr uint32_t kVersion = 1;

// The largest prepare request. An AF_UNIX datagram must fit the socket's send buffer (about
// 208 KiB by default).
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

struct PrepareRequest {
  std::vector<std::string> join_files;  // cgroup.procs files to write "0" to
};

// The run's program, written to the start gate.
struct ExecRequest {
  std::string executable;               // absolute path
  std::vector<std::string> argv;        // argv[0] included
  std::vector<std::string> env;         // "KEY=VALUE", the whole environment
  std::string working_dir;              // "" : the spawner's
  std::optional<uint32_t> uid;          // drop to this user before exec
  std::optional<uint32_t> gid;
};

// INVALID_ARGUMENT when a path holds a NUL byte; RESOURCE_EXHAUSTED over kMaxRequestBytes.
Result<std::string> EncodePrepareRequest(const PrepareRequest& request);
// INVALID_ARGUMENT for anything not produced by EncodePrepareRequest of this version.
Result<PrepareRequest> DecodePrepareRequest(std::string_view bytes);

// The largest exec request (it travels through a pipe, so it could be larger; this bounds what
// the child allocates before it execs).
inline constexpr size_t kMaxExecRequestBytes = 4 << 20;
// Framed for the gate: a 4-byte length, then the body. INVALID_ARGUMENT when a string holds a
// NUL byte or there is no executable; RESOURCE_EXHAUSTED over kMaxExecRequestBytes.
Result<std::string> EncodeExecRequest(const ExecRequest& request);
// The body, without the length. INVALID_ARGUMENT for anything EncodeExecRequest did not make.
Result<ExecRequest> DecodeExecRequest(std::string_view body);

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
