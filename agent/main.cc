// tailor-agent: the node agent. `tailor-agent run` registers with the scheduler and serves the
// agent API; `tailor-agent inventory` prints what this host is.
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>

#include "agent/agent_metrics.h"
#include "agent/agent_service.h"
#include "agent/bundle_fetcher.h"
#include "agent/inventory/cgroup_layout.h"
#include "agent/inventory/inventory.h"
#include "agent/inventory/resctrl_info.h"
#include "agent/load/load_sampler.h"
#include "agent/membership_client.h"
#include "agent/report_spool.h"
#include "agent/report_uploader.h"
#include "agent/runtime/emulation.h"
#include "agent/runtime/executor.h"
#include "common/bundle_archive.h"
#include "common/cluster_identity.h"
#include "common/command_line.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/names.h"
#include "common/signals.h"
#include "common/tls_files.h"
#include "common/version.h"
#include "proto/grpc_channel.h"
#include "proto/grpc_server.h"
#include "proto/tls_credentials.h"

namespace tailor::agent {
namespace {

bool IsLabelSafe(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

struct RunOptions {
  std::string scheduler = "127.0.0.1:7400";
  std::string listen = "127.0.0.1:0";
  std::string advertise;
  std::string node_id;
  std::string kubernetes_node;  // the Kubernetes node it runs on, if any
  std::string address_file;
  std::string host_root = "/";
  int64_t backoff_initial_ms = 100;
  int64_t backoff_max_ms = 1000;
  int64_t drain_timeout_s = 60;
  std::string data_dir;  // "" : ./tailor-agent-<node id>
  std::vector<std::string> install;
  uint32_t max_concurrent_runs = 2;
  uint32_t max_queued_runs = 1000;
  uint64_t spool_max_reports = 100'000;
  std::string emulation_file;
  std::string run_as = "nobody";
  std::string metrics_listen = "127.0.0.1:0";
  std::string metrics_address_file;
  std::string tls_dir;
  bool insecure = false;
  std::vector<std::string> allow_invoke_from;
  std::string sandbox_disable;  // comma list of isolation kinds, or "all"
  bool sandbox_allow_network = false;
  std::string run_uid_range = "900000-999999";  // "": every function as --run-as
  uint32_t run_pids_max = 256;
  uint64_t run_open_files = 1024;
  uint64_t run_tmp_max_bytes = 256ull << 20;
  uint64_t warm_memory_mib = 0;  // 0: a quarter of the node's memory
  double keep_alive_fixed_s = 600;
  double keep_alive_cold_start_cost_s = 1200;
  std::string lambda_region = "us-east-1";
};

int RunInventory(const std::string& output, const std::string& host_root) {
  InventorySources sources;
  sources.paths.root = host_root;
  auto inv = CollectInventory(sources);
  if (!inv.ok()) {
    std::cerr << "error: " << inv.status().message() << "\n";
    return 1;
  }
  if (output == "json") {
    std::cout << InventoryToJson(*inv);
    return 0;
  }
  std::cout << inv->DebugString();
  return 0;
}

std::string DefaultNodeId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "node";
  return host;
}

// The idle warm instances, for the scheduler to place the next calls where they start warm.
void AddWarmInstances(const WarmPool& pool, const WarmPoolStats& stats, v1::NodeLoad& load) {
  for (const auto& [key, idle] : pool.IdleByKey()) {
    if (load.warm_functions_size() >= 1024) break;  // what a heartbeat may carry
    const size_t at = key.rfind('@');
    auto* w = load.add_warm_functions();
    w->set_function_name(key.substr(0, at));
    w->set_function_version(key.substr(at + 1));
    w->set_idle_instances(idle);
  }
  load.set_warm_idle_memory_bytes(stats.idle_memory_bytes);
}

// A thread-safe holder for the most recent load sample, shared by heartbeats and run reports.
class LatestLoad {
 public:
  void Set(const v1::NodeLoad& load) {
    std::lock_guard lock(mu_);
    load_ = load;
  }
  v1::NodeLoad Get() {
    std::lock_guard lock(mu_);
    return load_;
  }

