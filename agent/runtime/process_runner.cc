#include "agent/runtime/process_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "agent/runtime/spawn_protocol.h"
#include "common/file_util.h"
#include "common/logging.h"

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
  // Gives up ownership.
  int Release() { return std::exchange(fd, -1); }
};

Status MakePipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
  read_end.fd = p[0];
  write_end.fd = p[1];
  return OkStatus();
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// One event from a run's channel; nullopt when the spawner closed it without one (it died).
Result<std::optional<spawn::SpawnEvent>> ReadEvent(int channel) {
  char buf[sizeof(spawn::SpawnEvent) + 1];
  ssize_t n;
  while ((n = ::recv(channel, buf, sizeof(buf), 0)) < 0 && errno == EINTR) {
  }
  if (n < 0) {
    if (errno == ECONNRESET) return std::optional<spawn::SpawnEvent>();
    return ErrnoToStatus(errno, "reading from the run spawner");
  }
  if (n == 0) return std::optional<spawn::SpawnEvent>();
  TAILOR_ASSIGN_OR_RETURN(spawn::SpawnEvent event,
                          spawn::DecodeEvent(std::string_view(buf, static_cast<size_t>(n))));
  return std::optional<spawn::SpawnEvent>(event);
}

// Asks the spawner to SIGKILL the run's process group (if it is not reaped yet).
void SendKill(int channel) {
  const char kill_byte = spawn::kKillByte;
  (void)::send(channel, &kill_byte, 1, MSG_NOSIGNAL);
}

