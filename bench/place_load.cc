// Placement throughput over gRPC: many concurrent clients calling Place on a real scheduler on
// loopback with 1,000 registered nodes.
//
//   build/bin/place_load [--clients 32] [--seconds 10] [--nodes 1000] [--bin-dir build/bin]
//                        [--mode sync|async] [--connections 2] [--security tls|plain]
//
// Starts tailor-scheduler (data in a scratch directory), registers the nodes through the
// Membership API (12 host classes, huge capacity so reservations never fill them), deploys a
// small function through the Registry API, then runs the clients and prints decisions per
// second and the p50/p99 latency of Place as one JSON object.
//
// Clients: in `sync` mode, one thread and one connection per client, each calling Place back
// to back. In `async` mode (how a platform's front end would call Tailor), `--clients` calls
// are kept in flight at all times, spread over `--connections` HTTP/2 connections, each driven
// by one thread with a completion queue: the calls share connections as gRPC multiplexes them.
//
// Security: `tls` (the default, as a scheduler starts with no flags) runs the scheduler with
// its own CA; each node registers with a certificate naming it, the function is deployed with
// the admin token, and Place is called with a `platform` token over mutual TLS. `plain` runs
// it with --insecure-allow-anyone (no TLS, no authentication): the ratio of the two is what
// access control costs the placement path (docs/benchmarks.md).
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
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

}  // namespace

int main(int argc, char** argv) {
  int clients = 32, nodes = 1000, connections = 2;
  double seconds = 10;
  std::string bin_dir = "build/bin", mode = "sync", security = "tls";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--clients")) clients = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--nodes")) nodes = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--bin-dir")) bin_dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--mode")) mode = argv[i + 1];
    else if (!std::strcmp(argv[i], "--connections")) connections = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--security"))
      security = argv[i + 1];
    else Die(std::string("unknown flag ") + argv[i]);
  }
  if (mode != "sync" && mode != "async") Die("--mode must be sync or async");
  if (security != "tls" && security != "plain") Die("--security must be tls or plain");
  if (clients < 1 || connections < 1) Die("--clients and --connections must be at least 1");
  if (mode == "sync") connections = clients;
  char tmpl[] = "/tmp/tailor-place-XXXXXX";
  const std::string dir = mkdtemp(tmpl);

  // The scheduler, as a child process.
  std::vector<std::string> extra = {"--http-listen", ""};
  if (security == "plain") extra.push_back("--insecure-allow-anyone");
  tailor::bench::SchedulerProcess process = tailor::bench::StartSchedulerProcess(bin_dir, dir, extra);
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
    for (const char* f : feature_sets[i % feature_sets.size()]) (*inv->mutable_cpu_features())[f] = true;
    tailor::v1::RegisterResponse resp;
    auto membership = tailor::v1::Membership::NewStub(access.AsNode(address, req.node_id()));
    const grpc::Status registered = membership->Register(&ctx, req, &resp);
    if (!registered.ok()) Die("register failed: " + registered.error_message());
  }
  // One function.
  fs::create_directories(dir + "/fn");
  (void)tailor::WriteFile(dir + "/fn/tailor.toml", "name = 'bench'\nversion = '1'\nentrypoint = 'run.sh'\n");
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
    if (!writer->Finish().ok()) Die("deploy failed");
  }

  // The load.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> failures{0};
  std::vector<std::vector<double>> latencies(connections);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const double scheduler_cpu_before = tailor::bench::ProcessCpuSeconds(scheduler);
  const std::string platform_token = access.PlatformToken(address);
  auto make_stub = [&](int c) {
    grpc::ChannelArguments ca;
    ca.SetInt("grpc.channel_id", c);  // a connection of its own
    return tailor::v1::Placement::NewStub(access.AsToken(address, platform_token, ca));
  };
  tailor::v1::PlaceRequest req;
  req.set_function_name("bench");
  req.set_payload_bytes(1024);
  for (int c = 0; c < connections; ++c) {
    if (mode == "sync") {
      threads.emplace_back([&, c] {
        auto stub = make_stub(c);
        while (!stop.load(std::memory_order_relaxed)) {
          grpc::ClientContext ctx;
          tailor::v1::PlaceResponse resp;
          const auto t0 = Clock::now();
          const bool ok = stub->Place(&ctx, req, &resp).ok();
          const auto t1 = Clock::now();
          if (!ok) failures.fetch_add(1);
          latencies[c].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
      });
      continue;
    }
    // async: this connection's share of the in-flight calls, re-issued as each completes.
    const int in_flight = clients / connections + (c < clients % connections ? 1 : 0);
    threads.emplace_back([&, c, in_flight] {
      auto stub = make_stub(c);
      grpc::CompletionQueue cq;
      struct Call {
        std::unique_ptr<grpc::ClientContext> ctx;
        tailor::v1::PlaceResponse resp;
        grpc::Status status;
        std::unique_ptr<grpc::ClientAsyncResponseReader<tailor::v1::PlaceResponse>> reader;
        Clock::time_point t0;
      };
      std::vector<Call> calls(in_flight);
      auto issue = [&](size_t i) {
        Call& call = calls[i];
        call.ctx = std::make_unique<grpc::ClientContext>();
        call.t0 = Clock::now();
        call.reader = stub->AsyncPlace(call.ctx.get(), req, &cq);
        call.reader->Finish(&call.resp, &call.status, reinterpret_cast<void*>(i));
      };
      for (int i = 0; i < in_flight; ++i) issue(i);
      int outstanding = in_flight;
      void* tag;
      bool ok;
      while (outstanding > 0 && cq.Next(&tag, &ok)) {
        const auto i = reinterpret_cast<size_t>(tag);
        latencies[c].push_back(
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
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double scheduler_cpu = tailor::bench::ProcessCpuSeconds(scheduler) - scheduler_cpu_before;
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) { return all.empty() ? 0 : all[static_cast<size_t>(q * (all.size() - 1))]; };
  nlohmann::json out = {
      {"nodes", nodes},
      {"mode", mode},
      {"security", security},
      {"clients", clients},
      {"connections", connections},
      {"decisions", all.size()},
      {"failures", failures.load()},
      {"decisions_per_second", all.size() / elapsed},
      {"p50_us", pct(0.5)},
      {"p99_us", pct(0.99)},
      // The scheduler's own CPU per decision: what a Place costs the server
      // when the clients run elsewhere.
      {"scheduler_cpu_us_per_decision", all.empty() ? 0 : scheduler_cpu * 1e6 / all.size()}};
  std::printf("%s\n", out.dump(2).c_str());
  tailor::bench::StopSchedulerProcess(process);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return failures.load() == 0 ? 0 : 1;
}
