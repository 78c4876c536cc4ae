// Placement throughput over gRPC: many concurrent clients calling Place on a real scheduler on
// loopback with 1,000 registered nodes.
//
//   build/bin/place_load [--clients 32] [--seconds 10] [--nodes 1000] [--bin-dir build/bin]
//                        [--mode sync|async] [--connections 2] [--security tls|plain]
//                        [--background] [--reports-per-second 1000] [--deploy-mib 60]
//                        [--scheduler-arg ARG ...]  (each ARG passed to tailor-scheduler)
//                        [--compare-health] [--rate N]
//                        [--report-functions 1] [--warm-reports 0]
//
// Starts tailor-scheduler (data in a scratch directory), registers the nodes through the
// Membership API (12 host classes, huge capacity so reservations never fill them), deploys a
// small function through the Registry API, then runs the clients and prints decisions per
// second and the p50/p99 latency of Place as one JSON object.
//
// Clients: in `sync` mode, one thread and one connection per client, each making one call at a
// time. In `async` mode (how a platform's front end would call Tailor), `--clients` calls are
// kept in flight at all times, spread over `--connections` HTTP/2 connections, each driven by
// one thread with a completion queue: the calls share connections as gRPC multiplexes them.
//
// Security: `tls` (the default, as a scheduler starts with no flags) runs the scheduler with
// its own CA; each node registers with a certificate naming it, the function is deployed with
// the admin token, and Place is called with a `platform` token over mutual TLS. `plain` runs
// it with --insecure-allow-anyone (no TLS, no authentication): the ratio of the two is what
// access control costs the placement path (docs/benchmarks.md).
//
// With --rate N the clients are an open loop instead: N calls per second over the connections,
// each issued when due whether or not earlier ones finished, its latency counted from then
// (how independent invocations arrive); --clients is then unused.
//
// Phases, each `--seconds` long, in one run against the same server with the same clients:
// Place on an idle scheduler; with --background, Place again while another connection deploys
// 60 MiB bundles back to back (each a new version, so each is unpacked, checked and written)
// and another sends `--reports-per-second` run reports (Placement.Report); with
// --compare-health, the standard health check (grpc.health.v1.Health/Check, an empty RPC).
// The JSON then also gives Place p99 under that load as a ratio of idle, and Place throughput
// as a ratio of the health check's.
//
// Reports name the deployed function, or with --report-functions N, N functions in turn
// ("bench-0", ...; a function's k-th report comes from the next class, so its runs spread over
// the classes): what the policies learn then grows with N, as in a cluster of many functions.
// --warm-reports K sends K such reports before the first phase, as fast as eight senders go,
// so that the phases run against a scheduler that has learned them.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/process_cpu.h"
#include "bench/scheduler_process.h"
#include "common/bundle_archive.h"
#include "common/cluster_identity.h"
#include "common/file_util.h"
#include "common/pki.h"
#include "common/tls_files.h"
#include "proto/grpc_channel.h"
#include "tailor/v1/access.grpc.pb.h"
#include "tailor/v1/membership.grpc.pb.h"
#include "tailor/v1/placement.grpc.pb.h"
#include "tailor/v1/registry.grpc.pb.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& why) { tailor::bench::Die("place_load", why); }

// How the bench reaches the scheduler: plaintext, or TLS from its CA with a token or a node's
// certificate.
struct Access {
  bool tls = true;
  std::string dir;  // the scheduler's data directory
  tailor::KeyAndCertificate ca;

