// Warm Lambda instances against a process per call, side by side in one run, and the latency
// the agent's Runtime API endpoint adds over a bare local HTTP round trip:
//
//   build/bin/lambda_overhead_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
//
// Rows (Executor::Invoke with cgroups, a spool and, as root, the sandbox, as the agent runs):
//   BM_ProcessPerCall/native   bench/lambda/echo_runtime --once: a new process per call
//   BM_Warm/native             the same binary as a Lambda runtime, warm
//   BM_ProcessPerCall/python   a Python script reading the event on stdin
//   BM_Warm/python             examples/lambda/python/bootstrap with an echo handler, warm
//   BM_BareHttpRoundTrip       one POST and its answer between two threads of this process
//                              over loopback (cpp-httplib on both ends, as the agent and the
//                              native runtime use)
// A warm invocation is two Runtime API exchanges (the runtime's /next answered, its /response
// sent and answered) plus the executor's own work (a slot, cgroup readings, the report and the
// spool); the goal is warm native minus the bare round trip under 0.5 ms.
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "agent/inventory/cgroup_layout.h"
#include "agent/report_spool.h"
#include "agent/runtime/executor.h"
#include "common/file_util.h"
#include "common/listen_thread.h"

namespace tailor::agent {
namespace {

namespace fs = std::filesystem;

void Bundle(const std::string& dir, const std::string& manifest,
            const std::vector<std::pair<std::string, std::string>>& files) {
  fs::create_directories(dir);
  (void)WriteFile(dir + "/tailor.toml", manifest);
  for (const auto& [name, from] : files) {
    fs::copy_file(from, dir + "/" + name);
    chmod((dir + "/" + name).c_str(), 0755);
  }
}

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/tailor-lambda-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    chmod(dir.c_str(), 0755);
    const std::string bin = fs::canonical("/proc/self/exe").parent_path();
    const std::string runtime = bin + "/lambda_echo_runtime";
    const std::string src = TAILOR_SOURCE_DIR;
    (void)WriteFile(dir + "/echo.py", "def handler(event, context):\n    return event\n");
    (void)WriteFile(
        dir + "/once.py",
        "#!/usr/bin/python3\nimport json, sys\nprint(json.dumps(json.load(sys.stdin)))\n");
    Bundle(dir + "/native-once",
           "name='native-once'\nversion='1'\nentrypoint='run'\nargs=['--once']\n",
           {{"run", runtime}});
    Bundle(dir + "/native-warm", "name='native-warm'\nversion='1'\nruntime='lambda'\n",
           {{"bootstrap", runtime}});
    Bundle(dir + "/python-once", "name='python-once'\nversion='1'\nentrypoint='once.py'\n",
           {{"once.py", dir + "/once.py"}});
    Bundle(
        dir + "/python-warm",
        "name='python-warm'\nversion='1'\nruntime='lambda'\nhandler='echo.handler'\n",
        {{"bootstrap", src + "/examples/lambda/python/bootstrap"}, {"echo.py", dir + "/echo.py"}});
    store = std::make_unique<FunctionStore>(dir + "/store");
    (void)store->Load();
    for (const char* f : {"native-once", "native-warm", "python-once", "python-warm"}) {
      if (auto installed = store->Install(dir + "/" + f); !installed.ok()) {
        std::cerr << "cannot install " << f << ": " << installed.status() << "\n";
      }
    }
    auto read = ReadCgroupLayout(HostPaths{});
    if (geteuid() == 0 && read.ok()) layout = *read;
    cgroups = MakeCgroupManager(layout, HostPaths{}, parent);
    resctrl = std::make_unique<ResctrlManager>(ResctrlInfo{}, HostPaths{});
    if (auto opened = ReportSpool::Open(dir + "/spool.db", 1'000'000); opened.ok()) {
      spool = std::move(opened).value();
    }
    if (geteuid() == 0) {
      SandboxOptions options;
      options.state_dir = dir + "/sandbox";
      if (auto prepared = Sandbox::Prepare(options); prepared.ok()) sandbox = std::move(*prepared);
      if (auto opened = RunUids::Open(dir + "/run-uids", {3'900'000, 10}); opened.ok()) {
        uids = std::move(*opened);
      }
      netns = std::make_unique<NetnsPool>(3);
    }
    ExecutorOptions options;
    options.node_id = "bench";
    options.run_pids_max = 256;
    ExecutorDeps deps;
    deps.functions = store.get();
    deps.cgroups = cgroups.get();
    deps.resctrl = resctrl.get();
    deps.clock = &RealClock::Get();
    deps.sink = spool.get();
    deps.sandbox = sandbox.get();
    deps.uids = uids.get();
    deps.netns = netns.get();
    executor = std::make_unique<Executor>(options, deps);
  }
  ~Fixture() {
    executor.reset();
    for (const auto& [controller, mount] : layout.v1_mounts) rmdir(JoinPath(mount, parent).c_str());
    if (!layout.v2_mount.empty()) rmdir(JoinPath(layout.v2_mount, parent).c_str());
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::string dir;
  const std::string parent = "tailor-lambda-bench-" + std::to_string(getpid());
  CgroupLayout layout;
  std::unique_ptr<FunctionStore> store;
  std::unique_ptr<CgroupManager> cgroups;
  std::unique_ptr<ResctrlManager> resctrl;
  std::unique_ptr<ReportSpool> spool;
  std::unique_ptr<Sandbox> sandbox;
  std::unique_ptr<RunUids> uids;
  std::unique_ptr<NetnsPool> netns;
  std::unique_ptr<Executor> executor;
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

void Invoke(benchmark::State& state, const std::string& function) {
  internal::v1::InvokeRequest request;
  request.set_function_name(function);
  request.set_payload(R"({"text": "the cat and the hat"})");
  request.mutable_allocation()->set_memory_limit_bytes(256u << 20);
  request.mutable_allocation()->set_cpu_millicores(1000);
  auto warm_up = Shared().executor->Invoke(request);  // a warm row measures warm calls only
  if (!warm_up.ok() || warm_up->report().outcome() != v1::RUN_OUTCOME_SUCCEEDED) {
    state.SkipWithError(("first call failed: " +
                         (warm_up.ok() ? warm_up->report().error_message() + warm_up->stderr_tail()
                                       : warm_up.status().ToString()))
                            .c_str());
    return;
  }
  for (auto _ : state) {
    auto response = Shared().executor->Invoke(request);
    if (!response.ok() || response->report().outcome() != v1::RUN_OUTCOME_SUCCEEDED ||
        response->output().find("hat") == std::string::npos) {
      state.SkipWithError("invoke failed");
      break;
    }
  }
  state.SetLabel(Shared().sandbox ? "sandbox, cgroups, spool" : "no sandbox (not root)");
}

void BM_ProcessPerCall(benchmark::State& state, const char* kind) {
  Invoke(state, std::string(kind) + "-once");
}
void BM_Warm(benchmark::State& state, const char* kind) {
  Invoke(state, std::string(kind) + "-warm");
}
BENCHMARK_CAPTURE(BM_ProcessPerCall, native, "native")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Warm, native, "native")->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProcessPerCall, python, "python")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Warm, python, "python")->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_BareHttpRoundTrip(benchmark::State& state) {
  httplib::Server server;
  server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, "application/json");
  });
  server.set_tcp_nodelay(true);
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving = ListenOnThread(server);
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  for (auto _ : state) {
    auto r = client.Post("/echo", R"({"text": "the cat and the hat"})", "application/json");
    if (!r || r->status != 200) {
      state.SkipWithError("round trip failed");
      break;
    }
  }
  server.stop();
  serving.join();
}
BENCHMARK(BM_BareHttpRoundTrip)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tailor::agent

BENCHMARK_MAIN();
