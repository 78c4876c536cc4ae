// tailor-run-spawner: the small, long-lived process that starts every function run.
//
// The agent starts one with posix_spawn, the control socket on fd 3
// (agent/runtime/spawn_protocol.h has the messages), and sends it one request per run. It is
// single-threaded and about 1.3 MiB. It decodes the request and builds the argument and
// environment arrays first, then starts the run's child with vfork: the child borrows the
// spawner's memory until it execs, so there are no page tables to copy and no copy-on-write
// faults afterwards in either process (on the dev VM fork cost the spawner about 1 ms of CPU
// per run and 0.25 ms of each run's start; docs/benchmarks.md). The spawner waits, suspended,
// until the child has exec'd or failed. So the child only makes system calls: it writes
// nothing but its own stack frames (never the spawner's data), calls no allocator, and leaves
// with execve or _exit. (The price: a child that blocks before exec, say on a hung network
// file system holding the bundle, holds up the start of other runs until it gets through.)
// It:
//
//   1. takes its stdio and the run's channel from the descriptors the agent sent, in its own
//      process group, with default signal handling;
//   2. writes "0" to each join file: the run's cgroup.procs files and resctrl tasks file (a
//      process may move itself; the cgroups' limits were written by the agent beforehand);
//   3. opens the perf counters asked for on itself (counting from exec, inherited by its
//      descendants) and hands them to the agent on the run's channel;
//   4. drops to the run's gid/uid, sets no_new_privs (no setuid or file-capability binary can
//      give the function more privilege than it starts with), changes directory, asks to be
//      killed if the spawner dies, and execs the function with exactly the environment it
//      was given.
// A failure before exec is written as a StartFailure to a close-on-exec pipe whose read end
// the spawner keeps, and the child exits 127; the spawner reads the pipe when it reaps the
// child, so a run costs the agent no extra wake-up to learn that its exec succeeded.
//
// A sandboxed run (SandboxRequest; docs/security.md) starts the same way but with clone
// instead of vfork (CLONE_VM|CLONE_VFORK too: nothing copied), into new pid, mount, IPC and
// UTS namespaces, on a stack of its own (g_sandbox_stack). That first process joins the run's
// groups and network namespace, sets the host name and assembles the root on the template
// this spawner keeps in its own mount namespace (EnsureTemplate, sandbox_plan.h), starts the
// function's process the same way (step 3 and 4 there, plus the open-files limit, dropping
// every capability and the seccomp filter), then drops to the run's user and execs this
// program as the pid namespace's init (RunInit), which reports the function's exit on the
// start-failure pipe. The spawner watches that pipe and answers as soon as the exit is there.
//
// Why a separate process and not the agent: a child of the big, threaded agent would either
// copy its page tables and write-protect its memory (fork) or inherit its memory high-water
// mark at exec (vfork, posix_spawn), so wait4's ru_maxrss would report the agent's size, not
// the function's. A child of this process inherits only its 1.3 MiB. Before this program
// there was a per-run shim, exec'd for every run: one exec more than a bare fork/exec/wait,
// which in a VM is most of a millisecond.
//
// The spawner reaps each run itself: when a run exits it reads /proc/<pid>/io while the run is
// a zombie, SIGKILLs what is left of its process group, reaps it with wait4 and sends the
// status and rusage on the run's channel. It exits, killing the runs it still has, when the
// agent closes the control socket (so also when the agent dies). Not meant to be run by hand.
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent/runtime/sandbox_plan.h"
#include "agent/runtime/seccomp_filter.h"
#include "agent/runtime/spawn_protocol.h"

