#include "bench/scheduler_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/file_util.h"

extern char** environ;

namespace tailor::bench {
namespace {

std::string WaitForFile(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    if (auto text = ReadFile(path); text.ok() && !TrimWhitespace(*text).empty()) {
      return std::string(TrimWhitespace(*text));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

}  // namespace

void Die(const std::string& prefix, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", prefix.c_str(), why.c_str());
  std::exit(1);
}

SchedulerProcess StartSchedulerProcess(const std::string& bin_dir, const std::string& dir,
                                       const std::vector<std::string>& extra) {
  SchedulerProcess s;
  s.dir = dir;
  s.log_file = dir + "/scheduler.log";
  const std::string addr_file = dir + "/s.addr", http_file = dir + "/s.http";
  std::vector<std::string> args = {bin_dir + "/tailor-scheduler",
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--data-dir",
                                   dir + "/data",
                                   "--address-file",
                                   addr_file,
                                   "--http-address-file",
                                   http_file,
                                   "--lease-timeout-ms",
                                   "3600000",
                                   "--log-level",
                                   "warn"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, s.log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (posix_spawn(&s.pid, cargs[0], &actions, nullptr, cargs.data(), environ) != 0) {
    Die("bench", "cannot start " + args[0]);
  }
  posix_spawn_file_actions_destroy(&actions);
  s.address = WaitForFile(addr_file);
  if (s.address.empty()) Die("bench", "the scheduler did not start; see " + s.log_file);
  // The HTTP endpoint is on unless --http-listen "" turns it off.
  const auto at = std::find(extra.begin(), extra.end(), "--http-listen");
  if (at == extra.end() || (at + 1 != extra.end() && !(at + 1)->empty())) {
    s.http_address = WaitForFile(http_file);
  }
  return s;
}

void StopSchedulerProcess(SchedulerProcess& s) {
  if (s.pid <= 0) return;
  kill(s.pid, SIGTERM);
  waitpid(s.pid, nullptr, 0);
  s.pid = -1;
}

}  // namespace tailor::bench