  std::shared_ptr<grpc::Channel> Channel(const std::string& address,
                                         tailor::TransportSecurity security,
                                         grpc::ChannelArguments args = {}) const {
    if (!tls) return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    security.tls.ca_cert_pem = ca.cert_pem;
    args.SetSslTargetNameOverride(std::string(tailor::kSchedulerServerName));
    args.SetInt(GRPC_ARG_TSI_MAX_FRAME_SIZE, tailor::kTlsMaxFrameBytes);  // as MakeChannel does
    return grpc::CreateCustomChannel(address, tailor::MakeChannelCredentials(security), args);
  }
  std::shared_ptr<grpc::Channel> AsToken(const std::string& address, const std::string& token,
                                         grpc::ChannelArguments args = {}) const {
    tailor::TransportSecurity security;
    security.bearer_token = token;
    return Channel(address, security, args);
  }
  std::shared_ptr<grpc::Channel> AsNode(const std::string& address, const std::string& id) const {
    tailor::TransportSecurity security;
    if (tls) {
      auto issued =
          tailor::IssueCertificate(ca, tailor::NodeCertificateRequest(id, {}, {}, 1).value());
      if (!issued.ok())
        Die("cannot issue a node certificate: " + std::string(issued.status().message()));
      security.tls.cert_pem = issued->cert_pem;
      security.tls.key_pem = issued->key_pem;
    }
    return Channel(address, security);
  }
  std::string AdminToken() const {
    return tls ? std::string(tailor::TrimWhitespace(*tailor::ReadFile(dir + "/admin.token"))) : "";
  }
  // A platform token, made by the admin (empty when plain).
  std::string PlatformToken(const std::string& address) const {
    if (!tls) return "";
    grpc::ClientContext ctx;
    tailor::v1::CreateTokenRequest req;
    req.set_name("place-load");
    req.set_role("platform");
    tailor::v1::CreateTokenResponse resp;
    auto s =
        tailor::v1::Access::NewStub(AsToken(address, AdminToken()))->CreateToken(&ctx, req, &resp);
    if (!s.ok()) Die("cannot make a platform token: " + s.error_message());
    return resp.bearer();
  }
};

// The bytes of a request, for the generic stub.
grpc::ByteBuffer ToBytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}
grpc::ByteBuffer ToBytes(const google::protobuf::Message& m) {
  return ToBytes(m.SerializeAsString());
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}

// How the clients load the server: `connections` connections sharing `in_flight` calls.
struct Load {
  int connections;
  int in_flight;  // closed loop: calls kept in flight
  double seconds;
  pid_t scheduler;
  double rate = 0;  // open loop: calls per second over all connections (0: closed loop)
};

struct Phase {
  std::vector<double> latencies_us;
  uint64_t failures = 0;
  double seconds = 0;
  double scheduler_cpu_seconds = 0;
};