namespace {

namespace spawn = tailor::agent::spawn;

struct Run {
  pid_t pid = -1;
  int channel = -1;        // -1 once the agent closed it
  int start_failure = -1;  // read end of the child's start-failure pipe
  // A sandbox whose init reports the function's whole exit: the spawner watches the pipe and
  // reports the run when the record comes (reported), then only reaps init.
  bool watch_pipe = false;
  bool reported = false;
  // What the run's processes wrote to the pipe so far.
  spawn::StartStep start_step = spawn::StartStep::kNone;
  int32_t start_detail = 0;
  int32_t start_error = 0;
  bool has_function_status = false;
  int32_t function_status = 0;
};

std::vector<Run> g_runs;
pid_t g_self = -1;

void Log(const char* what, int err) {
  char line[256];
  const int n = std::snprintf(line, sizeof(line), "tailor-run-spawner: %s: %s\n", what,
                              std::strerror(err));
  if (n > 0) {
    ssize_t ignored = write(2, line, static_cast<size_t>(std::min<int>(n, sizeof(line) - 1)));
    (void)ignored;
  }
}

void CloseFrom(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  for (int fd = first; fd < 4096; ++fd) close(fd);
}

void SendEvent(int channel, const spawn::SpawnEvent& event) {
  if (channel < 0) return;
  while (send(channel, &event, sizeof(event), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

void SendFailed(int channel, int err) {
  spawn::SpawnEvent event;
  event.kind = spawn::EventKind::kFailed;
  event.error = err;
  SendEvent(channel, event);
}

// Everything the child needs, built before vfork/clone.
struct ChildPlan {
  const spawn::StartRequest* request = nullptr;
  int fs_detail_base = 0;  // added to a failed fs_ops index (kOnTemplateDetailBase on a template)
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<perf_event_attr> counters;
  std::vector<spawn::FsOp> fs_ops;  // sandboxed with kNsMount
  sock_fprog seccomp{};             // sandboxed with seccomp
  int netns_fd = -1;                // sandboxed with kNsNet
};

// The syscall filter, built once (BuildSeccompFilter); empty if libseccomp failed.
std::vector<sock_filter> g_seccomp;
int g_seccomp_error = 0;
// This program, for the sandbox's init (which is `tailor-run-spawner --run-init`): opened at
// start, because a sandbox cannot see the host's file system by the time it execs.
int g_self_exe = -1;
int g_self_pidfd = -1;  // the spawner's own pidfd, for a sandbox's WatchSpawner
int g_cap_last = 40;    // /proc/sys/kernel/cap_last_cap
// The stack of a sandbox's first process, which shares the spawner's memory (CLONE_VM) while
// the spawner waits for it (CLONE_VFORK), so one at a time.
alignas(64) char g_sandbox_stack[256 << 10];

[[noreturn]] void FailStart(spawn::StartStep step, int detail, int err) {
  spawn::ChildRecord record;
  record.kind = spawn::ChildRecord::kStartFailure;
  record.step = step;
  record.detail = detail;
  record.error = err;
  ssize_t ignored = write(spawn::kChildStartFailureFd, &record, sizeof(record));
  (void)ignored;
  _exit(127);
}

// Opens every counter on this process and sends them on the run's channel (all of them, or
// the errno of the first that failed and none).
void OpenCounters(const ChildPlan& plan) {
  int fds[spawn::kMaxCounters];
  spawn::SpawnEvent event;
  event.kind = spawn::EventKind::kCounters;
  event.pid = getpid();
  int opened = 0;
  for (const perf_event_attr& attr : plan.counters) {
    perf_event_attr copy = attr;
    const int fd = static_cast<int>(
        syscall(SYS_perf_event_open, &copy, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      event.error = errno;
      break;
    }
    fds[opened++] = fd;
  }
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * spawn::kMaxCounters)];
  iovec iov{&event, sizeof(event)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (event.error == 0 && opened > 0) {
    event.counter_count = opened;
    spawn::AttachFds(msg, control, fds, static_cast<size_t>(opened));
  }
  while (sendmsg(spawn::kChildChannelFd, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
  for (int i = 0; i < opened; ++i) close(fds[i]);  // the agent has its copies
}

// Step 1 of every child: its stdio, the run's channel and the start-failure pipe at fixed
// numbers, default signal handling, its own process group; the network namespace (if any)
// moves to kChildNetnsFd; everything else is closed.
// A sandbox's first process also keeps this program, to exec as the namespace's init, and
// the spawner's pidfd, to know it is alive.
constexpr int kChildNetnsFd = spawn::kChildStartFailureFd + 1;
constexpr int kChildSelfExeFd = kChildNetnsFd + 1;
constexpr int kChildSpawnerPidFd = kChildSelfExeFd + 1;
void TakeDescriptors(const ChildPlan& plan, const int* fds, int start_failure_write) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  setpgid(0, 0);
  // The spawner keeps fds 0-7 occupied, so every received fd is above 7 and none is
  // overwritten here before it is duplicated (5-7: kChildNetnsFd and the two after it).
  dup2(fds[spawn::kStdin], 0);
  dup2(fds[spawn::kStdout], 1);
  dup2(fds[spawn::kStderr], 2);
  dup3(fds[spawn::kChannel], spawn::kChildChannelFd, O_CLOEXEC);
  dup3(start_failure_write, spawn::kChildStartFailureFd, O_CLOEXEC);
  if (plan.netns_fd >= 0) dup3(plan.netns_fd, kChildNetnsFd, O_CLOEXEC);
  const bool sandbox_init = (plan.request->sandbox.namespaces & spawn::kNsPid) != 0;
  if (sandbox_init) {
    dup3(g_self_exe, kChildSelfExeFd, O_CLOEXEC);
    dup3(g_self_pidfd, kChildSpawnerPidFd, O_CLOEXEC);
  }
  CloseFrom(sandbox_init ? kChildSpawnerPidFd + 1 : kChildNetnsFd + (plan.netns_fd >= 0 ? 1 : 0));
}

// Writes "0" to every join file: the run's cgroups and resctrl group.
void JoinGroups(const spawn::StartRequest& request) {
  for (size_t i = 0; i < request.join_files.size(); ++i) {
    const int fd = open(request.join_files[i].c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) {
      FailStart(spawn::StartStep::kJoin, static_cast<int>(i), errno);
    }
    close(fd);
  }
}

// To the run's user for good: no capabilities left to regain (the bounding set emptied when
// sandboxed), and no_new_privs, so no setuid or file-capability binary can give the function
// more privilege than it starts with.
void DropPrivileges(const spawn::StartRequest& request) {
  if (request.sandbox.enabled()) {
    for (int cap = 0; cap <= g_cap_last; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  }
  if (request.gid && (setgroups(0, nullptr) != 0 || setgid(*request.gid) != 0)) {
    FailStart(spawn::StartStep::kCredentials, 0, errno);
  }
  if (request.uid && setuid(*request.uid) != 0) {
    FailStart(spawn::StartStep::kCredentials, 0, errno);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    FailStart(spawn::StartStep::kCredentials, 0, errno);
  }
}

// Set after the uid change, which clears it. If the spawner is gone the run's report is
// lost anyway, so the function must not run on unwatched. In a new pid namespace the parent
// is invisible (getppid() is 0, and pids name other processes), so the spawner's pidfd tells:
// it turns readable when the spawner exits.
void WatchSpawner(bool own_pid_namespace) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) FailStart(spawn::StartStep::kParent, 0, ECANCELED);
  bool alive = getppid() == g_self;
  if (own_pid_namespace) {
    pollfd spawner{kChildSpawnerPidFd, POLLIN, 0};
    alive = poll(&spawner, 1, 0) == 0;
  }
  if (!alive) FailStart(spawn::StartStep::kParent, 0, ECANCELED);
}

void InstallSeccomp(const ChildPlan& plan) {
  if (!plan.request->sandbox.seccomp) return;
  if (plan.seccomp.len == 0) FailStart(spawn::StartStep::kSeccomp, 0, g_seccomp_error);
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &plan.seccomp, 0, 0) != 0) {
    FailStart(spawn::StartStep::kSeccomp, 0, errno);
  }
}

// The last steps of the function's own process: limits, counters, user, filter, exec.
[[noreturn]] void ExecFunction(const ChildPlan& plan, bool own_pid_namespace) {
  const spawn::StartRequest& request = *plan.request;
  if (request.sandbox.open_files > 0) {
    const rlimit files{request.sandbox.open_files, request.sandbox.open_files};
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) FailStart(spawn::StartStep::kLimits, 0, errno);
  }
  if (!plan.counters.empty()) OpenCounters(plan);
  close(spawn::kChildChannelFd);
  DropPrivileges(request);
  if (!own_pid_namespace) WatchSpawner(false);  // else the namespace's init watches
  InstallSeccomp(plan);
  if (!request.working_dir.empty() && chdir(request.working_dir.c_str()) != 0) {
    FailStart(spawn::StartStep::kWorkingDir, 0, errno);
  }
  execve(request.executable.c_str(), plan.argv.data(), plan.envp.data());
  FailStart(spawn::StartStep::kExec, 0, errno);
}

// In the vfork'd child of an unsandboxed run: system calls only, on its own stack frames.
[[noreturn]] void RunChild(const ChildPlan& plan, const int* fds, int start_failure_write) {
  TakeDescriptors(plan, fds, start_failure_write);
  JoinGroups(*plan.request);
  ExecFunction(plan, false);
}

// One mount-namespace operation of PlanSandboxFs.
int DoFsOp(const spawn::FsOp& op) {
  auto or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
  switch (op.kind) {
    case spawn::FsOp::Kind::kMount:
      return mount(or_null(op.source), op.target.c_str(), or_null(op.fstype), op.flags,
                   or_null(op.data));
    case spawn::FsOp::Kind::kMkdir:
      return mkdir(op.target.c_str(), op.mode) == 0 || errno == EEXIST ? 0 : -1;
    case spawn::FsOp::Kind::kSymlink:
      return symlink(op.source.c_str(), op.target.c_str());
    case spawn::FsOp::Kind::kMknod:
      return mknod(op.target.c_str(), op.mode, op.device);
    case spawn::FsOp::Kind::kPivotRoot:
      // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only
      // the new root.
      if (chdir(op.target.c_str()) != 0) return -1;
      if (syscall(SYS_pivot_root, ".", ".") != 0) return -1;
      if (umount2(".", MNT_DETACH) != 0) return -1;
      return chdir("/");
  }
  errno = EINVAL;
  return -1;
}

// Decimal text of a non-negative number, into `out` (at least 12 bytes); no allocation.
const char* Decimal(int value, char* out) {
  char digits[12];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < 11);
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  out[n] = '\0';
  return out;
}

