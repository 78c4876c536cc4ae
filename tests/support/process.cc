#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "common/file_util.h"

namespace tailor::testing {
namespace {

std::vector<char*> ToArgv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)) {
  auto cargv = ToArgv(argv);
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0) Stop(SIGKILL);
}

int Subprocess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string Subprocess::Log() const { return ReadFile(log_path_).value_or(""); }

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

std::string WaitForAddressFile(const std::string& path, const Subprocess& process) {
  auto address = [&] { return std::string(TrimWhitespace(ReadFile(path).value_or(""))); };
  if (!WaitUntil([&] { return !address().empty(); }, std::chrono::seconds(10))) {
    ADD_FAILURE() << "no address in " << path << "; log:\n" << process.Log();
  }
  return address();
}

std::string RunCommand(const std::vector<std::string>& argv, int* exit_code) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return {};
  auto cargv = ToArgv(argv);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (exit_code != nullptr) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string BinaryPath(const std::string& name) { return JoinPath(TAILOR_BIN_DIR, name); }

}  // namespace tailor::testing
