#include "agent/runtime/process_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "common/file_util.h"

namespace tailor::agent {
namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd(other.fd) { other.fd = -1; }
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Status MakePipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
  read_end.fd = p[0];
  write_end.fd = p[1];
  return OkStatus();
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

extern "C" char** environ;

// What tailor-run-shim writes to fd 5 after the function exits (agent/run_shim.cc).
struct ShimReport {
  int32_t magic;
  int32_t wait_status;
  struct rusage usage;
};
constexpr int32_t kShimReportMagic = 0x54534852;

}  // namespace

std::string DefaultRunShimPath() {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return kRunShimName;
  std::string dir(exe, static_cast<size_t>(n));
  dir.resize(dir.rfind('/') + 1);
  return dir + kRunShimName;
}

Result<ProcessResult> RunProcess(const ProcessSpec& spec, const AttachFn& attach,
                                 const KillTreeFn& kill_tree) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });

  // The shim's command line: what it does before exec, then the function's own argv.
  std::vector<std::string> argv_storage = {spec.run_shim};
  for (const auto& path : spec.join_cgroup_procs_files) {
    argv_storage.push_back("--join");
    argv_storage.push_back(path);
  }
  if (spec.gid) argv_storage.insert(argv_storage.end(), {"--gid", std::to_string(*spec.gid)});
  if (spec.uid) argv_storage.insert(argv_storage.end(), {"--uid", std::to_string(*spec.uid)});
  if (!spec.working_dir.empty()) {
    argv_storage.insert(argv_storage.end(), {"--chdir", spec.working_dir});
  }
  argv_storage.push_back("--");
  argv_storage.push_back(spec.executable);
  argv_storage.insert(argv_storage.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = spec.env;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  Fd in_r, in_w, out_r, out_w, err_r, err_w, gate_r, gate_w, exec_r, exec_w, report_r, report_w;
  TAILOR_RETURN_IF_ERROR(MakePipe(in_r, in_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(out_r, out_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(err_r, err_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(gate_r, gate_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(exec_r, exec_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(report_r, report_w));

  // posix_spawn (vfork-like: the agent's memory is neither copied nor write-protected) with
  // its own process group, default signal dispositions and an empty mask. All our pipe fds
  // are close-on-exec; dup2 onto 0-4 gives the shim exactly the ones it needs.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  posix_spawn_file_actions_adddup2(&actions, gate_r.fd, 3);
  posix_spawn_file_actions_adddup2(&actions, exec_w.fd, 4);
  posix_spawn_file_actions_adddup2(&actions, report_w.fd, 5);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int spawn_rc = ::posix_spawn(&pid, spec.run_shim.c_str(), &actions, &attr, argv.data(),
                                     envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawn_rc != 0) return ErrnoToStatus(spawn_rc, "starting the run shim " + spec.run_shim);

  in_r.Close();
  out_w.Close();
  err_w.Close();
  gate_r.Close();
  exec_w.Close();
  report_w.Close();

  auto abort_child = [&](Status why) -> Status {
    gate_w.Close();  // the child reads EOF at the gate and exits
    ::kill(pid, SIGKILL);
    int st;
    ::waitpid(pid, &st, 0);
    return why;
  };

  if (attach) {
    Status s = attach(pid);
    if (!s.ok()) return abort_child(s.WithContext("attaching the run's cgroup and counters"));
  }
  Fd pidfd(PidfdOpen(pid));

  ProcessResult result;
  const auto start = Clock::now();
  result.started_at = std::chrono::system_clock::now();
  if (::write(gate_w.fd, "g", 1) != 1) return abort_child(ErrnoToStatus(errno, "start gate"));
  gate_w.Close();

  // Exec succeeded iff the error pipe closes without data. The pipe is watched in the poll
  // loop below rather than read here, so a short run costs the agent one wake-up, not two.
  auto check_exec = [&]() -> Status {
    int exec_errno = 0;
    ssize_t n;
    while ((n = ::read(exec_r.fd, &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR) {
    }
    exec_r.Close();
    if (n == sizeof(exec_errno)) {
      int st;
      ::waitpid(pid, &st, 0);
      return ErrnoToStatus(exec_errno, "starting " + spec.executable);
    }
    return OkStatus();
  };

  SetNonBlocking(in_w.fd);
  SetNonBlocking(out_r.fd);
  SetNonBlocking(err_r.fd);
  size_t stdin_off = 0;
  if (spec.stdin_data.empty()) in_w.Close();

  const auto deadline = start + spec.timeout;
  bool exited = false;
  char buf[65536];
  auto drain = [&](Fd& fd, bool is_stdout) {
    while (fd.fd >= 0) {
      ssize_t r = ::read(fd.fd, buf, sizeof(buf));
      if (r > 0) {
        const auto len = static_cast<size_t>(r);
        if (is_stdout) {
          result.stdout_total_bytes += len;
          const size_t room = spec.stdout_cap_bytes - std::min(spec.stdout_cap_bytes,
                                                               result.stdout_data.size());
          result.stdout_data.append(buf, std::min(room, len));
          if (len > room) result.stdout_truncated = true;
        } else {
          result.stderr_tail.append(buf, len);
          if (result.stderr_tail.size() > spec.stderr_cap_bytes) {
            result.stderr_tail.erase(0, result.stderr_tail.size() - spec.stderr_cap_bytes);
            result.stderr_truncated = true;
          }
        }
        continue;
      }
      if (r == 0) fd.Close();  // EOF
      return;                  // EAGAIN or EOF
    }
  };

  while (!exited) {
    pollfd fds[5];
    nfds_t nfds = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1, idx_pid = -1, idx_exec = -1;
    if (exec_r.fd >= 0) { idx_exec = static_cast<int>(nfds); fds[nfds++] = {exec_r.fd, POLLIN, 0}; }
    if (in_w.fd >= 0) { idx_in = static_cast<int>(nfds); fds[nfds++] = {in_w.fd, POLLOUT, 0}; }
    if (out_r.fd >= 0) { idx_out = static_cast<int>(nfds); fds[nfds++] = {out_r.fd, POLLIN, 0}; }
    if (err_r.fd >= 0) { idx_err = static_cast<int>(nfds); fds[nfds++] = {err_r.fd, POLLIN, 0}; }
    if (pidfd.fd >= 0) { idx_pid = static_cast<int>(nfds); fds[nfds++] = {pidfd.fd, POLLIN, 0}; }

    const auto now = Clock::now();
    if (!result.timed_out && now >= deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      if (kill_tree) kill_tree();
    }
    int wait_ms = result.timed_out ? 10 : static_cast<int>(std::min<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1,
        pidfd.fd >= 0 ? 60'000 : 10));
    int rc = ::poll(fds, nfds, wait_ms);
    if (rc < 0 && errno != EINTR) return abort_child(ErrnoToStatus(errno, "poll"));
    if (rc > 0 && idx_exec >= 0 && fds[idx_exec].revents) TAILOR_RETURN_IF_ERROR(check_exec());
    if (rc > 0) {
      if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t w = ::write(in_w.fd, spec.stdin_data.data() + stdin_off,
                            spec.stdin_data.size() - stdin_off);
        if (w > 0) stdin_off += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN) || stdin_off >= spec.stdin_data.size()) in_w.Close();
      }
      if (idx_out >= 0 && fds[idx_out].revents) drain(out_r, true);
      if (idx_err >= 0 && fds[idx_err].revents) drain(err_r, false);
    }
    // Has the child exited? Peek without reaping, so /proc/<pid>/io is still there.
    if (pidfd.fd < 0 || (idx_pid >= 0 && rc > 0 && fds[idx_pid].revents)) {
      siginfo_t info;
      std::memset(&info, 0, sizeof(info));
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        exited = true;
      }
    }
  }
  if (exec_r.fd >= 0) TAILOR_RETURN_IF_ERROR(check_exec());  // exited before we looked
  const auto end = Clock::now();
  result.ended_at = std::chrono::system_clock::now();
  result.wall_time = end - start;
  if (auto io_text = ReadFile("/proc/" + std::to_string(pid) + "/io"); io_text.ok()) {
    if (auto io = ParseProcIo(*io_text); io.ok()) result.proc_io = *io;
  }
  // Descendants that outlive the main process are part of the run: end them, then collect
  // whatever output is already buffered.
  ::kill(-pid, SIGKILL);
  if (kill_tree) kill_tree();
  in_w.Close();
  drain(out_r, true);
  drain(err_r, false);

  int status = 0;
  struct rusage shim_usage {};
  while (::wait4(pid, &status, 0, &shim_usage) < 0 && errno == EINTR) {
  }
  // The function's own status and rusage, from the shim. Without them (the shim was killed at
  // the timeout) keep the shim's status and CPU, but not its ru_maxrss: that is the agent's
  // high-water mark, inherited at spawn.
  ShimReport report{};
  ssize_t got = 0;
  while ((got = ::read(report_r.fd, &report, sizeof(report))) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof(report)) && report.magic == kShimReportMagic) {
    status = report.wait_status;
    result.rusage = report.usage;
    result.function_rusage = true;
  } else {
    result.rusage = shim_usage;
    result.rusage.ru_maxrss = 0;
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace tailor::agent
