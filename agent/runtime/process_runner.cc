#include "agent/runtime/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "agent/runtime/sandbox_plan.h"
#include "agent/runtime/spawn_protocol.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/unique_fd.h"

namespace tailor::agent {
namespace {

using Clock = std::chrono::steady_clock;

using Fd = UniqueFd;

Status MakePipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
  read_end.fd = p[0];
  write_end.fd = p[1];
  return OkStatus();
}

// Our ends of the run's pipes only (the child's ends stay blocking). Pipe ends carry no other
// status flags, so setting O_NONBLOCK alone needs no F_GETFL first.
void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, O_NONBLOCK); }

// One event from a run's channel, with the descriptors it carried (kCounters); nullopt when
// the spawner closed the channel without one (it died).
struct ChannelEvent {
  spawn::SpawnEvent event;
  std::vector<Fd> fds;
};
Result<std::optional<ChannelEvent>> ReadEvent(int channel) {
  char buf[sizeof(spawn::SpawnEvent) + 1];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * spawn::kMaxCounters)];
  iovec iov{buf, sizeof(buf)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  while ((n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) {
    if (errno == ECONNRESET) return std::optional<ChannelEvent>();
    return ErrnoToStatus(errno, "reading from the run spawner");
  }
  ChannelEvent got;
  for (int fd : spawn::ReceivedFds(msg)) got.fds.emplace_back(fd);
  if (n == 0) return std::optional<ChannelEvent>();
  TAILOR_ASSIGN_OR_RETURN(got.event,
                          spawn::DecodeEvent(std::string_view(buf, static_cast<size_t>(n))));
  return std::optional<ChannelEvent>(std::move(got));
}

// Asks the spawner to SIGKILL the run's process group (if it is not reaped yet).
void SendKill(int channel) {
  const char kill_byte = spawn::kKillByte;
  (void)::send(channel, &kill_byte, 1, MSG_NOSIGNAL);
}

// Which sandbox step `detail` names (spawn::SandboxStep, or an index into PlanSandboxFs).
std::string SandboxStepName(int detail, const spawn::SandboxRequest& box) {
  switch (detail) {
    case spawn::kSandboxClone:
      return "new namespaces";
    case spawn::kSandboxNetns:
      return "joining its network namespace";
    case spawn::kSandboxHostname:
      return "setting its host name";
    case spawn::kSandboxFork:
      return "forking the function from the namespace's init";
    case spawn::kSandboxInit:
      return "starting the namespace's init";
    default:
      break;
  }
  const bool on_template = detail >= spawn::kOnTemplateDetailBase;
  const std::vector<spawn::FsOp> ops =
      on_template ? spawn::PlanSandboxRunOnTemplate(box) : spawn::PlanSandboxFs(box);
  if (on_template) detail -= spawn::kOnTemplateDetailBase;
  if (detail >= 0 && static_cast<size_t>(detail) < ops.size()) {
    const spawn::FsOp& op = ops[static_cast<size_t>(detail)];
    return (op.kind == spawn::FsOp::Kind::kMount
                ? "mounting " + (op.source.empty() ? op.fstype : op.source) + " on "
                : "preparing ") +
           op.target;
  }
  return "step " + std::to_string(detail);
}

// What a failure before exec means: the step, and what failed.
StartFailure StartFailureOf(const spawn::SpawnEvent& exited, const ProcessSpec& spec) {
  const int detail = exited.start_detail;
  switch (exited.start_step) {
    case spawn::StartStep::kJoin:
      if (detail >= 0 && static_cast<size_t>(detail) < spec.join_files.size()) {
        return {StartFailStep::kJoin,
                ErrnoToStatus(exited.error,
                              "joining " + spec.join_files[static_cast<size_t>(detail)])};
      }
      return {StartFailStep::kJoin, ErrnoToStatus(exited.error, "joining the run's cgroups")};
    case spawn::StartStep::kCredentials:
      return {StartFailStep::kCredentials,
              ErrnoToStatus(exited.error, "dropping to the run's user")};
    case spawn::StartStep::kWorkingDir:
      return {StartFailStep::kWorkingDir,
              ErrnoToStatus(exited.error, "changing to " + spec.working_dir)};
    case spawn::StartStep::kParent:
      return {StartFailStep::kSpawner,
              UnavailableError("the run spawner went away while starting " + spec.executable)};
    case spawn::StartStep::kSandbox:
      return {StartFailStep::kSandbox,
              ErrnoToStatus(exited.error, "making the run's sandbox (" +
                                              SandboxStepName(detail, spec.sandbox) + ")")};
    case spawn::StartStep::kLimits:
      return {StartFailStep::kSandbox, ErrnoToStatus(exited.error, "setting the run's limits")};
    case spawn::StartStep::kSeccomp:
      return {StartFailStep::kSandbox,
              ErrnoToStatus(exited.error, "installing the run's syscall filter")};
    case spawn::StartStep::kExec:
    case spawn::StartStep::kNone:
      break;
  }
  return {StartFailStep::kExec, ErrnoToStatus(exited.error, "starting " + spec.executable)};
}

}  // namespace