 private:
  std::mutex mu_;
  v1::NodeLoad load_;
};

int Fail(const char* what, const Status& s) {
  log::Error(what, {{"error", s}});
  return 1;
}

// The host's inventory, with the emulation profile (if any) read and applied.
Result<v1::HostInventory> HostInventoryFor(const RunOptions& opts, const InventorySources& sources,
                                           EmulationProfile* emulation) {
  TAILOR_ASSIGN_OR_RETURN(v1::HostInventory inv, CollectInventory(sources));
  if (opts.emulation_file.empty()) return inv;
  TAILOR_ASSIGN_OR_RETURN(std::string text, ReadFile(opts.emulation_file));
  auto parsed = ParseEmulationProfile(text);
  if (!parsed.ok()) return parsed.status().WithContext("emulation profile " + opts.emulation_file);
  *emulation = *parsed;
  ApplyEmulation(*emulation, &inv);
  log::Info("emulating a different host", {{"profile", emulation->name},
                                            {"cpu_speed_factor", emulation->cpu_speed_factor}});
  return inv;
}

Status LoadFunctions(const RunOptions& opts, FunctionStore& functions) {
  TAILOR_RETURN_IF_ERROR_CTX(functions.Load(), "loading installed functions");
  for (const auto& dir : opts.install) {
    auto installed = functions.Install(dir);
    if (!installed.ok()) return installed.status().WithContext("installing " + dir);
    log::Info("function installed", {{"name", installed->manifest.name},
                                     {"version", installed->manifest.version}});
  }
  return OkStatus();
}

// Run cgroups are named after this agent: its node id and its data directory, whose spool only
// one agent can hold open. So agents sharing a host (emulated nodes, test runs) each clean up
// only their own, and a restarted agent finds what it left.
std::string CgroupOwner(const std::string& node_id, const std::string& data_dir) {
  std::string owner = node_id.substr(0, 48);
  for (char& c : owner) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  std::error_code ec;
  const std::string data_dir_abs = std::filesystem::weakly_canonical(data_dir, ec).string();
  return owner + "-" + Sha256Hex(ec ? data_dir : data_dir_abs).substr(0, 8);
}

void RemoveLeftoverCgroups(CgroupManager& cgroups) {
  if (auto removed = cgroups.RemoveLeftovers(); !removed.ok()) {
    log::Warn("cannot remove cgroups left by an earlier run of this agent",
              {{"error", removed.status()}});
  } else if (*removed > 0) {
    log::Info("removed cgroups left by an earlier run of this agent", {{"count", *removed}});
  }
}

Result<ExecutorOptions> MakeExecutorOptions(const RunOptions& opts, const std::string& node_id,
                                            const v1::HostInventory& inv,
                                            const EmulationProfile& emulation) {
  ExecutorOptions eopts;
  eopts.node_id = node_id;
  eopts.max_concurrent_runs = opts.max_concurrent_runs;
  eopts.max_queued_runs = opts.max_queued_runs;
  eopts.node_memory_bytes = inv.memory_bytes();
  eopts.node_cpu_millicores = inv.topology().logical_cores() * 1000;
  eopts.emulation = emulation;
  eopts.run_pids_max = opts.run_pids_max;
  eopts.warm_memory_budget_bytes =
      opts.warm_memory_mib > 0 ? opts.warm_memory_mib << 20 : inv.memory_bytes() / 4;
  eopts.keep_alive.fixed_window_s = opts.keep_alive_fixed_s;
  eopts.keep_alive.cold_start_cost_s = opts.keep_alive_cold_start_cost_s;
  if (!IsLabelSafe(opts.lambda_region)) {
    return InvalidArgumentError("--lambda-region: letters, digits and '-' only")
        .WithField("lambda-region");
  }
  eopts.lambda_region = opts.lambda_region;
  if (::geteuid() == 0 && !opts.run_as.empty()) {
    const passwd* pw = ::getpwnam(opts.run_as.c_str());
    if (pw == nullptr) return NotFoundError("--run-as: no user named " + opts.run_as);
    eopts.run_uid = pw->pw_uid;
    eopts.run_gid = pw->pw_gid;
  }
  return eopts;
}

// How this agent isolates runs, from its flags; the network namespace pool and the per-function
// uids go with it. A sandbox the host cannot make is an error at start, naming the opt-out.
struct RunIsolation {
  std::unique_ptr<Sandbox> sandbox;
  std::unique_ptr<NetnsPool> netns;
  std::unique_ptr<RunUids> uids;
  IsolationLevel level;
};

Result<RunIsolation> MakeRunIsolation(const RunOptions& opts, const std::string& data_dir) {
  SandboxOptions sopts;
  sopts.state_dir = JoinPath(data_dir, "sandbox");
  sopts.allow_network = opts.sandbox_allow_network;
  sopts.open_files = opts.run_open_files;
  sopts.tmp_max_bytes = opts.run_tmp_max_bytes;
  TAILOR_ASSIGN_OR_RETURN(std::vector<std::string> off, ParseIsolationKinds(opts.sandbox_disable));
  DisableIsolation(off, sopts);
  RunIsolation isolation;
  isolation.level = IsolationOf(sopts);
  if (::geteuid() != 0 && isolation.level.level != "none") {
    return FailedPreconditionError(
        "sandboxed runs need the agent to run as root (namespaces, mounts, per-function users); "
        "run it as root, or pass --sandbox-disable all to run functions unisolated");
  }
  TAILOR_ASSIGN_OR_RETURN(isolation.sandbox, Sandbox::Prepare(sopts));
  if (sopts.namespaces & spawn::kNsNet) {
    isolation.netns = std::make_unique<NetnsPool>(opts.max_concurrent_runs + 1);
  }
  if (::geteuid() == 0 && !opts.run_uid_range.empty()) {
    TAILOR_ASSIGN_OR_RETURN(UidRange range, ParseUidRange(opts.run_uid_range));
    TAILOR_ASSIGN_OR_RETURN(isolation.uids, RunUids::Open(JoinPath(data_dir, "run-uids"), range));
  }
  return isolation;
}

v1::Isolation IsolationForInventory(const RunIsolation& isolation) {
  v1::Isolation out;
  out.set_level(isolation.level.level);
  for (const std::string& kind : isolation.level.missing) out.add_missing(kind);
  out.set_per_function_users(isolation.uids != nullptr);
  out.set_network_functions(isolation.sandbox->options().allow_network);
  return out;
}

void LogIsolation(const RunIsolation& isolation) {
  if (isolation.level.level == "full") {
    log::Info("runs are sandboxed", {{"isolation", isolation.level.ToString()}});
    return;
  }
  log::Warn(
      "runs are LESS ISOLATED than they should be (--sandbox-disable): functions may see "
      "or reach what the missing kinds would hide",
      {{"isolation", isolation.level.ToString()}});
}

// Serves /metrics on --metrics-listen and writes its address where asked.
Result<std::unique_ptr<prometheus::Exposer>> ServeMetrics(
    const RunOptions& opts, const std::shared_ptr<prometheus::Registry>& registry) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(opts.metrics_listen);
  } catch (const std::exception& e) {
    return UnavailableError("cannot serve metrics on " + opts.metrics_listen + ": " + e.what());
  }
  exposer->RegisterCollectable(registry);
  const std::string address = HostOfAddress(opts.metrics_listen) + ":" +
                              std::to_string(exposer->GetListeningPorts().at(0));
  log::Info("agent metrics", {{"listen", address}});
  if (!opts.metrics_address_file.empty()) {
    TAILOR_RETURN_IF_ERROR_CTX(WriteFileAtomically(opts.metrics_address_file, address + "\n"),
                               "writing the metrics address file");
  }
  return exposer;
}