// The function's process in a sandbox with its own pid namespace (pid 2 there).
alignas(64) char g_function_stack[256 << 10];
int FunctionChild(void* plan) { ExecFunction(*static_cast<const ChildPlan*>(plan), true); }

struct SandboxArgs {
  ChildPlan* plan;
  const int* fds;
  int start_failure_write;
};

// The first process of a sandboxed run, made by clone with the new namespaces; it shares the
// spawner's memory until it execs (so, as RunChild: system calls only, its own stack).
// It joins the run's groups and network namespace, assembles the root, then, with its own
// pid namespace, forks the function and execs itself as that namespace's init.
int SandboxChild(void* raw) {
  auto* args = static_cast<SandboxArgs*>(raw);
  ChildPlan& plan = *args->plan;
  const spawn::SandboxRequest& box = plan.request->sandbox;
  TakeDescriptors(plan, args->fds, args->start_failure_write);
  umask(0);  // the planned modes are the modes
  JoinGroups(*plan.request);
  if (box.namespaces & spawn::kNsNet) {
    if (setns(kChildNetnsFd, CLONE_NEWNET) != 0) {
      FailStart(spawn::StartStep::kSandbox, spawn::kSandboxNetns, errno);
    }
    close(kChildNetnsFd);
  }
  if ((box.namespaces & spawn::kNsUts) &&
      sethostname(box.hostname.data(), box.hostname.size()) != 0) {
    FailStart(spawn::StartStep::kSandbox, spawn::kSandboxHostname, errno);
  }
  for (size_t i = 0; i < plan.fs_ops.size(); ++i) {
    if (DoFsOp(plan.fs_ops[i]) != 0) {
      FailStart(spawn::StartStep::kSandbox, plan.fs_detail_base + static_cast<int>(i), errno);
    }
  }
  umask(022);
  if (!(box.namespaces & spawn::kNsPid)) ExecFunction(plan, false);

  // The function shares this memory (which is the spawner's) until it execs, as this process
  // does: nothing to copy. It runs on a stack of its own; this process waits for its exec.
  const long function = clone(FunctionChild, g_function_stack + sizeof(g_function_stack),
                              CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  if (function < 0) FailStart(spawn::StartStep::kSandbox, spawn::kSandboxFork, errno);
  // This process becomes the namespace's init: no stdio, no channel.
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    for (int fd = 0; fd < 3; ++fd) dup2(null_fd, fd);
    close(null_fd);
  }
  close(spawn::kChildChannelFd);
  // No syscall filter for init (a second filter costs a BPF compile per run): it runs only
  // this file's code, as the function's user with no_new_privs, and the function's filter
  // keeps the function from tracing it.
  DropPrivileges(*plan.request);
  WatchSpawner(true);
  fcntl(spawn::kChildStartFailureFd, F_SETFD, 0);  // init writes the function's status there
  char pid_text[12];
  char run_init[] = "--run-init";
  char name[] = "tailor-run-init";
  char own_proc[] = {(box.namespaces & spawn::kNsMount) ? '1' : '0', '\0'};
  char* init_argv[] = {name, run_init,
                       const_cast<char*>(Decimal(static_cast<int>(function), pid_text)), own_proc,
                       nullptr};
  char* no_env[] = {nullptr};
  syscall(SYS_execveat, kChildSelfExeFd, "", init_argv, no_env, AT_EMPTY_PATH);
  FailStart(spawn::StartStep::kSandbox, spawn::kSandboxInit, errno);
}