Result<ProcessResult> RunProcess(RunSpawner& spawner, const ProcessSpec& spec,
                                 const KillTreeFn& kill_tree) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });

  spawn::StartRequest request;
  request.executable = spec.executable;
  request.argv.reserve(spec.args.size() + 1);
  request.argv.push_back(spec.executable);
  request.argv.insert(request.argv.end(), spec.args.begin(), spec.args.end());
  request.env = spec.env;
  request.working_dir = spec.working_dir;
  request.uid = spec.uid;
  request.gid = spec.gid;
  request.join_files = spec.join_files;
  request.counters = spec.counters;
  request.sandbox = spec.sandbox;
  auto encoded = spawn::EncodeStartRequest(request);
  if (!encoded.ok()) return encoded.status().WithContext("starting " + spec.executable);

  Fd in_r, in_w, out_r, out_w, err_r, err_w, channel_fd, theirs;
  TAILOR_RETURN_IF_ERROR(MakePipe(in_r, in_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(out_r, out_w));
  TAILOR_RETURN_IF_ERROR(MakePipe(err_r, err_w));
  {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoToStatus(errno, "socketpair");
    }
    channel_fd.fd = sv[0];
    theirs.fd = sv[1];
  }
  ProcessResult result;
  const auto start = Clock::now();
  result.started_at = std::chrono::system_clock::now();
  if (request.fd_count() > spawn::kFdCount && spec.netns_fd < 0) {
    return InvalidArgumentError("a run in its own network namespace needs the namespace");
  }
  const int sent_fds[spawn::kMaxFdCount] = {in_r.fd, out_w.fd, err_w.fd, theirs.fd, spec.netns_fd};
  TAILOR_RETURN_IF_ERROR_CTX(spawner.Send(*encoded, sent_fds, request.fd_count()),
                             "starting " + spec.executable);
  // Only the child (and the spawner, until it has forked) holds the other ends now.
  in_r.Close();
  out_w.Close();
  err_w.Close();
  theirs.Close();
  const int channel = channel_fd.fd;

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
        if (spec.output_sink) {
          spec.output_sink(std::string_view(buf, len));
        } else if (is_stdout) {
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

  std::vector<Fd> counter_fds;
  if (!spec.counters.empty()) result.counters.unavailable = "the run ended before its counters opened";
  std::optional<spawn::SpawnEvent> exit_event;
  bool spawner_lost = false;
  // Until the exit event: when the agent can no longer follow the run, the spawner must still
  // end it, and the run is reported lost.
  auto abandon = [&](const Status& why) {
    SendKill(channel);
    channel_fd.Close();  // the spawner kills the group when the channel closes, too
    result.lost_reason = why.ToString();
    spawner_lost = true;
  };
  const bool sampling = spec.sample && spec.sample_interval.count() > 0;
  auto next_sample = start + spec.sample_interval;
  while (!exit_event && !spawner_lost) {
    pollfd fds[5];
    nfds_t nfds = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in_w.fd >= 0) { idx_in = static_cast<int>(nfds); fds[nfds++] = {in_w.fd, POLLOUT, 0}; }
    if (out_r.fd >= 0) { idx_out = static_cast<int>(nfds); fds[nfds++] = {out_r.fd, POLLIN, 0}; }
    if (err_r.fd >= 0) { idx_err = static_cast<int>(nfds); fds[nfds++] = {err_r.fd, POLLIN, 0}; }
    int idx_drain = -1;
    if (spec.drain_fd >= 0) {
      idx_drain = static_cast<int>(nfds);
      fds[nfds++] = {spec.drain_fd, POLLIN, 0};
    }
    const int idx_channel = static_cast<int>(nfds);
    fds[nfds++] = {channel, POLLIN, 0};

    const auto now = Clock::now();
    if (!result.timed_out && !result.cancelled && now >= deadline) {
      result.timed_out = true;
      SendKill(channel);
      if (kill_tree) kill_tree();
    }
    if (spec.cancelled && !result.timed_out && !result.cancelled && spec.cancelled()) {
      result.cancelled = true;
      SendKill(channel);
      if (kill_tree) kill_tree();
    }
    if (sampling && now >= next_sample) {
      spec.sample();
      next_sample = now + spec.sample_interval;
    }
    const bool killed = result.timed_out || result.cancelled;
    auto until = killed ? now + std::chrono::milliseconds(10) : deadline;
    if (sampling) until = std::min(until, next_sample);
    if (spec.cancelled && !killed) until = std::min(until, now + spec.cancel_poll);
    const int wait_ms = static_cast<int>(std::clamp<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1, 0,
        60'000));
    const int rc = ::poll(fds, nfds, wait_ms);
    if (rc < 0 && errno != EINTR) {
      abandon(ErrnoToStatus(errno, "poll"));
      continue;
    }
    if (rc <= 0) continue;
    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in_w.fd, spec.stdin_data.data() + stdin_off,
                          spec.stdin_data.size() - stdin_off);
      if (w > 0) stdin_off += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN) || stdin_off >= spec.stdin_data.size()) in_w.Close();
    }
    if (idx_out >= 0 && fds[idx_out].revents) drain(out_r, true);
    if (idx_err >= 0 && fds[idx_err].revents) drain(err_r, false);
    if (idx_drain >= 0 && (fds[idx_drain].revents & POLLIN)) {
      uint64_t requests = 0;
      (void)!::read(spec.drain_fd, &requests, sizeof(requests));  // resets the eventfd
      drain(out_r, true);
      drain(err_r, false);
      if (spec.drained) spec.drained();
    }
    if (fds[idx_channel].revents) {
      auto event = ReadEvent(channel);
      if (!event.ok()) {
        abandon(event.status());
        continue;
      }
      if (!event->has_value()) {
        spawner_lost = true;
        result.lost_reason = "the run spawner exited during the run";
        continue;
      }
      ChannelEvent& got = **event;
      switch (got.event.kind) {
        case spawn::EventKind::kFailed:
          result.start_failure = StartFailure{
              StartFailStep::kSpawner,
              ErrnoToStatus(got.event.error, "the run spawner could not start " + spec.executable)};
          return result;
        case spawn::EventKind::kCounters:
          if (got.event.error != 0 || got.fds.size() != spec.counters.size()) {
            result.counters.unavailable =
                std::string("perf events unavailable: ") +
                std::strerror(got.event.error != 0 ? got.event.error : EPROTO);
          } else {
            counter_fds = std::move(got.fds);
          }
          break;
        case spawn::EventKind::kExited:
          exit_event = got.event;
          break;
      }
    }
  }
  // The child is reaped (or lost with its spawner): nothing is left to abandon.
  channel_fd.Close();
  if (exit_event && exit_event->start_step != spawn::StartStep::kNone) {
    result.start_failure = StartFailureOf(*exit_event, spec);
    return result;
  }
  const auto now = Clock::now();
  auto end = now;
  if (exit_event) {
    const Clock::time_point seen{std::chrono::nanoseconds(exit_event->exited_monotonic_ns)};
    if (seen >= start && seen <= now) end = seen;
  }
  result.wall_time = end - start;
  result.ended_at = result.started_at +
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(end - start);
  // Collect whatever output is already buffered (descendants that left the process group may
  // still hold the pipes; the executor's cgroup cleanup ends them).
  in_w.Close();
  drain(out_r, true);
  drain(err_r, false);

  if (!counter_fds.empty()) {
    result.counters.opened = true;
    result.counters.unavailable.clear();
    for (const Fd& fd : counter_fds) {
      uint64_t value = 0;
      if (::read(fd.fd, &value, sizeof(value)) != sizeof(value)) value = 0;
      result.counters.values.push_back(value);
    }
  }

  int status = 0;
  if (exit_event) {
    status = exit_event->wait_status;
    result.rusage = exit_event->usage;
    result.function_rusage = true;
    if (exit_event->io_text_bytes > 0) {
      if (auto io = ParseProcIo(exit_event->IoText()); io.ok()) result.proc_io = *io;
    }
  } else {
    log::Warn("a run was lost: its exit status and rusage are unknown",
              {{"executable", spec.executable}, {"why", result.lost_reason}});
    status = SIGKILL;  // what PR_SET_PDEATHSIG (or the agent's kill) sent it (WIFSIGNALED form)
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace tailor::agent