void ReportSources(AgentMetrics& metrics, const CgroupManager& cgroups,
                   const v1::HostInventory& inv, const ResctrlManager& resctrl,
                   const HostPaths& paths) {
  metrics.SetSourceAvailable("cgroup", cgroups.version() > 0);
  metrics.SetSourceAvailable("perf_hardware", inv.hw_perf_counters());
  metrics.SetSourceAvailable("resctrl_monitoring", resctrl.monitoring_available());
  metrics.SetSourceAvailable("resctrl_allocation", resctrl.allocation_available());
  metrics.SetSourceAvailable("pressure", PathExists(paths.Resolve("/proc/pressure/cpu")));
}

// A graceful stop: no new placements here, no new runs, the runs in flight finish (up to the
// drain timeout) and their callers get their answers before the server closes.
void Drain(const RunOptions& opts, MembershipClient& membership, Executor& executor,
           GrpcServer& server) {
  const auto started = std::chrono::steady_clock::now();
  log::Info("agent stopping: finishing the runs in flight",
            {{"running", executor.running()},
             {"queued", executor.queued()},
             {"drain_timeout_s", opts.drain_timeout_s}});
  executor.StopAccepting();
  if (!membership.AnnounceStopping(std::chrono::seconds(2))) {
    log::Warn(
        "could not tell the scheduler this node is stopping; calls sent here are refused "
        "and tried elsewhere");
  }
  if (!executor.WaitIdle(std::chrono::seconds(opts.drain_timeout_s))) {
    log::Warn("drain timeout: runs still in flight are ended with the agent",
              {{"running", executor.running()}, {"queued", executor.queued()}});
  }
  // The answers of finished runs are on their way: give the server a moment to write them.
  server.Shutdown(std::chrono::seconds(5));
  membership.Stop();
  log::Info("agent drained",
            {{"seconds",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
}

// The agent's TLS material; its certificate must be a node's.
Result<TransportSecurity> LoadAgentSecurity(const RunOptions& opts, Identity* node) {
  TransportSecurity security;
  if (opts.insecure) {
    security.insecure = true;
    log::Error(InsecureWarning(security));
    return security;
  }
  if (opts.tls_dir.empty()) {
    return FailedPreconditionError(
        "no credentials: give --tls-dir with this node's ca.crt, tls.crt and tls.key (`tailorctl "
        "certs issue --kind node`), or --insecure-allow-anyone");
  }
  TAILOR_ASSIGN_OR_RETURN(security.tls, LoadTlsDirectory(opts.tls_dir));
  TAILOR_ASSIGN_OR_RETURN(auto subject, ReadCertificateSubject(security.tls.cert_pem));
  auto identity = IdentityFromCertificate(subject);
  if (!identity.ok() || identity->kind != Identity::Kind::kNode) {
    return InvalidArgumentError(opts.tls_dir + "/tls.crt is not a node certificate");
  }
  *node = *identity;
  return security;
}

// The node id: the certificate's when there is one (--node-id must then agree), else
// --node-id, else the host name.
Result<std::string> NodeIdFor(const RunOptions& opts, const Identity& certified) {
  if (!certified.name.empty()) {
    if (!opts.node_id.empty() && opts.node_id != certified.name) {
      return InvalidArgumentError("--node-id " + opts.node_id + " differs from node " +
                                  certified.name + " named by the certificate");
    }
    return certified.name;
  }
  const std::string node_id = opts.node_id.empty() ? DefaultNodeId() : opts.node_id;
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kNodeId, node_id, "--node-id"));
  return node_id;
}

int RunAgent(const RunOptions& opts) {
  InventorySources sources;
  sources.paths.root = opts.host_root;
  EmulationProfile emulation;
  auto inv = HostInventoryFor(opts, sources, &emulation);
  if (!inv.ok()) return Fail("cannot describe this host", inv.status());
  Identity certified;
  auto security = LoadAgentSecurity(opts, &certified);
  if (!security.ok()) return Fail("cannot load credentials", security.status());
  auto node_id_or = NodeIdFor(opts, certified);
  if (!node_id_or.ok()) return Fail("bad node id", node_id_or.status());
  const std::string node_id = *node_id_or;
  const std::string data_dir = opts.data_dir.empty() ? "tailor-agent-" + node_id : opts.data_dir;
  if (Status s = MakeDirectories(data_dir); !s.ok()) return Fail("cannot create data directory", s);
  FunctionStore functions(JoinPath(data_dir, "functions"));
  if (Status s = LoadFunctions(opts, functions); !s.ok()) return Fail("cannot install functions", s);
  auto layout = ReadCgroupLayout(sources.paths);
  if (!layout.ok()) return Fail("cannot read cgroup layout", layout.status());
  auto cgroups = MakeCgroupManager(*layout, sources.paths, "tailor", CgroupOwner(node_id, data_dir));
  auto resctrl_info = DetectResctrl(sources.paths);
  ResctrlManager resctrl(resctrl_info.ok() ? *resctrl_info : ResctrlInfo{}, sources.paths);
  auto spool = ReportSpool::Open(JoinPath(data_dir, "spool.db"), opts.spool_max_reports);
  if (!spool.ok()) return Fail("cannot open report spool", spool.status());
  // With the spool held, no other agent uses this data directory: cgroups under this owner
  // are leftovers of an earlier run that was killed mid-run (and whatever is still inside).
  RemoveLeftoverCgroups(*cgroups);

  auto eopts = MakeExecutorOptions(opts, node_id, *inv, emulation);
  if (!eopts.ok()) return Fail("cannot set up runs", eopts.status());
  if (eopts->run_pids_max > 0 && cgroups->version() > 0 &&
      std::find(layout->controllers.begin(), layout->controllers.end(), "pids") ==
          layout->controllers.end()) {
    log::Warn("no pids controller on this host: runs have no process limit (--run-pids-max)");
    eopts->run_pids_max = 0;
  }
  auto isolation = MakeRunIsolation(opts, data_dir);
  if (!isolation.ok()) return Fail("cannot set up sandboxes", isolation.status());
  LogIsolation(*isolation);
  *inv->mutable_isolation() = IsolationForInventory(*isolation);
  inv->set_kubernetes_node(opts.kubernetes_node);
  LatestLoad latest_load;
  ExecutorDeps deps;
  deps.functions = &functions;
  deps.cgroups = cgroups.get();
  deps.resctrl = &resctrl;
  deps.perf = ProbePerfSupport();
  deps.clock = &RealClock::Get();
  deps.current_load = [&latest_load] { return latest_load.Get(); };
  deps.sink = spool->get();
  const auto scheduler_channel = MakeChannel(opts.scheduler, *security, kSchedulerServerName);
  BundleFetcher fetcher(v1::Registry::NewStub(scheduler_channel), functions);
  deps.fetch_bundle = [&fetcher](const std::string& digest) { return fetcher.Fetch(digest); };
  deps.sandbox = isolation->sandbox.get();
  deps.netns = isolation->netns.get();
  deps.uids = isolation->uids.get();
  Executor executor(*eopts, deps);
  if (Status s = executor.CheckSandbox(); !s.ok()) {
    return Fail("this host cannot make the runs' sandbox (see --sandbox-disable)", s);
  }

  auto registry = std::make_shared<prometheus::Registry>();
  AgentMetrics metrics(*registry);
  ReportSources(metrics, *cgroups, *inv, resctrl, sources.paths);
  for (const char* kind : {"pid", "mount", "ipc", "uts", "network", "seccomp"}) {
    const auto& missing = isolation->level.missing;
    metrics.SetIsolation(kind, std::find(missing.begin(), missing.end(), kind) == missing.end());
  }
  auto exposer = ServeMetrics(opts, registry);
  if (!exposer.ok()) return Fail("cannot serve metrics", exposer.status());

  ReportUploader::Options uopts;
  uopts.scheduler_address = opts.scheduler;
  uopts.channel = scheduler_channel;
  uopts.node_id = node_id;
  uopts.backoff.initial = std::chrono::milliseconds(opts.backoff_initial_ms);
  uopts.backoff.max = std::chrono::milliseconds(opts.backoff_max_ms);
  uopts.after_batch = [&metrics, &spool](uint64_t rejected) {
    metrics.RecordRejectedReports(rejected);
    metrics.SetSpool((*spool)->depth(), (*spool)->dropped_total());
  };
  ReportUploader uploader(uopts, **spool);
  uploader.Start();

  AgentAccess access(security->insecure, std::set<std::string>(opts.allow_invoke_from.begin(),
                                                               opts.allow_invoke_from.end()));
  access.SetDenialHook([&metrics](std::string_view code) { metrics.RecordAccessDenied(code); });
  // The warm pool's figures, after each run and at each heartbeat; returns them.
  auto record_warm_pool = [&metrics, &executor] {
    const WarmPoolStats warm = executor.warm_pool().stats();
    metrics.SetWarmPool(warm.idle_instances, warm.idle_memory_bytes, warm.retired_expired,
                        warm.retired_budget);
    return warm;
  };
  AgentServiceImpl service(access, *inv, &executor, [&](const v1::RunReport* report) {
    if (report != nullptr) metrics.RecordRun(*report);
    uploader.Wake();
    metrics.SetLoad(executor.running(), executor.queued());
    metrics.SetSpool((*spool)->depth(), (*spool)->dropped_total());
    record_warm_pool();
  });
  auto server = GrpcServer::Start(opts.listen, {&service},
                                  MakeServerCredentials(*security, ClientCertificates::kRequire));
  if (!server.ok()) return Fail("cannot start agent server", server.status());
  const std::string advertised = opts.advertise.empty() ? (*server)->address() : opts.advertise;
  if (!opts.address_file.empty()) {
    Status s = WriteFileAtomically(opts.address_file, advertised + "\n");
    if (!s.ok()) return Fail("cannot write address file", s);
  }
  log::Info("agent serving", {{"address", advertised}, {"node", node_id},
                              {"cgroup_version", cgroups->version()}});

  LoadSampler sampler(sources.paths, [&executor] { return executor.running(); },
                      [&executor] { return executor.queued(); });
  MembershipClient::Options mopts;
  mopts.scheduler_address = opts.scheduler;
  mopts.channel = scheduler_channel;
  mopts.node_id = node_id;
  mopts.advertised_address = advertised;
  mopts.agent_version = kTailorVersion;
  mopts.backoff.initial = std::chrono::milliseconds(opts.backoff_initial_ms);
  mopts.backoff.max = std::chrono::milliseconds(opts.backoff_max_ms);
  auto sample_load = [&sampler, &latest_load, &executor, &record_warm_pool,
                      max_runs = opts.max_concurrent_runs]() -> Result<v1::NodeLoad> {
    auto load = sampler.Sample();
    if (!load.ok()) return load;
    load->set_max_concurrent_runs(max_runs);
    latest_load.Set(*load);
    AddWarmInstances(executor.warm_pool(), record_warm_pool(), *load);
    return load;
  };
  MembershipClient membership(mopts, *inv, sample_load);
  membership.Start();

  const int sig = WaitForTerminationSignal();
  Drain(opts, membership, executor, **server);
  log::Info("agent stopped", {{"signal", sig}});
  uploader.Stop();  // a last upload: the reports of the runs that just finished
  return 0;
}

}  // namespace
}  // namespace tailor::agent

