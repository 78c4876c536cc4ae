// Subprocess: a real child process for integration tests (the tailor binaries), with its
// stderr sent to a log file, and helpers to wait for conditions with a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace tailor::testing {

class Subprocess {
 public:
  // Starts argv[0] (a path) with the arguments; stdout and stderr go to `log_path`.
  Subprocess(std::vector<std::string> argv, std::string log_path);
  ~Subprocess();  // SIGKILLs the child if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Sends `signal` and reaps the child; returns its wait status.
  int Stop(int signal);
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Waits (up to 10 s) for a binary started with --address-file to write its address there;
// returns the address, or "" with a test failure showing `process`'s log.
std::string WaitForAddressFile(const std::string& path, const Subprocess& process);

// Runs a command to completion and returns its stdout; `exit_code` receives the exit status.
std::string RunCommand(const std::vector<std::string>& argv, int* exit_code);

// TAILOR_BIN_DIR/name
std::string BinaryPath(const std::string& name);

}  // namespace tailor::testing