// The templates made in this process's own mount namespace (sandbox_plan.h), by key, and the
// keys that could not be made (their runs get the whole plan, and its errors).
std::vector<std::string> g_templates;
std::vector<std::string> g_failed_templates;
bool g_own_mount_namespace = false;

// Makes the template for `box` unless it exists. False when it cannot be made.
bool EnsureTemplate(const spawn::SandboxRequest& box) {
  const std::string key = spawn::SandboxTemplateKey(box);
  for (const std::string& made : g_templates) {
    if (made == key) return true;
  }
  for (const std::string& failed : g_failed_templates) {
    if (failed == key) return false;
  }
  if (!g_own_mount_namespace) {
    // A slave: the host's later mounts still arrive here, nothing made here leaves.
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
      Log("making the spawner's own mount namespace (runs assemble their whole root)", errno);
      g_failed_templates.push_back(key);
      return false;
    }
    g_own_mount_namespace = true;
  }
  const mode_t old_umask = umask(0);
  bool ok = true;
  for (const spawn::FsOp& op : spawn::PlanSandboxTemplate(box)) {
    if (DoFsOp(op) != 0) {
      Log(("preparing the sandbox template at " + op.target).c_str(), errno);
      umount2(box.root_dir.c_str(), MNT_DETACH);
      ok = false;
      break;
    }
  }
  umask(old_umask);
  (ok ? g_templates : g_failed_templates).push_back(key);
  return ok;
}