int main(int argc, char** argv) {
  using namespace tailor;
  BlockTerminationSignals();
  CLI::App app{"tailor-agent: Tailor's node agent (profiles function runs, reports to the scheduler)"};
  app.set_version_flag("--version", kTailorVersion);
  CommonOptions common;
  SetUpCommandLine(app, common);
  app.require_subcommand(1);

  agent::RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Register with the scheduler and serve the agent API");
  run_cmd->add_option("--scheduler", run.scheduler, "Scheduler gRPC address (host:port)");
  run_cmd->add_option("--listen", run.listen, "Address the agent API listens on (port 0: any)");
  run_cmd->add_option("--advertise", run.advertise,
                      "Address the scheduler should use to reach this agent (default: bound)");
  run_cmd->add_option("--node-id", run.node_id, "Stable node name (default: host name)");
  run_cmd->add_option("--kubernetes-node", run.kubernetes_node,
                      "The Kubernetes node this agent runs on (a DaemonSet passes spec.nodeName): "
                      "the scheduler's Kubernetes extender names nodes so");
  run_cmd->add_option("--address-file", run.address_file,
                      "Write the bound address to this file once serving");
  run_cmd->add_option("--host-root", run.host_root,
                      "Root under which /proc and /sys are read (for tests)");
  run_cmd->add_option("--backoff-initial-ms", run.backoff_initial_ms,
                      "First delay before retrying the scheduler");
  run_cmd->add_option("--backoff-max-ms", run.backoff_max_ms,
                      "Longest delay between retries of the scheduler");
  run_cmd->add_option("--drain-timeout-s", run.drain_timeout_s,
                      "On SIGTERM, how long runs in flight may take to finish before the agent "
                      "exits (it takes no new runs meanwhile)");
  run_cmd->add_option("--data-dir", run.data_dir,
                      "Directory for installed functions and the run-report spool "
                      "(default ./tailor-agent-<node id>)");
  run_cmd->add_option("--install", run.install,
                      "Install these function bundles (directories or .tar.gz) at start "
                      "(repeatable)");
  run_cmd->add_option("--max-concurrent-runs", run.max_concurrent_runs,
                      "Runs executing at once; the rest wait in the queue");
  run_cmd->add_option("--max-queued-runs", run.max_queued_runs,
                      "Runs that may wait; beyond this Invoke is RESOURCE_EXHAUSTED");
  run_cmd->add_option("--warm-memory-mib", run.warm_memory_mib,
                      "Memory idle warm Lambda instances may hold in all (0: a quarter of the "
                      "node's)");
  run_cmd
      ->add_option("--keep-alive-fixed-s", run.keep_alive_fixed_s,
                   "Keep-alive of a Lambda function's idle instance until its invocation gaps "
                   "are known")
      ->check(CLI::Range(0.0, 86400.0));
  run_cmd
      ->add_option("--keep-alive-cold-start-cost-s", run.keep_alive_cold_start_cost_s,
                   "What one cold start is worth in seconds of one idle instance, when "
                   "learning keep-alive windows")
      ->check(CLI::Range(0.0, 86400.0));
  run_cmd->add_option("--lambda-region", run.lambda_region,
                      "Region Lambda functions are told they run in (AWS_REGION, ARNs)");
  run_cmd->add_option("--spool-max-reports", run.spool_max_reports,
                      "Run reports kept while the scheduler is unreachable");
  run_cmd->add_option("--emulation", run.emulation_file,
                      "Emulation profile (TOML) making this agent stand for another host");
  run_cmd->add_option("--run-as", run.run_as,
                      "User functions run as when the agent is root and --run-uid-range is empty");
  run_cmd->add_option("--run-uid-range", run.run_uid_range,
                      "Give every function its own uid (and gid) from FIRST-LAST; the range must "
                      "be unused on the host (empty: every function runs as --run-as)");
  run_cmd->add_option("--sandbox-disable", run.sandbox_disable,
                      "Isolation kinds this host cannot provide (e.g. nested containers), comma "
                      "separated: pid, mount, ipc, uts, network, seccomp, or all. Runs are then "
                      "less isolated; the agent logs it and reports it to the scheduler");
  run_cmd->add_flag("--sandbox-allow-network", run.sandbox_allow_network,
                    "Let functions whose manifest says network = \"outbound\" run, in the "
                    "host's network namespace (they can reach what the host can, loopback too)");
  run_cmd->add_option("--run-pids-max", run.run_pids_max,
                      "Most processes and threads in one run (the pids cgroup; 0: no limit)");
  run_cmd->add_option("--run-open-files", run.run_open_files,
                      "Open-files limit (RLIMIT_NOFILE) of a sandboxed run");
  run_cmd->add_option("--run-tmp-max-bytes", run.run_tmp_max_bytes,
                      "Size of a sandboxed run's /tmp, and of its /dev/shm (each; the run's memory "
                      "limit caps both, as their pages count against it)");
  run_cmd->add_option("--metrics-address-file", run.metrics_address_file,
                      "Write the metrics endpoint's host:port here once it serves");
  run_cmd->add_option("--metrics-listen", run.metrics_listen,
                      "Address of the Prometheus /metrics endpoint, plain HTTP (port 0: any)");
  run_cmd->add_option("--tls-dir", run.tls_dir,
                      "This node's ca.crt, tls.crt and tls.key (`tailorctl certs issue --kind "
                      "node`); the certificate names the node id");
  run_cmd->add_flag("--insecure-allow-anyone", run.insecure,
                    "INSECURE: no TLS and no authentication; anyone who reaches the agent's "
                    "port runs code on this host (only for tests on an isolated host)");
  run_cmd->add_option("--allow-invoke-from", run.allow_invoke_from,
                      "Also take calls from the caller certificate with this name (CN), besides "
                      "the scheduler (repeatable)");

  std::string output = "text";
  std::string inv_root = "/";
  auto* inv_cmd = app.add_subcommand("inventory", "Print this host's hardware inventory");
  inv_cmd->add_option("--output", output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  inv_cmd->add_option("--host-root", inv_root, "Root under which /proc and /sys are read");

  if (auto exit_code = ParseCommandLine(app, common, argc, argv)) return *exit_code;
  if (*inv_cmd) return agent::RunInventory(output, inv_root);
  return agent::RunAgent(run);
}
