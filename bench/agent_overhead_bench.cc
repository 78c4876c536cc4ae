// Profiling overhead of one function run: Executor::Invoke (per-run cgroup, perf counters,
// the run spawner's fork and wait4, /proc/<pid>/io, report assembly, SQLite spool) against a
// bare fork/exec/wait of the same trivial program. Both use real time; compare the medians of one
// run:
//
//   build/bin/agent_overhead_bench --benchmark_repetitions=9
//       --benchmark_report_aggregates_only=true
//
// Run as root to include the real cgroup work (as the agent does in production) and the
// sandboxed rows (namespaces, minimal root, seccomp, a uid per function; agent/runtime/sandbox.h).
// TAILOR_BENCH_SANDBOX_DISABLE=network,seccomp (as --sandbox-disable) turns kinds off in the
// sandboxed rows, to see what each costs.
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sys/resource.h>

#include "agent/inventory/cgroup_layout.h"
#include "agent/report_spool.h"
#include "agent/runtime/executor.h"
#include "bench/process_cpu.h"
#include "common/file_util.h"

namespace tailor::agent {
namespace {

namespace fs = std::filesystem;

// A bundle around a copy of /bin/true, in a scratch directory removed at exit.
struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/tailor-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    chmod(dir.c_str(), 0755);
    const std::string src = JoinPath(dir, "src");
    fs::create_directories(src + "/bin");
    fs::copy_file("/bin/true", src + "/bin/true");
    (void)WriteFile(src + "/tailor.toml", "name = 'noop'\nversion = '1'\nentrypoint = 'bin/true'\n");
    true_path = src + "/bin/true";
    store = std::make_unique<FunctionStore>(JoinPath(dir, "store"));
    (void)store->Load();
    (void)store->Install(src);
    auto read = ReadCgroupLayout(HostPaths{});
    if (geteuid() == 0 && read.ok()) layout = *read;
    cgroups = MakeCgroupManager(layout, HostPaths{}, parent);
    resctrl = std::make_unique<ResctrlManager>(ResctrlInfo{}, HostPaths{});
    auto opened = ReportSpool::Open(JoinPath(dir, "spool.db"), 1'000'000);
    if (opened.ok()) spool = std::move(opened).value();
    if (geteuid() == 0) {
      SandboxOptions options;
      options.state_dir = JoinPath(dir, "sandbox");
      // To see where the sandbox's time goes, turn kinds off as the agent's flag would.
      if (const char* off = getenv("TAILOR_BENCH_SANDBOX_DISABLE")) {
        if (auto kinds = ParseIsolationKinds(off); kinds.ok()) DisableIsolation(*kinds, options);
      }
      if (auto prepared = Sandbox::Prepare(options); prepared.ok()) sandbox = std::move(*prepared);
      if (auto opened_uids = RunUids::Open(JoinPath(dir, "run-uids"), {3'800'000, 10});
          opened_uids.ok()) {
        uids = std::move(*opened_uids);
      }
    }
  }
  ~Fixture() {
    for (const auto& [controller, mount] : layout.v1_mounts) rmdir(JoinPath(mount, parent).c_str());
    if (!layout.v2_mount.empty()) rmdir(JoinPath(layout.v2_mount, parent).c_str());
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  Executor MakeExecutor(bool with_cgroups, bool with_spool, bool sandboxed = false) {
    ExecutorOptions options;
    options.node_id = "bench";  // the spawner sits next to this benchmark in build/bin
    ExecutorDeps deps;
    deps.functions = store.get();
    deps.cgroups = with_cgroups ? cgroups.get() : null_cgroups.get();
    deps.resctrl = resctrl.get();
    deps.perf = ProbePerfSupport();
    deps.clock = &RealClock::Get();
    deps.sink = with_spool ? spool.get() : nullptr;
    if (sandboxed) {
      options.run_pids_max = 256;
      deps.sandbox = sandbox.get();
      deps.uids = uids.get();
      deps.netns = netns.get();
    }
    return Executor(options, deps);
  }

  std::string dir;
  std::string true_path;
  const std::string parent = "tailor-bench-" + std::to_string(getpid());
  CgroupLayout layout;
  std::unique_ptr<FunctionStore> store;
  std::unique_ptr<CgroupManager> cgroups;
  std::unique_ptr<CgroupManager> null_cgroups = MakeCgroupManager(CgroupLayout{}, HostPaths{});
  std::unique_ptr<ResctrlManager> resctrl;
  std::unique_ptr<ReportSpool> spool;
  std::unique_ptr<Sandbox> sandbox;  // null unless root
  std::unique_ptr<RunUids> uids;
  // As the agent keeps one: max_concurrent_runs + 1 namespaces made ahead.
  std::unique_ptr<NetnsPool> netns = geteuid() == 0 ? std::make_unique<NetnsPool>(3) : nullptr;
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

// CPU time of this process (all threads) plus, when given, another process (the spawner), in
// microseconds.
double CpuMicros(pid_t other = -1) {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  double us = static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1e6 +
              static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec);
  if (other > 0) us += bench::ProcessCpuSeconds(other) * 1e6;
  return us;
}

// Starts, execs and waits for the trivial program, with fork or (the cheapest start from this
// process) vfork, which shares the parent's memory instead of copying its page tables, so
// unlike fork its cost does not grow with the parent. vfork is called here directly, never
// through a pointer, so the compiler knows it returns twice.
enum class Start { kFork, kVfork };
void BareExecWait(benchmark::State& state, Start start) {
  const std::string& path = Shared().true_path;
  const double cpu_before = CpuMicros();
  for (auto _ : state) {
    const pid_t pid = start == Start::kVfork ? vfork() : fork();
    if (pid == 0) {
      execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) state.SkipWithError("true failed");
  }
  state.counters["parent_cpu_us"] = benchmark::Counter(
      (CpuMicros() - cpu_before) / static_cast<double>(state.iterations()));
}

void BM_BareForkExecWait(benchmark::State& state) { BareExecWait(state, Start::kFork); }
BENCHMARK(BM_BareForkExecWait)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_BareVforkExecWait(benchmark::State& state) { BareExecWait(state, Start::kVfork); }
BENCHMARK(BM_BareVforkExecWait)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Arguments: cgroups on/off, spool on/off, limits on/off (a 256 MiB memory limit and one
// core of CPU quota, as the scheduler's allocations have), sandbox on/off, to show where the
// time goes. agent_cpu_us counts every thread of this process (the network namespace pool's
// too) and the spawner; not the sandbox's init, nor the kernel's work tearing namespaces down
// in its own threads.
void BM_ExecutorInvoke(benchmark::State& state) {
  const bool with_cgroups = state.range(0) != 0;
  const bool with_spool = state.range(1) != 0;
  const bool with_limits = state.range(2) != 0;
  const bool sandboxed = state.range(3) != 0;
  if (sandboxed && Shared().sandbox == nullptr) {
    state.SkipWithError("sandboxed runs need root");
    return;
  }
  Executor executor = Shared().MakeExecutor(with_cgroups, with_spool, sandboxed);
  internal::v1::InvokeRequest request;
  request.set_function_name("noop");
  if (with_limits) {
    request.mutable_allocation()->set_memory_limit_bytes(256u << 20);
    request.mutable_allocation()->set_cpu_millicores(1000);
  }
  const double cpu_before = CpuMicros(executor.spawner().pid());
  for (auto _ : state) {
    auto response = executor.Invoke(request);
    if (!response.ok() || response->report().exit_code() != 0) {
      state.SkipWithError("invoke failed");
      break;
    }
  }
  state.counters["agent_cpu_us"] = benchmark::Counter(
      (CpuMicros(executor.spawner().pid()) - cpu_before) / static_cast<double>(state.iterations()));
  std::string label = with_cgroups && Shared().cgroups->version() != 0 ? "cgroups" : "no cgroups";
  label += with_spool ? ", spool" : ", no spool";
  if (with_limits) label += ", limits";
  if (sandboxed) label += ", sandbox";
  state.SetLabel(label);
}
BENCHMARK(BM_ExecutorInvoke)
    ->ArgNames({"cgroups", "spool", "limits", "sandbox"})
    ->Args({1, 1, 1, 1})
    ->Args({1, 1, 1, 0})
    ->Args({1, 1, 0, 0})
    ->Args({1, 0, 0, 0})
    ->Args({0, 1, 0, 0})
    ->Args({0, 0, 0, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
// Again at the end: fork costs grow with the parent's size, so bracket the Invoke runs.
BENCHMARK(BM_BareForkExecWait)->Name("BM_BareForkExecWait_after")->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tailor::agent

BENCHMARK_MAIN();
