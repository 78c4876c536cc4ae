#include "agent/runtime/run_spawner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"

namespace tailor::agent {

struct RunSpawner::Process {
  pid_t pid = -1;
  int control_fd = -1;
  ~Process() {
    if (control_fd >= 0) ::close(control_fd);
    if (pid > 0) {
      int status;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
};

std::string DefaultRunSpawnerPath() {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return kRunSpawnerName;
  std::string dir(exe, static_cast<size_t>(n));
  dir.resize(dir.rfind('/') + 1);
  return dir + kRunSpawnerName;
}

RunSpawner::RunSpawner(std::string program) : program_(std::move(program)) {}

RunSpawner::~RunSpawner() {
  std::lock_guard<std::mutex> lock(mu_);
  process_.reset();
}

pid_t RunSpawner::pid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return process_ ? process_->pid : -1;
}

Status RunSpawner::EnsureStarted() { return Current().status(); }

Result<std::shared_ptr<RunSpawner::Process>> RunSpawner::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  if (process_) return process_;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoToStatus(errno, "making the run spawner's control socket");
  }
  auto process = std::make_shared<Process>();
  process->control_fd = sv[0];

  // Its own process group, so a terminal's Ctrl-C reaches the agent (which shuts down in
  // order) and not the runs directly; default signal handling; stdin/stdout on /dev/null,
  // stderr shared with the agent for its rare complaints.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sv[1], spawn::kSpawnerControlFd);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
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
  char* argv[] = {const_cast<char*>(program_.c_str()), nullptr};
  char* envp[] = {nullptr};
  const int rc = ::posix_spawn(&process->pid, program_.c_str(), &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  if (rc != 0) {
    process->pid = -1;
    return ErrnoToStatus(rc, "starting the run spawner " + program_);
  }
  process_ = process;
  return process;
}

void RunSpawner::Forget(const std::shared_ptr<Process>& broken) {
  std::lock_guard<std::mutex> lock(mu_);
  if (process_ == broken) {
    log::Warn("the run spawner has exited; starting a new one",
              {{"pid", std::to_string(broken->pid)}});
    process_.reset();
  }
}

Status RunSpawner::Send(const std::string& encoded_request, const int* fds, int fd_count) {
  if (fd_count < 1 || fd_count > spawn::kMaxFdCount) {
    return InvalidArgumentError(std::to_string(fd_count) + " descriptors for one run");
  }
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * spawn::kMaxFdCount)];
  for (int attempt = 0;; ++attempt) {
    TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<Process> process, Current());
    iovec iov{const_cast<char*>(encoded_request.data()), encoded_request.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    spawn::AttachFds(msg, control, fds, static_cast<size_t>(fd_count));
    ssize_t sent;
    while ((sent = ::sendmsg(process->control_fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    if (sent >= 0) return OkStatus();
    const int err = errno;
    if (err == EMSGSIZE) {
      return ResourceExhaustedError("a run request of " + std::to_string(encoded_request.size()) +
                                    " bytes does not fit the run spawner's socket");
    }
    if ((err == EPIPE || err == ECONNRESET || err == ENOTCONN) && attempt == 0) {
      Forget(process);
      continue;
    }
    return ErrnoToStatus(err, "sending a run to the run spawner");
  }
}

}  // namespace tailor::agent
