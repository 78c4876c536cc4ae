// The agent's own CPU and memory under a steady stream of runs.
//
//   build/bin/agent_load [--rate 100] [--seconds 30] [--bin-dir build/bin]
//
// Starts a real scheduler and a real agent (as child processes, data in a scratch directory),
// installs a trivial function (a copy of /bin/true), then calls Agent.Invoke over gRPC at a
// fixed rate (open loop: one call every 1/rate seconds, up to 8 in flight) and reads the agent
// process's CPU time and memory from /proc before and after. Prints one JSON object.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/process_cpu.h"
#include "common/file_util.h"
#include "tailor/internal/v1/agent.grpc.pb.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
    std::perror(args[0]);
    std::exit(1);
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

std::string WaitForFile(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    auto text = tailor::ReadFile(path);
    if (text.ok() && !text->empty()) return std::string(tailor::TrimWhitespace(*text));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "agent_load: %s never appeared\n", path.c_str());
  std::exit(1);
}

uint64_t StatusKib(pid_t pid, const std::string& key) {
  auto status = tailor::ReadFile("/proc/" + std::to_string(pid) + "/status");
  if (!status.ok()) return 0;
  const size_t at = status->find(key + ":");
  if (at == std::string::npos) return 0;
  return *tailor::ParseUint64(tailor::SplitWhitespace(status->substr(at + key.size() + 1))[0]);
}

}  // namespace

int main(int argc, char** argv) {
  double rate = 100, seconds = 30;
  std::string bin_dir = "build/bin";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rate") rate = std::stod(argv[i + 1]);
    else if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (flag == "--bin-dir") bin_dir = argv[i + 1];
    else { std::fprintf(stderr, "agent_load: unknown flag %s\n", argv[i]); return 2; }
  }
  char tmpl[] = "/tmp/tailor-load-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  chmod(dir.c_str(), 0755);
  fs::create_directories(dir + "/noop/bin");
  fs::copy_file("/bin/true", dir + "/noop/bin/true");
  (void)tailor::WriteFile(dir + "/noop/tailor.toml",
                          "name = 'noop'\nversion = '1'\nentrypoint = 'bin/true'\n");

  const pid_t scheduler =
      Spawn({bin_dir + "/tailor-scheduler", "--insecure-allow-anyone", "--listen", "127.0.0.1:0",
             "--data-dir", dir + "/scheduler", "--address-file", dir + "/scheduler.addr"},
            dir + "/scheduler.log");
  const std::string scheduler_address = WaitForFile(dir + "/scheduler.addr");
  const pid_t agent =
      Spawn({bin_dir + "/tailor-agent", "run", "--insecure-allow-anyone", "--scheduler",
             scheduler_address, "--listen", "127.0.0.1:0", "--node-id", "load", "--data-dir",
             dir + "/agent", "--address-file", dir + "/agent.addr", "--install", dir + "/noop",
             "--max-concurrent-runs", "4"},
            dir + "/agent.log");
  const std::string agent_address = WaitForFile(dir + "/agent.addr");
  auto stub = tailor::internal::v1::Agent::NewStub(
      grpc::CreateChannel(agent_address, grpc::InsecureChannelCredentials()));

  auto invoke = [&] {
    grpc::ClientContext ctx;
    tailor::internal::v1::InvokeRequest request;
    request.set_function_name("noop");
    tailor::internal::v1::InvokeResponse response;
    return stub->Invoke(&ctx, request, &response).ok();
  };
  for (int i = 0; i < 20; ++i) invoke();  // warm up

  // The agent and its run spawner (it forks and reaps every run).
  const std::vector<pid_t> spawners = tailor::bench::ChildrenNamed(agent, "tailor-run-spaw");
  auto spawner_cpu = [&] {
    double total = 0;
    for (pid_t p : spawners) total += tailor::bench::ProcessCpuSeconds(p);
    return total;
  };
  auto agent_cpu = [&] { return tailor::bench::ProcessCpuSeconds(agent) + spawner_cpu(); };
  const double cpu_before = agent_cpu();
  const double spawner_before = spawner_cpu();
  const auto start = Clock::now();
  const auto period = std::chrono::duration<double>(1.0 / rate);
  const int total = static_cast<int>(rate * seconds);
  std::vector<std::future<bool>> inflight;
  int failed = 0;
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(period * i));
    inflight.push_back(std::async(std::launch::async, invoke));
    if (inflight.size() >= 8) {
      failed += inflight.front().get() ? 0 : 1;
      inflight.erase(inflight.begin());
    }
  }
  for (auto& f : inflight) failed += f.get() ? 0 : 1;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = agent_cpu() - cpu_before;
  const double spawner = spawner_cpu() - spawner_before;
  nlohmann::json out = {
      {"runs", total},
      {"failed", failed},
      {"elapsed_s", elapsed},
      {"achieved_runs_per_s", total / elapsed},
      {"agent_cpu_percent_of_one_core", 100.0 * cpu / elapsed},
      {"agent_cpu_us_per_run", 1e6 * cpu / total},
      {"spawner_processes_counted", spawners.size()},
      {"spawner_cpu_us_per_run", 1e6 * spawner / total},
      {"agent_rss_kib", StatusKib(agent, "VmRSS")},
      {"agent_peak_rss_kib", StatusKib(agent, "VmHWM")},
  };
  std::printf("%s\n", out.dump(2).c_str());

  kill(agent, SIGTERM);
  waitpid(agent, nullptr, 0);
  kill(scheduler, SIGTERM);
  waitpid(scheduler, nullptr, 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return failed == 0 ? 0 : 1;
}