int CloneFlags(uint32_t namespaces) {
  int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  if (namespaces & spawn::kNsPid) flags |= CLONE_NEWPID;
  if (namespaces & spawn::kNsMount) flags |= CLONE_NEWNS;
  if (namespaces & spawn::kNsIpc) flags |= CLONE_NEWIPC;
  if (namespaces & spawn::kNsUts) flags |= CLONE_NEWUTS;
  return flags;
}

// Starts the run's first process: vfork when unsandboxed, else clone with its namespaces.
pid_t StartChild(ChildPlan& plan, const int* fds, int start_failure_write) {
  const uint32_t namespaces = plan.request->sandbox.namespaces & ~spawn::kNsNet;
  if (namespaces == 0) {
    // See the top of this file for what the child may do while it shares our memory.
    const pid_t pid = vfork();
    if (pid == 0) RunChild(plan, fds, start_failure_write);
    return pid;
  }
  SandboxArgs args{&plan, fds, start_failure_write};
  return clone(SandboxChild, g_sandbox_stack + sizeof(g_sandbox_stack), CloneFlags(namespaces),
               &args);
}

// /proc/<pid>/io into `out` (read while the process is a zombie, its totals include its reaped
// descendants); the number of bytes read, 0 when it cannot be read.
int32_t ReadProcIo(pid_t pid, char* out, size_t size) {
  char path[32];
  std::snprintf(path, sizeof(path), "/proc/%d/io", static_cast<int>(pid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const ssize_t n = read(fd, out, size);
  close(fd);
  return n > 0 ? static_cast<int32_t>(n) : 0;
}

// The init of a sandboxed run's pid namespace (`tailor-run-spawner --run-init <pid> <own
// proc>`): it forwards every signal it can to the function, reaps whatever ends up its child,
// and when the function exits writes its exit (wait status, rusage and, with the sandbox's own
// /proc, its io counters) to the start-failure pipe (fd 4) and exits, which ends everything
// else in the namespace. The function cannot signal it: a namespace's init ignores signals
// from inside it that it has no handler for.
[[noreturn]] void ReportFunctionExit(pid_t function, bool own_proc) {
  spawn::ChildRecord record;
  record.kind = spawn::ChildRecord::kFunctionExit;
  if (own_proc) record.io_text_bytes = ReadProcIo(function, record.io_text, sizeof(record.io_text));
  int status = 0;
  while (wait4(function, &status, 0, &record.usage) < 0 && errno == EINTR) {
  }
  record.wait_status = status;
  record.has_usage = own_proc ? 1 : 0;
  ssize_t ignored = write(spawn::kChildStartFailureFd, &record, sizeof(record));
  (void)ignored;
  _exit(0);
}

[[noreturn]] void RunInit(pid_t function, bool own_proc) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (;;) {
    // Look before reaping: the function is reaped only once its io counters are read.
    for (;;) {
      siginfo_t exited;
      std::memset(&exited, 0, sizeof(exited));
      if (waitid(P_ALL, 0, &exited, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno == ECHILD) _exit(125);  // the function is gone without a status
        break;
      }
      if (exited.si_pid == 0) break;
      if (exited.si_pid == function) ReportFunctionExit(function, own_proc);
      waitpid(exited.si_pid, nullptr, 0);  // an orphan of the function's
    }
    siginfo_t info;
    const int sig = sigwaitinfo(&all, &info);
    if (sig > 0 && sig != SIGCHLD) kill(function, sig);
  }
}

// Reads one request from the control socket and starts its run. Returns false when the agent
// has closed the control socket.
bool HandleRequest() {
  static std::vector<char> buffer(spawn::kMaxRequestBytes + 1);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * spawn::kMaxFdCount)];
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t got;
  while ((got = recvmsg(spawn::kSpawnerControlFd, &msg, MSG_CMSG_CLOEXEC)) < 0 &&
         errno == EINTR) {
  }
  if (got == 0) return false;
  if (got < 0) {
    if (errno == EAGAIN) return true;
    Log("reading the control socket", errno);
    return false;
  }
  const std::vector<int> fds = spawn::ReceivedFds(msg);
  auto close_all = [&] {
    for (int fd : fds) close(fd);
  };
  auto request = spawn::DecodeStartRequest(std::string_view(buffer.data(), static_cast<size_t>(got)));
  const size_t wanted = request.ok() ? static_cast<size_t>(request->fd_count())
                                     : static_cast<size_t>(spawn::kFdCount);
  const bool complete = fds.size() == wanted && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0;
  if (!complete || !request.ok()) {
    if (fds.size() >= spawn::kFdCount) SendFailed(fds[spawn::kChannel], EINVAL);
    Log(request.ok() ? "request without its descriptors" : "malformed request", EINVAL);
    close_all();
    return true;
  }
  const int channel = fds[spawn::kChannel];

  ChildPlan plan;
  plan.request = &*request;
  for (const auto& a : request->argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
  plan.argv.push_back(nullptr);
  for (const auto& e : request->env) plan.envp.push_back(const_cast<char*>(e.c_str()));
  plan.envp.push_back(nullptr);
  for (const auto& c : request->counters) plan.counters.push_back(spawn::CounterAttr(c));
  const spawn::SandboxRequest& box = request->sandbox;
  if ((box.namespaces & spawn::kNsMount) && box.rootfs.empty() && EnsureTemplate(box)) {
    plan.fs_ops = spawn::PlanSandboxRunOnTemplate(box);
    plan.fs_detail_base = spawn::kOnTemplateDetailBase;
  } else if (box.namespaces & spawn::kNsMount) {
    plan.fs_ops = spawn::PlanSandboxFs(box);
  }
  if (box.namespaces & spawn::kNsNet) plan.netns_fd = fds[spawn::kNetns];
  if (box.seccomp && !g_seccomp.empty()) {
    plan.seccomp.len = static_cast<unsigned short>(g_seccomp.size());
    plan.seccomp.filter = g_seccomp.data();
  }

  int start_failure[2];
  if (pipe2(start_failure, O_CLOEXEC) != 0) {
    SendFailed(channel, errno);
    close_all();
    return true;
  }
  const pid_t pid = StartChild(plan, fds.data(), start_failure[1]);
  close(start_failure[1]);
  if (pid < 0) {
    SendFailed(channel, errno);
    close(start_failure[0]);
    close_all();
    return true;
  }
  setpgid(pid, pid);  // also here, so the group exists before the agent can ask to kill it
  for (int fd : fds) {
    if (fd != channel) close(fd);
  }
  fcntl(channel, F_SETFL, O_NONBLOCK);
  const bool watch_pipe = (box.namespaces & spawn::kNsPid) && (box.namespaces & spawn::kNsMount);
  if (watch_pipe) fcntl(start_failure[0], F_SETFL, O_NONBLOCK);
  g_runs.push_back({pid, channel, start_failure[0], watch_pipe, false});
  return true;
}

