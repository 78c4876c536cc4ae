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
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/runtime/spawn_protocol.h"

namespace {

namespace spawn = tailor::agent::spawn;

struct Run {
  pid_t pid = -1;
  int channel = -1;        // -1 once the agent closed it
  int start_failure = -1;  // read end of the child's start-failure pipe
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

// Everything the child needs, built before vfork.
struct ChildPlan {
  const spawn::StartRequest* request = nullptr;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<perf_event_attr> counters;
};

[[noreturn]] void FailStart(spawn::StartStep step, int detail, int err) {
  const spawn::StartFailure failure{step, detail, err};
  ssize_t ignored = write(spawn::kChildStartFailureFd, &failure, sizeof(failure));
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

// In the vfork'd child: system calls only, on its own stack frames; never returns.
[[noreturn]] void RunChild(const ChildPlan& plan, const int (&fds)[spawn::kFdCount],
                           int start_failure_write) {
  const spawn::StartRequest& request = *plan.request;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  setpgid(0, 0);
  // The spawner keeps fds 0-4 occupied, so every received fd is above 4 and none is
  // overwritten here before it is duplicated.
  dup2(fds[spawn::kStdin], 0);
  dup2(fds[spawn::kStdout], 1);
  dup2(fds[spawn::kStderr], 2);
  dup3(fds[spawn::kChannel], spawn::kChildChannelFd, O_CLOEXEC);
  dup3(start_failure_write, spawn::kChildStartFailureFd, O_CLOEXEC);
  CloseFrom(spawn::kChildStartFailureFd + 1);  // other runs' channels, this run's originals

  for (size_t i = 0; i < request.join_files.size(); ++i) {
    const int fd = open(request.join_files[i].c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) {
      FailStart(spawn::StartStep::kJoin, static_cast<int>(i), errno);
    }
    close(fd);
  }
  if (!plan.counters.empty()) OpenCounters(plan);
  close(spawn::kChildChannelFd);
  if (request.gid && (setgroups(0, nullptr) != 0 || setgid(*request.gid) != 0)) {
    FailStart(spawn::StartStep::kCredentials, 0, errno);
  }
  if (request.uid && setuid(*request.uid) != 0) {
    FailStart(spawn::StartStep::kCredentials, 0, errno);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    FailStart(spawn::StartStep::kCredentials, 0, errno);
  }
  if (!request.working_dir.empty() && chdir(request.working_dir.c_str()) != 0) {
    FailStart(spawn::StartStep::kWorkingDir, 0, errno);
  }
  // Set after the uid change, which clears it. If the spawner is gone the run's report is
  // lost anyway, so the function must not run on unwatched.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != g_self) {
    FailStart(spawn::StartStep::kParent, 0, ECANCELED);
  }
  execve(request.executable.c_str(), plan.argv.data(), plan.envp.data());
  FailStart(spawn::StartStep::kExec, 0, errno);
}

// Reads one request from the control socket and starts its run. Returns false when the agent
// has closed the control socket.
bool HandleRequest() {
  static std::vector<char> buffer(spawn::kMaxRequestBytes + 1);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * spawn::kFdCount)];
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
  const bool complete = fds.size() == spawn::kFdCount && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0;
  auto request = spawn::DecodeStartRequest(std::string_view(buffer.data(), static_cast<size_t>(got)));
  if (!complete || !request.ok()) {
    if (fds.size() == spawn::kFdCount) SendFailed(fds[spawn::kChannel], EINVAL);
    Log(request.ok() ? "request without its four descriptors" : "malformed request", EINVAL);
    close_all();
    return true;
  }
  int run_fds[spawn::kFdCount];
  for (int i = 0; i < spawn::kFdCount; ++i) run_fds[i] = fds[static_cast<size_t>(i)];
  const int channel = run_fds[spawn::kChannel];

  ChildPlan plan;
  plan.request = &*request;
  for (const auto& a : request->argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
  plan.argv.push_back(nullptr);
  for (const auto& e : request->env) plan.envp.push_back(const_cast<char*>(e.c_str()));
  plan.envp.push_back(nullptr);
  for (const auto& c : request->counters) plan.counters.push_back(spawn::CounterAttr(c));

  int start_failure[2];
  if (pipe2(start_failure, O_CLOEXEC) != 0) {
    SendFailed(channel, errno);
    close_all();
    return true;
  }
  // See the top of this file for what the child may do while it shares our memory.
  const pid_t pid = vfork();
  if (pid == 0) RunChild(plan, run_fds, start_failure[1]);
  close(start_failure[1]);
  if (pid < 0) {
    SendFailed(channel, errno);
    close(start_failure[0]);
    close_all();
    return true;
  }
  setpgid(pid, pid);  // also here, so the group exists before the agent can ask to kill it
  for (int i = 0; i < spawn::kFdCount; ++i) {
    if (i != spawn::kChannel) close(run_fds[i]);
  }
  fcntl(channel, F_SETFL, O_NONBLOCK);
  g_runs.push_back({pid, channel, start_failure[0]});
  return true;
}

// Reaps every run that has exited and reports it.
void ReapExited() {
  for (;;) {
    siginfo_t info;
    std::memset(&info, 0, sizeof(info));
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
    const pid_t pid = info.si_pid;
    spawn::SpawnEvent event;
    event.kind = spawn::EventKind::kExited;
    event.pid = pid;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    event.exited_monotonic_ns = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
    // While it is a zombie its io counters include its reaped descendants.
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/io", static_cast<int>(pid));
    if (const int fd = open(path, O_RDONLY | O_CLOEXEC); fd >= 0) {
      const ssize_t n = read(fd, event.io_text, sizeof(event.io_text));
      if (n > 0) event.io_text_bytes = static_cast<int32_t>(n);
      close(fd);
    }
    // Descendants that outlive the main process are part of the run: end them first, while
    // the group id cannot yet be reused.
    kill(-pid, SIGKILL);
    int status = 0;
    while (wait4(pid, &status, 0, &event.usage) < 0 && errno == EINTR) {
    }
    event.wait_status = status;
    for (auto it = g_runs.begin(); it != g_runs.end(); ++it) {
      if (it->pid != pid) continue;
      // The pipe's only writer has exited: a failure is there now, or nothing ever will be.
      spawn::StartFailure failure;
      if (read(it->start_failure, &failure, sizeof(failure)) == sizeof(failure) &&
          failure.step != spawn::StartStep::kNone) {
        event.start_step = failure.step;
        event.start_detail = failure.detail;
        event.error = failure.error;
      }
      close(it->start_failure);
      SendEvent(it->channel, event);
      if (it->channel >= 0) {
        // A kill byte the agent sent at the timeout may still be unread: closing a Unix socket
        // with unread data resets the peer, which would lose the event just sent.
        char unread;
        while (recv(it->channel, &unread, 1, MSG_DONTWAIT) > 0) {
        }
        close(it->channel);
      }
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

}  // namespace

int main() {
  g_self = getpid();
  // fds 0-4 stay occupied (stdio, the control socket, a spare) so that received descriptors
  // are all above 4; see RunChild.
  for (int fd : {0, 1, 2, 4}) {
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
  CloseFrom(5);
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
    // Channels before new requests: g_runs may grow in HandleRequest.
    for (size_t i = first_channel; i < fds.size(); ++i) {
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