// Writes all of `data` to a blocking fd; false (errno set) on an error.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<PreparedProcess>> PreparedProcess::Prepare(
    RunSpawner& spawner, const std::vector<std::string>& join_cgroup_procs_files) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });

  spawn::PrepareRequest request;
  request.join_files = join_cgroup_procs_files;
  TAILOR_ASSIGN_OR_RETURN(std::string encoded, spawn::EncodePrepareRequest(request));

  Fd in_r, in_w, out_r, out_w, err_r, err_w, gate_r, gate_w, exec_r, exec_w, channel, theirs;
  TAILOR_RETURN_IF_ERROR(MakePipe(in_r, in_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(out_r, out_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(err_r, err_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(gate_r, gate_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(exec_r, exec_w));
  {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoToStatus(errno, "socketpair");
    }
    channel.fd = sv[0];
    theirs.fd = sv[1];
  }
  const int sent_fds[spawn::kFdCount] = {in_r.fd, out_w.fd, err_w.fd,
                                         gate_r.fd, exec_w.fd, theirs.fd};
  TAILOR_RETURN_IF_ERROR(spawner.Send(encoded, sent_fds));
  // Only the child holds the other ends now (the spawner closes its copies after the fork).
  TAILOR_ASSIGN_OR_RETURN(std::optional<spawn::SpawnEvent> started, ReadEvent(channel.fd));
  if (!started) return UnavailableError("the run spawner exited before forking the run");
  if (started->kind == spawn::EventKind::kFailed) {
    return ErrnoToStatus(started->error, "the run spawner could not fork the run");
  }
  if (started->kind != spawn::EventKind::kStarted) {
    return InternalError("the run spawner answered out of turn");
  }
  std::unique_ptr<PreparedProcess> process(new PreparedProcess());
  process->pid_ = started->pid;
  process->stdin_fd_ = in_w.Release();
  process->stdout_fd_ = out_r.Release();
  process->stderr_fd_ = err_r.Release();
  process->gate_fd_ = gate_w.Release();
  process->exec_error_fd_ = exec_r.Release();
  process->channel_fd_ = channel.Release();
  return process;
}

void PreparedProcess::Abandon() {
  if (channel_fd_ < 0) return;
  if (gate_fd_ >= 0) ::close(gate_fd_);  // the child reads EOF at the gate and exits
  gate_fd_ = -1;
  SendKill(channel_fd_);  // for a child already past the gate
  for (;;) {
    auto event = ReadEvent(channel_fd_);
    if (!event.ok() || !event->has_value() || (*event)->kind == spawn::EventKind::kExited) break;
  }
}

PreparedProcess::~PreparedProcess() {
  Abandon();
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_, gate_fd_, exec_error_fd_, channel_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

Result<ProcessResult> RunProcess(RunSpawner& spawner, const ProcessSpec& spec,
                                 const AttachFn& attach, const KillTreeFn& kill_tree) {
  auto prepared = PreparedProcess::Prepare(spawner, spec.join_cgroup_procs_files);
  if (!prepared.ok()) return prepared.status().WithContext("starting " + spec.executable);
  return RunPrepared(std::move(prepared).value(), spec, attach, kill_tree);
}

Result<ProcessResult> RunPrepared(std::unique_ptr<PreparedProcess> process,
                                  const ProcessSpec& spec, const AttachFn& attach,
                                  const KillTreeFn& kill_tree) {
  spawn::ExecRequest request;
  request.executable = spec.executable;
  request.argv.reserve(spec.args.size() + 1);
  request.argv.push_back(spec.executable);
  request.argv.insert(request.argv.end(), spec.args.begin(), spec.args.end());
  request.env = spec.env;
  request.working_dir = spec.working_dir;
  request.uid = spec.uid;
  request.gid = spec.gid;
  auto encoded = spawn::EncodeExecRequest(request);
  if (!encoded.ok()) return encoded.status().WithContext("starting " + spec.executable);

  // This run owns the descriptors now; `process` only abandons the child on early returns.
  const pid_t pid = process->pid();
  Fd in_w(std::exchange(process->stdin_fd_, -1));
  Fd out_r(std::exchange(process->stdout_fd_, -1));
  Fd err_r(std::exchange(process->stderr_fd_, -1));
  Fd exec_r(std::exchange(process->exec_error_fd_, -1));
  const int channel = process->channel_fd_;

  auto abort_child = [&](Status why) -> Status {
    process->Abandon();
    return why;
  };
  if (attach) {
    Status s = attach(pid);
    if (!s.ok()) return abort_child(s.WithContext("attaching the run's cgroup and counters"));
  }

  ProcessResult result;
  const auto start = Clock::now();
  result.started_at = std::chrono::system_clock::now();
  // The exec request opens the gate. A child that died before reading it (it could not join
  // its cgroups) makes this fail with EPIPE; its errno is on the exec error pipe.
  if (!WriteAll(process->gate_fd_, *encoded)) {
    const int write_errno = errno;
    int child_errno = 0;
    if (::read(exec_r.fd, &child_errno, sizeof(child_errno)) == sizeof(child_errno)) {
      return abort_child(ErrnoToStatus(child_errno, "starting " + spec.executable));
    }
    return abort_child(ErrnoToStatus(write_errno, "start gate of " + spec.executable));
  }
  ::close(std::exchange(process->gate_fd_, -1));

  // Exec succeeded iff the error pipe closes without data. The pipe is watched in the poll
  // loop below rather than read here, so a short run costs the agent one wake-up, not two.
  auto check_exec = [&]() -> Status {
    int exec_errno = 0;
    ssize_t n;
    while ((n = ::read(exec_r.fd, &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR) {
    }
    exec_r.Close();
    // Abandon waits for the child to be reaped, unless that is already known (the channel is
    // closed once the exit event or the spawner's EOF has arrived).
    if (n == sizeof(exec_errno)) {
      return abort_child(ErrnoToStatus(exec_errno, "starting " + spec.executable));
    }
    return OkStatus();
  };

  SetNonBlocking(in_w.fd);
  SetNonBlocking(out_r.fd);
  SetNonBlocking(err_r.fd);
  size_t stdin_off = 0;
  if (spec.stdin_data.empty()) in_w.Close();

  const auto deadline = start + spec.timeout;
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

  std::optional<spawn::SpawnEvent> exit_event;
  bool spawner_lost = false;
  while (!exit_event && !spawner_lost) {
    pollfd fds[5];
    nfds_t nfds = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1, idx_exec = -1;
    if (exec_r.fd >= 0) { idx_exec = static_cast<int>(nfds); fds[nfds++] = {exec_r.fd, POLLIN, 0}; }
    if (in_w.fd >= 0) { idx_in = static_cast<int>(nfds); fds[nfds++] = {in_w.fd, POLLOUT, 0}; }
    if (out_r.fd >= 0) { idx_out = static_cast<int>(nfds); fds[nfds++] = {out_r.fd, POLLIN, 0}; }
    if (err_r.fd >= 0) { idx_err = static_cast<int>(nfds); fds[nfds++] = {err_r.fd, POLLIN, 0}; }
    const int idx_channel = static_cast<int>(nfds);
    fds[nfds++] = {channel, POLLIN, 0};

    const auto now = Clock::now();
    if (!result.timed_out && now >= deadline) {
      result.timed_out = true;
      SendKill(channel);
      if (kill_tree) kill_tree();
    }
    const int wait_ms = result.timed_out ? 10 : static_cast<int>(std::min<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1,
        60'000));
    const int rc = ::poll(fds, nfds, wait_ms);
    if (rc < 0 && errno != EINTR) return abort_child(ErrnoToStatus(errno, "poll"));
    if (rc <= 0) continue;
    if (idx_exec >= 0 && fds[idx_exec].revents) TAILOR_RETURN_IF_ERROR(check_exec());
    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in_w.fd, spec.stdin_data.data() + stdin_off,
                          spec.stdin_data.size() - stdin_off);
      if (w > 0) stdin_off += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN) || stdin_off >= spec.stdin_data.size()) in_w.Close();
    }
    if (idx_out >= 0 && fds[idx_out].revents) drain(out_r, true);
    if (idx_err >= 0 && fds[idx_err].revents) drain(err_r, false);
    if (fds[idx_channel].revents) {
      auto event = ReadEvent(channel);
      if (!event.ok() || !event->has_value()) {
        spawner_lost = true;
      } else if ((*event)->kind == spawn::EventKind::kExited) {
        exit_event = **event;
      }
    }
  }
  // The child is reaped (or lost with its spawner): nothing is left to abandon.
  ::close(std::exchange(process->channel_fd_, -1));
  if (exec_r.fd >= 0) TAILOR_RETURN_IF_ERROR(check_exec());  // exited before we looked
  const auto now = Clock::now();
  auto end = now;
  if (exit_event) {
    const Clock::time_point seen{std::chrono::nanoseconds(exit_event->exited_monotonic_ns)};
    if (seen >= start && seen <= now) end = seen;
  }
  result.wall_time = end - start;
  result.ended_at = result.started_at +
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(end - start);
  // The spawner has killed the process group; the cgroup kill reaches descendants that left
  // it. Then collect whatever output is already buffered.
  if (kill_tree) kill_tree();
  in_w.Close();
  drain(out_r, true);
  drain(err_r, false);

  int status = 0;
  if (exit_event) {
    status = exit_event->wait_status;
    result.rusage = exit_event->usage;
    result.function_rusage = true;
    if (exit_event->io_text_bytes > 0) {
      if (auto io = ParseProcIo(exit_event->IoText()); io.ok()) result.proc_io = *io;
    }
  } else {
    log::Warn("the run spawner exited during a run: its exit status and rusage are lost",
              {{"executable", spec.executable}, {"pid", std::to_string(pid)}});
    status = SIGKILL;  // what PR_SET_PDEATHSIG sent it (WIFSIGNALED form)
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace tailor::agent