// Sends the run's exit and closes its channel.
void FinishRun(Run& run, const spawn::SpawnEvent& event) {
  SendEvent(run.channel, event);
  if (run.channel >= 0) {
    // A kill byte the agent sent at the timeout may still be unread: closing a Unix socket
    // with unread data resets the peer, which would lose the event just sent.
    char unread;
    while (recv(run.channel, &unread, 1, MSG_DONTWAIT) > 0) {
    }
    close(run.channel);
    run.channel = -1;
  }
  run.reported = true;
}

int64_t MonotonicNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// Reads what is on a run's start-failure pipe into `run` (failures, the function's status)
// and, when init reported the function's whole exit (rusage and io included), into `whole`.
// Returns whether it did; `eof` says the pipe has no writers left.
bool ReadRecords(Run& run, spawn::SpawnEvent& whole, bool* eof) {
  bool whole_exit = false;
  spawn::ChildRecord record;
  ssize_t n;
  while ((n = read(run.start_failure, &record, sizeof(record))) == sizeof(record)) {
    if (record.kind == spawn::ChildRecord::kFunctionExit) {
      run.has_function_status = true;
      run.function_status = record.wait_status;
      if (record.has_usage) {
        whole.wait_status = record.wait_status;
        whole.usage = record.usage;
        whole.io_text_bytes = std::clamp<int32_t>(record.io_text_bytes, 0, sizeof(whole.io_text));
        std::memcpy(whole.io_text, record.io_text, sizeof(whole.io_text));
        whole_exit = true;
      }
    } else if (run.start_step == spawn::StartStep::kNone &&
               record.step != spawn::StartStep::kNone) {
      run.start_step = record.step;
      run.start_detail = record.detail;
      run.start_error = record.error;
    }
  }
  if (eof != nullptr) *eof = n == 0;
  return whole_exit && run.start_step == spawn::StartStep::kNone;
}

