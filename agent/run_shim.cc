// tailor-run-shim: the first program of every function run. The agent starts it with
// posix_spawn (no copy of the agent's memory, so no copy-on-write faults in a busy, threaded
// agent) and it does, in a small fresh process, what must happen between start and the
// function's exec:
//
//   tailor-run-shim [--join FILE]... [--gid N] [--uid N] [--chdir DIR] -- PROGRAM [ARGS...]
//
//   1. write "0" to every --join file (cgroup.procs: the shim joins the run's cgroups);
//   2. wait at the start gate (fd 3) until the agent has attached perf counters and resctrl
//      groups to this pid ("g" opens the gate; EOF means abort);
//   3. drop to --gid/--uid, chdir, vfork, and exec PROGRAM in the child with the environment
//      it was given;
//   4. wait for PROGRAM and write its wait status and rusage (ShimReport) to fd 5, then exit
//      with its exit code.
// Why one more process: a process started by vfork/posix_spawn from the agent inherits the
// agent's memory high-water mark at exec, so wait4's ru_maxrss of the shim would report the
// agent's size. A child of the small shim inherits only the shim's (a few hundred KiB), so its
// rusage is the function's own.
// Any failure before PROGRAM runs writes errno (an int) to fd 4 and exits 127; fd 4 is
// close-on-exec, so the agent sees EOF there exactly when PROGRAM started. Not meant to be run
// by hand.
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kGateFd = 3;
constexpr int kErrorFd = 4;
constexpr int kReportFd = 5;

// Must match ShimReport in agent/runtime/process_runner.cc.
struct ShimReport {
  int32_t magic;
  int32_t wait_status;
  struct rusage usage;
};
constexpr int32_t kShimReportMagic = 0x54534852;  // "RHST"

[[noreturn]] void Fail(int err) {
  ssize_t ignored = write(kErrorFd, &err, sizeof(err));
  (void)ignored;
  _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
  fcntl(kErrorFd, F_SETFD, FD_CLOEXEC);
  fcntl(kGateFd, F_SETFD, FD_CLOEXEC);
  fcntl(kReportFd, F_SETFD, FD_CLOEXEC);
  std::vector<const char*> joins;
  const char* chdir_to = nullptr;
  long uid = -1, gid = -1;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) Fail(EINVAL);
    if (flag == "--join") joins.push_back(argv[++i]);
    else if (flag == "--chdir") chdir_to = argv[++i];
    else if (flag == "--uid") uid = std::strtol(argv[++i], nullptr, 10);
    else if (flag == "--gid") gid = std::strtol(argv[++i], nullptr, 10);
    else Fail(EINVAL);
  }
  if (i >= argc) Fail(EINVAL);

  for (const char* path : joins) {
    const int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) Fail(errno);
    close(fd);
  }
  char go = 0;
  ssize_t n;
  while ((n = read(kGateFd, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1 || go != 'g') Fail(ECANCELED);
  close(kGateFd);
  if (gid >= 0 && (setgroups(0, nullptr) != 0 || setgid(static_cast<gid_t>(gid)) != 0)) {
    Fail(errno);
  }
  if (uid >= 0 && setuid(static_cast<uid_t>(uid)) != 0) Fail(errno);
  if (chdir_to != nullptr && chdir(chdir_to) != 0) Fail(errno);
  // vfork: the shim is small and single-threaded, and the child only execs (or reports why it
  // could not), so sharing memory until then is safe and skips copying page tables.
  const pid_t child = vfork();
  if (child < 0) Fail(errno);
  if (child == 0) {
    execv(argv[i], argv + i);  // the environment is already the function's
    Fail(errno);
  }
  // Only the function holds the exec-error pipe and stdio now.
  close(kErrorFd);
  close(0);
  close(1);
  close(2);
  ShimReport report{};
  report.magic = kShimReportMagic;
  while (wait4(child, &report.wait_status, 0, &report.usage) < 0) {
    if (errno != EINTR) _exit(126);
  }
  ssize_t ignored = write(kReportFd, &report, sizeof(report));
  (void)ignored;
  if (WIFEXITED(report.wait_status)) _exit(WEXITSTATUS(report.wait_status));
  _exit(128 + WTERMSIG(report.wait_status));
}
