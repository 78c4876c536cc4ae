// The messages between the agent and tailor-run-spawner (agent/run_spawner.cc), the small
// long-lived process that forks every function run.
//
// The agent holds one end of a SOCK_SEQPACKET socket pair (the control socket); the spawner
// has the other as fd 3. A run is started with one message and no round trip, because on a
// VM every wake-up of the agent costs tens of microseconds:
//
//   The agent sends one StartRequest datagram (the program, arguments, environment, directory,
//   user; the files to write "0" to before exec; the perf counters to open) with four file
//   descriptors attached (SCM_RIGHTS), in the order of SpawnFd: stdin (read end), stdout and
//   stderr (write ends), and the run's own channel (a SOCK_SEQPACKET socket).
//   The spawner forks a child, which takes those descriptors in its own process group, joins
//   the run's cgroups and resctrl group by writing "0" to each join file (a process may move
//   itself), opens the perf counters on itself (enable_on_exec, inherited by descendants),
//   drops privileges and execs.
//
// Answers come on the run's channel, never on the control socket, so runs started from many
// agent threads at once never read each other's answers:
//
//   SpawnEvent{kFailed, error}      from the spawner: it could not start the run (a malformed
//                                   request, fork failed);
//   SpawnEvent{kCounters, ...}      from the child, before exec, when counters were asked for:
//                                   `counter_count` perf event fds attached, or `error` (the
//                                   errno of the first counter that could not be opened; then
//                                   none is attached and the run goes ahead without);
//   SpawnEvent{kExited, ...}        from the spawner when the child exited: its wait status
//                                   and rusage (wait4 in the spawner, whose children inherit
//                                   only its small memory high-water mark), /proc/<pid>/io
//                                   read while it was a zombie, when the spawner saw the exit,
//                                   and, if the child failed before exec, which step failed
//                                   (start_step, start_detail) and its errno (error).
// The child reports a failure before exec as a StartFailure on a close-on-exec pipe whose read
// end the spawner keeps: nothing there at exit means the function started.
//
// The agent may write one byte, kKillByte, to the channel: the spawner SIGKILLs the run's
// process group if it has not been reaped yet (the timeout). Closing the channel does the
// same. The spawner exits, killing every run it still has, when the control socket closes.
//
// Encoding and decoding are pure functions here, shared by both programs and unit-tested.
#pragma once

#include <linux/perf_event.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tailor::agent::spawn {

inline constexpr uint32_t kStartMagic = 0x54535253;  // "SRST"
inline constexpr uint32_t kEventMagic = 0x54535645;  // "EVST"
inline constexpr uint32_t kVersion = 3;

// The largest start request. An AF_UNIX datagram must fit the socket's send buffer (about
// 208 KiB by default).
inline constexpr size_t kMaxRequestBytes = 192 << 10;
// The most perf counters one run may ask for (and so the most fds on a kCounters event).
inline constexpr size_t kMaxCounters = 8;

// The descriptors sent with a request, in this order. A sandboxed run with its own network
// namespace has a fifth: that namespace (an empty one the agent made ahead of time).
enum SpawnFd : int { kStdin = 0, kStdout, kStderr, kChannel, kFdCount, kNetns = kFdCount };
inline constexpr int kMaxFdCount = kFdCount + 1;

// The descriptor numbers in the function's child before exec: 0-2 are stdio; the run's
// channel and the start-failure pipe are close-on-exec.
inline constexpr int kChildChannelFd = 3;
inline constexpr int kChildStartFailureFd = 4;
// The spawner's end of the control socket.
inline constexpr int kSpawnerControlFd = 3;

// Written to a run's channel by the agent: kill the run's process group now.
inline constexpr char kKillByte = 'k';

// One perf event to count, as perf_event_attr type and config.
struct CounterSpec {
  uint32_t type = 0;
  uint64_t config = 0;
  bool operator==(const CounterSpec&) const = default;
};

// The attributes the child opens each counter with: user space only, counting from exec,
// inherited by the function's descendants.
perf_event_attr CounterAttr(const CounterSpec& counter);

// The namespaces a sandboxed run gets (SandboxRequest::namespaces).
enum Namespace : uint32_t {
  kNsPid = 1u << 0,    // own pid namespace; tailor-run-spawner --run-init is its pid 1
  kNsMount = 1u << 1,  // own mount namespace with the minimal root below
  kNsIpc = 1u << 2,
  kNsUts = 1u << 3,
  kNsNet = 1u << 4,  // joins the namespace sent as fd kNetns
};
inline constexpr uint32_t kAllNamespaces = kNsPid | kNsMount | kNsIpc | kNsUts | kNsNet;

// How a run is sandboxed (agent/runtime/sandbox_plan.h turns it into mounts; docs/security.md
// has the model). Not sandboxed when `namespaces` is 0 and `seccomp` is false.
struct SandboxRequest {
  uint32_t namespaces = 0;
  std::string root_dir;    // kNsMount: an empty host directory the run's / is assembled on
  std::string bundle_dir;  // kNsMount: host directory shown read-only at /function
  std::string rootfs;      // kNsMount: "" for host views, else the host directory shown as /
  std::string etc_dir;     // kNsMount, host views: host directory shown read-only at /etc
  // kNsMount, host views: "/usr" (bound read-only at the same path) or "/bin>usr/bin" (a
  // symlink /bin to usr/bin).
  std::vector<std::string> views;
  std::string hostname;     // kNsUts
  uint64_t tmp_bytes = 0;   // kNsMount: size of the run's /tmp and of its /dev/shm
  uint64_t open_files = 0;  // RLIMIT_NOFILE for the function; 0: inherit
  bool seccomp = false;     // the spawner's syscall filter (agent/runtime/seccomp_filter.h)
  bool operator==(const SandboxRequest&) const = default;
  bool enabled() const { return namespaces != 0 || seccomp; }
};