// A watched sandbox's pipe is readable: report the run now if init said how the function
// ended; tearing the namespaces down (which can take a while) then happens off the run's time.
void HandlePipe(Run& run) {
  spawn::SpawnEvent event;
  event.kind = spawn::EventKind::kExited;
  event.pid = run.pid;
  event.exited_monotonic_ns = MonotonicNs();
  bool eof = false;
  if (ReadRecords(run, event, &eof)) {
    FinishRun(run, event);
    run.watch_pipe = false;
  } else if (eof) {
    run.watch_pipe = false;  // init's reaping reports it
  }
}

// Reaps every run that has exited and reports it (unless it was reported already).
void ReapExited() {
  for (;;) {
    siginfo_t info;
    std::memset(&info, 0, sizeof(info));
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
    const pid_t pid = info.si_pid;
    spawn::SpawnEvent event;
    event.kind = spawn::EventKind::kExited;
    event.pid = pid;
    event.exited_monotonic_ns = MonotonicNs();
    event.io_text_bytes = ReadProcIo(pid, event.io_text, sizeof(event.io_text));
    // Descendants that outlive the main process are part of the run: end them first, while
    // the group id cannot yet be reused.
    kill(-pid, SIGKILL);
    int status = 0;
    while (wait4(pid, &status, 0, &event.usage) < 0 && errno == EINTR) {
    }
    event.wait_status = status;  // replaced below by the function's, from a sandbox's init
    for (auto it = g_runs.begin(); it != g_runs.end(); ++it) {
      if (it->pid != pid) continue;
      // The pipe's writers have all exited: a failure is there now, and with a sandbox's
      // init, the function's own exit (the status above is init's).
      if (!it->reported) {
        spawn::SpawnEvent whole = event;
        if (ReadRecords(*it, whole, nullptr)) {
          event = whole;
        } else {
          if (it->has_function_status) event.wait_status = it->function_status;
          event.start_step = it->start_step;
          event.start_detail = it->start_detail;
          event.error = it->start_error;
        }
        FinishRun(*it, event);
      }
      close(it->start_failure);
      g_runs.erase(it);
      break;
    }
  }
}