// Keeps `in_flight` calls of `method` going on one connection until `stop`, each issued again
// as it completes, recording every call's latency.
void DriveConnection(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const grpc::ByteBuffer& request, int in_flight, const std::atomic<bool>& stop,
                     std::vector<double>& latencies_us, std::atomic<uint64_t>& failures) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  struct Call {
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::ByteBuffer response;
    grpc::Status status;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
    Clock::time_point t0;
  };
  std::vector<Call> calls(in_flight);
  auto issue = [&](size_t i) {
    Call& call = calls[i];
    call.ctx = std::make_unique<grpc::ClientContext>();
    call.t0 = Clock::now();
    call.reader = stub.PrepareUnaryCall(call.ctx.get(), method, request, &cq);
    call.reader->StartCall();
    call.reader->Finish(&call.response, &call.status, reinterpret_cast<void*>(i));
  };
  for (int i = 0; i < in_flight; ++i) issue(i);
  int outstanding = in_flight;
  void* tag;
  bool ok;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    const auto i = reinterpret_cast<size_t>(tag);
    latencies_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - calls[i].t0).count());
    if (!ok || !calls[i].status.ok()) failures.fetch_add(1);
    if (stop.load(std::memory_order_relaxed)) {
      --outstanding;
    } else {
      issue(i);
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// Issues calls of `method` on one connection at `per_second`, whether or not earlier ones have
// finished (an open loop, as independent requests arrive), until `stop`; records every call's
// latency from when it was due.
void PaceConnection(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                    const grpc::ByteBuffer& request, double per_second,
                    const std::atomic<bool>& stop, std::vector<double>& latencies_us,
                    std::atomic<uint64_t>& failures) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext ctx;
    grpc::ByteBuffer response;
    grpc::Status status;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
    Clock::time_point due;
  };
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1 / per_second));
  auto next = Clock::now();
  size_t outstanding = 0;
  auto reap = [&](Call* call, bool ok) {
    latencies_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - call->due).count());
    if (!ok || !call->status.ok()) failures.fetch_add(1);
    delete call;
    --outstanding;
  };
  while (!stop.load(std::memory_order_relaxed)) {
    while (Clock::now() >= next) {
      auto* call = new Call;
      call->due = next;
      call->reader = stub.PrepareUnaryCall(&call->ctx, method, request, &cq);
      call->reader->StartCall();
      call->reader->Finish(&call->response, &call->status, call);
      ++outstanding;
      next += interval;
    }
    void* tag;
    bool ok;
    // gRPC takes deadlines on the system clock.
    const auto deadline = std::chrono::system_clock::now() + (next - Clock::now());
    if (cq.AsyncNext(&tag, &ok, deadline) == grpc::CompletionQueue::GOT_EVENT) {
      reap(static_cast<Call*>(tag), ok);
    }
  }
  void* tag;
  bool ok;
  while (outstanding > 0 && cq.Next(&tag, &ok)) reap(static_cast<Call*>(tag), ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// One phase: every connection driven by its own thread for `load.seconds`.
template <typename MakeChannel>
Phase RunPhase(const Load& load, MakeChannel make_channel, const std::string& method,
               const grpc::ByteBuffer& request) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> failures{0};
  std::vector<std::vector<double>> latencies(load.connections);
  std::vector<std::thread> threads;
  const double cpu_before = tailor::bench::ProcessCpuSeconds(load.scheduler);
  const auto start = Clock::now();
  for (int c = 0; c < load.connections; ++c) {
    const int share = load.in_flight / load.connections + (c < load.in_flight % load.connections);
    threads.emplace_back([&, c, share] {
      if (load.rate > 0) {
        PaceConnection(make_channel(c), method, request, load.rate / load.connections, stop,
                       latencies[c], failures);
      } else {
        DriveConnection(make_channel(c), method, request, std::max(1, share), stop, latencies[c],
                        failures);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(load.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  Phase phase;
  phase.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  phase.scheduler_cpu_seconds = tailor::bench::ProcessCpuSeconds(load.scheduler) - cpu_before;
  for (auto& l : latencies) phase.latencies_us.insert(phase.latencies_us.end(), l.begin(), l.end());
  phase.failures = failures.load();
  return phase;
}

void Describe(const Phase& p, nlohmann::json& out) {
  const double calls = static_cast<double>(p.latencies_us.size());
  out["decisions"] = p.latencies_us.size();
  out["failures"] = p.failures;
  out["decisions_per_second"] = calls / p.seconds;
  out["p50_us"] = Percentile(p.latencies_us, 0.5);
  out["p99_us"] = Percentile(p.latencies_us, 0.99);
  // The scheduler's own CPU per call: what a call costs the server when the clients run
  // elsewhere.
  out["scheduler_cpu_us_per_decision"] = calls > 0 ? p.scheduler_cpu_seconds * 1e6 / calls : 0;
}

// The n-th run report of a stream (`prefix` keeps streams' invocation ids apart): of the
// deployed function "bench", or of function n % functions, on a node of the next class at each
// of that function's reports (node i is of class i % 12).
void FillReport(const std::string& prefix, uint64_t n, int nodes, int functions,
                tailor::v1::RunReport& r) {
  const uint64_t function = n % functions, turn = n / functions;
  r.set_invocation_id(prefix + std::to_string(n));
  r.set_function_name(functions == 1 ? "bench" : "bench-" + std::to_string(function));
  r.set_node_id("node-" + std::to_string((function + turn) % nodes));
  r.set_outcome(tailor::v1::RUN_OUTCOME_SUCCEEDED);
  r.set_wall_time_us(20'000 + static_cast<int64_t>((function + turn) % 7) * 1000);
  r.set_user_cpu_us(10'000);
}

// Sends `count` reports from eight threads as fast as they are answered; returns the seconds it
// took. Dies when one fails.
double WarmReports(const std::shared_ptr<grpc::Channel>& channel, uint64_t count, int nodes,
                   int functions) {
  constexpr int kSenders = 8;
  const auto start = Clock::now();
  std::atomic<uint64_t> failures{0};
  std::vector<std::thread> senders;
  for (int k = 0; k < kSenders; ++k) {
    senders.emplace_back([&, k] {
      auto placement = tailor::v1::Placement::NewStub(channel);
      for (uint64_t n = k; n < count; n += kSenders) {
        grpc::ClientContext ctx;
        tailor::v1::ReportRequest req;
        FillReport("warm-", n, nodes, functions, *req.mutable_report());
        tailor::v1::ReportResponse resp;
        if (!placement->Report(&ctx, req, &resp).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : senders) t.join();
  if (failures.load() > 0) Die(std::to_string(failures.load()) + " warm-up reports failed");
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Slow work alongside the placements: 60 MiB bundles deployed back to back (each a new version)
// and a paced stream of run reports.
class Background {
 public:
  struct Counts {
    uint64_t reports = 0, report_failures = 0, deploys = 0, deploy_failures = 0;
  };
  Background(const Access& access, const std::string& address, const std::string& platform_token,
             const std::string& dir, int nodes, double reports_per_second, int deploy_mib,
             int report_functions)
      : report_functions_(report_functions),
        deploy_channel_(access.AsToken(address, access.AdminToken())),
        report_channel_(access.AsToken(address, platform_token)) {
    fs::create_directories(dir + "/big");
    std::mt19937_64 random(42);
    std::string data(static_cast<size_t>(deploy_mib) << 20, '\0');
    for (size_t i = 0; i + 8 <= data.size(); i += 8) {
      const uint64_t word = random();
      std::memcpy(&data[i], &word, 8);
    }
    (void)tailor::WriteFile(dir + "/big/data.bin", data);
    (void)tailor::WriteFile(dir + "/big/run.sh", "#!/bin/sh\ncat\n");
    chmod((dir + "/big/run.sh").c_str(), 0755);
    // Packed before the phase (gzip of 60 MiB is seconds of the client's CPU, which would
    // otherwise compete with the Place clients in this process): each a new version.
    for (int version = 1; deploy_mib > 0 && version <= kArchives; ++version) {
      (void)tailor::WriteFile(
          dir + "/big/tailor.toml",
          "name = 'big'\nversion = 'v" + std::to_string(version) + "'\nentrypoint = 'run.sh'\n");
      auto archive = tailor::PackBundle(dir + "/big");
      if (!archive.ok())
        Die("cannot pack the big bundle: " + std::string(archive.status().message()));
      archives_.push_back(std::move(*archive));
    }
    if (deploy_mib > 0) deployer_ = std::thread([this] { DeployLoop(); });
    // A report is one RPC and one stored run: several senders keep the rate.
    for (int k = 0; k < kReporters && reports_per_second > 0; ++k) {
      reporters_.emplace_back([this, k, nodes, reports_per_second] {
        ReportLoop(k, nodes, reports_per_second / kReporters);
      });
    }
  }
  Counts Stop() {
    stop_ = true;
    if (deployer_.joinable()) deployer_.join();
    for (auto& t : reporters_) t.join();
    return {reports_.load(), report_failures_.load(), deploys_.load(), deploy_failures_.load()};
  }

 private:
  // Deploys the packed archives one after another (each new to the registry until they have
  // all been deployed once; then again, which the registry recognizes as unchanged).
  void DeployLoop() {
    auto registry = tailor::v1::Registry::NewStub(deploy_channel_);
    for (size_t n = 0; !stop_; ++n) {
      const std::string* archive = &archives_[n % archives_.size()];
      grpc::ClientContext ctx;
      tailor::v1::DeployResponse resp;
      auto writer = registry->Deploy(&ctx, &resp);
      tailor::v1::DeployChunk header;
      header.mutable_header()->set_size_bytes(archive->size());
      writer->Write(header);
      constexpr size_t kChunk = 1 << 20;
      for (size_t at = 0; at < archive->size(); at += kChunk) {
        tailor::v1::DeployChunk chunk;
        chunk.set_data(archive->substr(at, kChunk));
        writer->Write(chunk);
      }
      writer->WritesDone();
      (writer->Finish().ok() ? deploys_ : deploy_failures_).fetch_add(1);
    }
  }
  void ReportLoop(int sender, int nodes, double per_second) {
    auto placement = tailor::v1::Placement::NewStub(report_channel_);
    const auto interval = std::chrono::duration<double>(1.0 / per_second);
    auto next = Clock::now();
    for (uint64_t n = sender; !stop_; n += kReporters) {
      next += std::chrono::duration_cast<Clock::duration>(interval);
      std::this_thread::sleep_until(next);
      grpc::ClientContext ctx;
      tailor::v1::ReportRequest req;
      auto* r = req.mutable_report();
      FillReport("bg-", n, nodes, report_functions_, *r);
      tailor::v1::ReportResponse resp;
      (placement->Report(&ctx, req, &resp).ok() ? reports_ : report_failures_).fetch_add(1);
    }
  }

  const int report_functions_;
  std::shared_ptr<grpc::Channel> deploy_channel_, report_channel_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> reports_{0}, report_failures_{0}, deploys_{0}, deploy_failures_{0};
  static constexpr int kReporters = 8;
  static constexpr int kArchives = 8;  // more than a phase of 5..10 s deploys
  std::vector<std::string> archives_;
  std::thread deployer_;
  std::vector<std::thread> reporters_;
};

}  // namespace

int main(int argc, char** argv) {
  int clients = 32, nodes = 1000, connections = 2;
  double seconds = 10, reports_per_second = 1000;
  int deploy_mib = 60, report_functions = 1;
  uint64_t warm_reports = 0;
  double rate = 0;
  bool background = false, compare_health = false;
  std::string bin_dir = "build/bin", mode = "sync", security = "tls";
  std::vector<std::string> scheduler_args;  // passed to tailor-scheduler as they are
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--clients")
      clients = std::stoi(value());
    else if (flag == "--seconds")
      seconds = std::stod(value());
    else if (flag == "--nodes")
      nodes = std::stoi(value());
    else if (flag == "--bin-dir")
      bin_dir = value();
    else if (flag == "--mode")
      mode = value();
    else if (flag == "--connections")
      connections = std::stoi(value());
    else if (flag == "--security")
      security = value();
    else if (flag == "--reports-per-second")
      reports_per_second = std::stod(value());
    else if (flag == "--deploy-mib")
      deploy_mib = std::stoi(value());
    else if (flag == "--report-functions")
      report_functions = std::stoi(value());
    else if (flag == "--warm-reports")
      warm_reports = std::stoull(value());
    else if (flag == "--rate")
      rate = std::stod(value());
    else if (flag == "--background")
      background = true;
    else if (flag == "--compare-health")
      compare_health = true;
    else if (flag == "--scheduler-arg")
      scheduler_args.push_back(value());
    else
      Die("unknown flag " + flag);
  }
  if (mode != "sync" && mode != "async") Die("--mode must be sync or async");
  if (security != "tls" && security != "plain") Die("--security must be tls or plain");
  if (clients < 1 || connections < 1) Die("--clients and --connections must be at least 1");
  if (mode == "sync") connections = clients;
  if (report_functions < 1) Die("--report-functions must be at least 1");
  // The scheduler's data directory: under $TMPDIR (e.g. a tmpfs, to take the disk out).
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/tailor-place-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) Die("cannot make a directory under " + tmpl);
  const std::string dir = tmpl;

  // The scheduler, as a child process.
  std::vector<std::string> extra = {"--http-listen", ""};
  if (security == "plain") extra.push_back("--insecure-allow-anyone");
  extra.insert(extra.end(), scheduler_args.begin(), scheduler_args.end());
  tailor::bench::SchedulerProcess process =
      tailor::bench::StartSchedulerProcess(bin_dir, dir, extra);
  const pid_t scheduler = process.pid;
  const std::string address = process.address;
  Access access;
  access.tls = security == "tls";
  access.dir = dir + "/data";
  if (access.tls) {
    auto ca = tailor::LoadCertificateAuthority(access.dir + "/pki/ca");
    if (!ca.ok()) Die("no scheduler CA: " + std::string(ca.status().message()));
    access.ca = *ca;
  }
  auto channel = access.AsToken(address, access.AdminToken());

  // Nodes: 12 classes, capacity far beyond what the run will reserve; each registers as itself.
  const std::vector<std::vector<const char*>> feature_sets = {
      {"aes", "avx2", "avx512f", "sha_ni"}, {"aes", "avx2"}, {"avx2"}, {}};
  for (int i = 0; i < nodes; ++i) {
    grpc::ClientContext ctx;
    tailor::v1::RegisterRequest req;
    req.set_node_id("node-" + std::to_string(i));
    req.set_address("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":7401");
    auto* inv = req.mutable_inventory();
    inv->mutable_cpu()->set_model_name("Bench CPU " + std::to_string(i % 3));
    inv->mutable_topology()->set_logical_cores(65536);  // the most a node may have
    inv->set_memory_bytes(1ull << 50);
    for (const char* f : feature_sets[i % feature_sets.size()])
      (*inv->mutable_cpu_features())[f] = true;
    tailor::v1::RegisterResponse resp;
    auto membership = tailor::v1::Membership::NewStub(access.AsNode(address, req.node_id()));
    const grpc::Status registered = membership->Register(&ctx, req, &resp);
    if (!registered.ok()) Die("register failed: " + registered.error_message());
  }
  // One function.
  fs::create_directories(dir + "/fn");
  (void)tailor::WriteFile(dir + "/fn/tailor.toml",
                          "name = 'bench'\nversion = '1'\nentrypoint = 'run.sh'\n");
  (void)tailor::WriteFile(dir + "/fn/run.sh", "#!/bin/sh\ncat\n");
  chmod((dir + "/fn/run.sh").c_str(), 0755);
  {
    auto registry = tailor::v1::Registry::NewStub(channel);
    const std::string archive = *tailor::PackBundle(dir + "/fn");
    grpc::ClientContext ctx;
    tailor::v1::DeployResponse resp;
    auto writer = registry->Deploy(&ctx, &resp);
    tailor::v1::DeployChunk header, data;
    header.mutable_header()->set_size_bytes(archive.size());
    data.set_data(archive);
    writer->Write(header);
    writer->Write(data);
    writer->WritesDone();
    if (const grpc::Status st = writer->Finish(); !st.ok()) {
      Die("deploy failed: " + st.error_message());
    }
  }

  // The load.
  const std::string platform_token = access.PlatformToken(address);
  auto make_channel = [&](int c) {
    grpc::ChannelArguments ca;
    ca.SetInt("grpc.channel_id", c);  // a connection of its own
    return access.AsToken(address, platform_token, ca);
  };
  tailor::v1::PlaceRequest req;
  req.set_function_name("bench");
  req.set_payload_bytes(1024);
  // (In sync mode each client has its own connection and one call in flight.)
  const Load load{connections, clients, seconds, scheduler, rate};
  double warm_seconds = 0;
  if (warm_reports > 0) {
    warm_seconds =
        WarmReports(access.AsToken(address, platform_token), warm_reports, nodes, report_functions);
  }
  const Phase idle = RunPhase(load, make_channel, "/tailor.v1.Placement/Place", ToBytes(req));
  nlohmann::json out = {{"nodes", nodes},
                        {"mode", mode},
                        {"security", security},
                        {"clients", clients},
                        {"connections", load.connections},
                        {"report_functions", report_functions},
                        {"warm_reports", warm_reports},
                        {"warm_seconds", warm_seconds}};
  Describe(idle, out);
  bool failed = idle.failures > 0;
  if (background) {
    Background bg(access, address, platform_token, dir, nodes, reports_per_second, deploy_mib,
                  report_functions);
    const Phase loaded = RunPhase(load, make_channel, "/tailor.v1.Placement/Place", ToBytes(req));
    const Background::Counts counts = bg.Stop();
    nlohmann::json under;
    Describe(loaded, under);
    under["reports_per_second"] = counts.reports / loaded.seconds;
    under["report_failures"] = counts.report_failures;
    under["deploys"] = counts.deploys;
    under["deploy_failures"] = counts.deploy_failures;
    out["under_load"] = under;
    out["p99_ratio_under_load"] =
        Percentile(loaded.latencies_us, 0.99) / Percentile(idle.latencies_us, 0.99);
    failed |= loaded.failures > 0 || counts.report_failures > 0 || counts.deploy_failures > 0;
  }
  if (compare_health) {
    const Phase health =
        RunPhase(load, make_channel, "/grpc.health.v1.Health/Check", ToBytes(std::string()));
    nlohmann::json h;
    Describe(health, h);
    out["health_check"] = h;
    out["place_to_health_throughput"] =
        (idle.latencies_us.size() / idle.seconds) / (health.latencies_us.size() / health.seconds);
    failed |= health.failures > 0;
  }
  std::printf("%s\n", out.dump(2).c_str());
  tailor::bench::StopSchedulerProcess(process);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return failed ? 1 : 0;
}