struct StartRequest {
  std::string executable;               // absolute path
  std::vector<std::string> argv;        // argv[0] included
  std::vector<std::string> env;         // "KEY=VALUE", the whole environment
  std::string working_dir;              // "" : the spawner's
  std::optional<uint32_t> uid;          // drop to this user before exec
  std::optional<uint32_t> gid;
  std::vector<std::string> join_files;  // cgroup.procs / resctrl tasks files to write "0" to
  std::vector<CounterSpec> counters;    // perf counters to open on the child (all or none)
  SandboxRequest sandbox;
  // The descriptors the request carries: kFdCount, plus the network namespace with kNsNet.
  int fd_count() const { return (sandbox.namespaces & kNsNet) ? kMaxFdCount : kFdCount; }
};

// INVALID_ARGUMENT when there is no executable, a string holds a NUL byte or there are more
// than kMaxCounters counters; RESOURCE_EXHAUSTED over kMaxRequestBytes.
Result<std::string> EncodeStartRequest(const StartRequest& request);
// INVALID_ARGUMENT for anything not produced by EncodeStartRequest of this version.
Result<StartRequest> DecodeStartRequest(std::string_view bytes);

// The step of starting a run that failed in the child.
enum class StartStep : int32_t {
  kNone = 0,
  kJoin = 1,         // writing "0" to join_files[start_detail]
  kCredentials = 2,  // setgroups / setgid / setuid / no_new_privs
  kWorkingDir = 3,   // chdir
  kParent = 4,       // the spawner was already gone (ECANCELED)
  kExec = 5,         // execve
  kSandbox = 6,      // namespaces and mounts: start_detail is a SandboxStep, or >= 0 the
                     // index of the failed operation in PlanSandboxFs
  kLimits = 7,       // setrlimit
  kSeccomp = 8,      // installing the syscall filter
};
// Sandbox steps before the mounts (start_detail < 0 with kSandbox).
enum SandboxStep : int32_t {
  kSandboxClone = -1,     // clone with the new namespaces
  kSandboxNetns = -2,     // setns into the network namespace
  kSandboxHostname = -3,  // sethostname
  kSandboxFork = -4,      // forking the function from the namespace's init
  kSandboxInit = -5,      // exec of the namespace's init
};

// What the run's processes write to the start-failure pipe: a failure before exec (by the
// child, or by the sandbox's first process before it became init), or, from the sandbox's
// init, the function's exit: its wait status (the spawner only sees init's), its rusage, and,
// when the sandbox has its own /proc, its /proc/<pid>/io read while it was a zombie. With
// all of that the spawner reports the run at once, without waiting for the namespaces to be
// torn down (has_usage).
struct ChildRecord {
  enum Kind : int32_t { kStartFailure = 1, kFunctionExit = 2 };
  Kind kind = kStartFailure;
  StartStep step = StartStep::kNone;  // kStartFailure
  int32_t detail = 0;                 // kStartFailure
  int32_t error = 0;                  // kStartFailure
  int32_t wait_status = 0;            // kFunctionExit
  int32_t has_usage = 0;              // kFunctionExit: usage and io_text are the function's
  int32_t io_text_bytes = 0;
  int32_t reserved = 0;
  struct rusage usage {};
  char io_text[512] = {};
};
// One write of a record is atomic (a pipe keeps writes up to PIPE_BUF whole).
static_assert(sizeof(ChildRecord) <= 4096);

enum class EventKind : uint32_t { kFailed = 2, kExited = 3, kCounters = 4 };

// Fixed size, so one recv reads one whole event.
struct SpawnEvent {
  uint32_t magic = kEventMagic;
  EventKind kind = EventKind::kFailed;
  int32_t pid = 0;
  int32_t error = 0;          // kFailed, kCounters, kExited with a start_step: an errno value
  int32_t wait_status = 0;    // kExited: as from wait4
  StartStep start_step = StartStep::kNone;  // kExited: the step that failed before exec
  int32_t start_detail = 0;   // kExited: e.g. the index of the join file
  int32_t counter_count = 0;  // kCounters: fds attached, in the order asked for
  int32_t io_text_bytes = 0;
  int32_t reserved = 0;
  int64_t exited_monotonic_ns = 0;  // kExited: CLOCK_MONOTONIC when the spawner saw the exit
  struct rusage usage {};           // kExited: the function's own
  char io_text[512] = {};           // kExited: /proc/<pid>/io, when it could be read

  std::string_view IoText() const {
    return {io_text, static_cast<size_t>(io_text_bytes)};
  }
};

// INVALID_ARGUMENT unless `bytes` is exactly one well-formed event.
Result<SpawnEvent> DecodeEvent(std::string_view bytes);

// Descriptors travel as one SCM_RIGHTS control message. AttachFds points `msg` at `control`
// (which must hold CMSG_SPACE(sizeof(int) * count) bytes, aligned for cmsghdr) and copies the
// descriptors in; it allocates nothing, so the vfork'd child may use it. ReceivedFds lists the
// descriptors a received message carried (the caller owns them).
void AttachFds(msghdr& msg, char* control, const int* fds, size_t count);
std::vector<int> ReceivedFds(msghdr& msg);

}  // namespace tailor::agent::spawn