// The agent wrote to or closed a run's channel.
void HandleChannel(Run& run) {
  char byte = 0;
  const ssize_t n = recv(run.channel, &byte, 1, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  kill(-run.pid, SIGKILL);  // kKillByte, or the agent gave up on the run
  if (n <= 0) {
    close(run.channel);
    run.channel = -1;
  }
}

// What a sandboxed run needs from the spawner: the syscall filter, this program (for the
// sandbox's init) and the number of capabilities to drop.
void PrepareSandboxes() {
  if (auto filter = tailor::agent::BuildSeccompFilter(); filter.ok()) {
    g_seccomp = std::move(*filter);
  } else {
    g_seccomp_error = ENOSYS;
    Log("building the seccomp filter (sandboxed runs that ask for it fail)", ENOSYS);
  }
  g_self_exe = open("/proc/self/exe", O_PATH | O_CLOEXEC);
  g_self_pidfd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  if (g_self_pidfd >= 0) fcntl(g_self_pidfd, F_SETFD, FD_CLOEXEC);
  if (const int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC); fd >= 0) {
    char text[16] = {};
    if (read(fd, text, sizeof(text) - 1) > 0) g_cap_last = std::atoi(text);
    close(fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--run-init") == 0) {
    RunInit(std::atoi(argv[2]), std::strcmp(argv[3], "1") == 0);
  }
  g_self = getpid();
  // fds 0-7 stay occupied (stdio, the control socket, spares) so that received descriptors
  // are all above 7; see TakeDescriptors.
  for (int fd : {0, 1, 2, 4, 5, 6, 7}) {
    if (fcntl(fd, F_GETFD) < 0) {
      const int null_fd = open("/dev/null", O_RDWR);
      if (null_fd >= 0 && null_fd != fd) {
        dup2(null_fd, fd);
        close(null_fd);
      }
    }
  }
  if (fcntl(spawn::kSpawnerControlFd, F_GETFD) < 0) {
    Log("no control socket on fd 3", EBADF);
    return 2;
  }
  fcntl(spawn::kSpawnerControlFd, F_SETFD, FD_CLOEXEC);
  CloseFrom(8);
  PrepareSandboxes();
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  const int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) {
    Log("signalfd", errno);
    return 2;
  }

  bool agent_connected = true;
  std::vector<pollfd> fds;
  while (agent_connected || !g_runs.empty()) {
    fds.clear();
    fds.push_back({sigfd, POLLIN, 0});
    if (agent_connected) fds.push_back({spawn::kSpawnerControlFd, POLLIN, 0});
    const size_t first_channel = fds.size();
    for (const Run& run : g_runs) fds.push_back({run.channel, POLLIN, 0});  // -1 is skipped
    const size_t first_pipe = fds.size();
    for (const Run& run : g_runs)
      fds.push_back({run.watch_pipe ? run.start_failure : -1, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      Log("poll", errno);
      return 1;
    }
    if (fds[0].revents) {
      signalfd_siginfo info[16];
      while (read(sigfd, info, sizeof(info)) > 0) {
      }
      ReapExited();
    }
    // Pipes and channels before new requests: g_runs may grow in HandleRequest, and a run
    // reaped above is gone (so look runs up by descriptor).
    for (size_t i = first_pipe; i < fds.size(); ++i) {
      if (fds[i].revents == 0 || fds[i].fd < 0) continue;
      for (Run& run : g_runs) {
        if (run.watch_pipe && run.start_failure == fds[i].fd) {
          HandlePipe(run);
          break;
        }
      }
    }
    for (size_t i = first_channel; i < first_pipe; ++i) {
      if (fds[i].revents == 0) continue;
      for (Run& run : g_runs) {
        if (run.channel == fds[i].fd) {
          HandleChannel(run);
          break;
        }
      }
    }
    if (agent_connected && fds[1].revents && !HandleRequest()) {
      // The agent is gone: end every run, then leave once they are reaped.
      agent_connected = false;
      for (Run& run : g_runs) kill(-run.pid, SIGKILL);
    }
  }
  return 0;
}
