// LoopbackCluster: a gtest fixture that runs a real Tailor cluster on loopback for integration
// tests: a scheduler and agents as subprocesses (port 0, their own data in the test's temp
// dir), tailorctl against them, and a Gateway stub. The cluster is secure, as a default start
// makes it: the scheduler makes its own CA and admin token (data/pki, data/admin.token), each
// agent gets a node certificate from that CA, and tailorctl, the stub and HTTP clients use the
// admin token.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/cluster_identity.h"
#include "common/file_util.h"
#include "common/pki.h"
#include "common/status.h"
#include "common/tls_files.h"
#include "proto/grpc_channel.h"
#include "tailor/v1/gateway.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/run_db.h"
#include "tests/support/temp_dir.h"

#ifndef TAILOR_FUNCTIONS_DIR
#error "LoopbackCluster needs TAILOR_FUNCTIONS_DIR (the built sample functions)"
#endif
#ifndef TAILOR_SOURCE_DIR
#error "LoopbackCluster needs TAILOR_SOURCE_DIR (emulation profiles)"
#endif

namespace tailor::testing {

using namespace std::chrono_literals;

class LoopbackCluster : public ::testing::Test {
 protected:
  void SetUp() override { ::chmod(dir_.path().c_str(), 0755); }

  std::unique_ptr<Subprocess> StartScheduler(const std::string& listen,
                                             std::vector<std::string> extra = {}) {
    for (const char* f : {"s.addr", "s.http", "s.metrics"}) ::unlink(dir_.File(f).c_str());
    std::vector<std::string> argv = {BinaryPath("tailor-scheduler"),
                                     "--listen",
                                     listen,
                                     "--data-dir",
                                     dir_.File("data"),
                                     "--address-file",
                                     dir_.File("s.addr"),
                                     "--http-address-file",
                                     dir_.File("s.http"),
                                     "--metrics-address-file",
                                     dir_.File("s.metrics")};
    // A long lease by default, so that a busy test machine does not make nodes unhealthy.
    if (std::find(extra.begin(), extra.end(), "--lease-timeout-ms") == extra.end()) {
      argv.insert(argv.end(), {"--lease-timeout-ms", "30000"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Subprocess>(argv, dir_.File("scheduler.log"));
    address_ = WaitForAddressFile(dir_.File("s.addr"), *p);
    http_ = WaitForAddressFile(dir_.File("s.http"), *p);
    metrics_ = WaitForAddressFile(dir_.File("s.metrics"), *p);
    gateway_ = v1::Gateway::NewStub(Channel());
    return p;
  }
  std::string CaFile() const { return dir_.File("data/pki/ca/ca.crt"); }
  std::string AdminTokenFile() const { return dir_.File("data/admin.token"); }
  std::string AdminToken() const {
    return std::string(TrimWhitespace(ReadFile(AdminTokenFile()).value()));
  }
  // A channel to the scheduler as `token` (default: the admin).
  std::shared_ptr<grpc::Channel> Channel(const std::string& token = "") const {
    TransportSecurity security;
    security.tls.ca_cert_pem = ReadFile(CaFile()).value();
    security.bearer_token = token.empty() ? AdminToken() : token;
    return MakeChannel(address_, security, kSchedulerServerName);
  }
  // A channel to the scheduler as node `id` (its certificate).
  std::shared_ptr<grpc::Channel> NodeChannel(const std::string& id) {
    TransportSecurity security;
    security.tls = LoadTlsDirectory(NodeTlsDir(id)).value();
    return MakeChannel(address_, security, kSchedulerServerName);
  }
  // A channel to agent `id` (listening at `address`) as the scheduler.
  std::shared_ptr<grpc::Channel> AgentChannel(const std::string& id, const std::string& address) {
    TransportSecurity security;
    security.tls = LoadTlsDirectory(dir_.File("data/pki/scheduler")).value();
    return MakeChannel(address, security, NodeServerName(id));
  }
  // The node's TLS directory, issued by the scheduler's CA on first use.
  std::string NodeTlsDir(const std::string& id) {
    const std::string tls = dir_.File("tls-" + id);
    if (PathExists(JoinPath(tls, "tls.crt"))) return tls;
    const auto ca = LoadCertificateAuthority(dir_.File("data/pki/ca")).value();
    const auto issued = IssueCertificate(ca, NodeCertificateRequest(id, {}, {}, 30).value());
    EXPECT_TRUE(WriteTlsDirectory(tls, ca.cert_pem, issued.value()).ok());
    return tls;
  }
  // An HTTP client for the webhook endpoint, as the admin.
  std::unique_ptr<httplib::Client> HttpClient() const {
    auto client = std::make_unique<httplib::Client>(http_.substr(0, http_.rfind(':')),
                                                    std::stoi(http_.substr(http_.rfind(':') + 1)));
    client->set_bearer_token_auth(AdminToken());
    return client;
  }
  // More flags for every agent StartAgent starts.
  std::vector<std::string> agent_extra_args_;
  std::unique_ptr<Subprocess> StartAgent(const std::string& id,
                                         const std::string& emulation = "") {
    const std::string addr_file = dir_.File(id + ".addr");
    ::unlink(addr_file.c_str());
    std::vector<std::string> argv = {BinaryPath("tailor-agent"),
                                     "run",
                                     "--scheduler",
                                     address_,
                                     "--node-id",
                                     id,
                                     "--data-dir",
                                     dir_.File(id),
                                     "--address-file",
                                     addr_file,
                                     "--backoff-initial-ms",
                                     "50",
                                     "--backoff-max-ms",
                                     "300",
                                     "--tls-dir",
                                     NodeTlsDir(id)};
    argv.insert(argv.end(), agent_extra_args_.begin(), agent_extra_args_.end());
    if (!emulation.empty()) {
      argv.push_back("--emulation");
      argv.push_back(std::string(TAILOR_SOURCE_DIR) + "/deploy/emulation/" + emulation + ".toml");
    }
    auto p = std::make_unique<Subprocess>(argv, dir_.File(id + ".log"));
    WaitForAddressFile(addr_file, *p);
    return p;
  }
  // Runs tailorctl against the scheduler; returns stdout.
  std::string Ctl(std::vector<std::string> args, int* rc) {
    std::vector<std::string> argv = {
        BinaryPath("tailorctl"), "--scheduler",   address_, "--ca-file", CaFile(),
        "--token-file",          AdminTokenFile()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, rc);
  }
  void WaitForNodes(size_t n) {
    ASSERT_TRUE(WaitUntil([&] {
      int rc = 0;
      auto out = Ctl({"nodes", "-o", "json"}, &rc);
      return rc == 0 && nlohmann::json::parse(out)["nodes"].size() == n;
    }, 10s));
  }
  void Deploy(const std::string& fn) {
    int rc = -1;
    auto out = Ctl({"deploy", std::string(TAILOR_FUNCTIONS_DIR) + "/" + fn}, &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  // A bundle folder with a shell-script entrypoint; returns its path.
  std::string ScriptBundle(const std::string& name, const std::string& version,
                           const std::string& script, const std::string& extra_toml = "") {
    const std::string folder = "bundle-" + name + "-" + std::to_string(++bundles_);
    dir_.Write(folder + "/tailor.toml", "name = '" + name + "'\nversion = '" + version +
                                            "'\nentrypoint = 'run.sh'\n" + extra_toml);
    dir_.Write(folder + "/run.sh", "#!/bin/sh\n" + script);
    ::chmod(dir_.File(folder + "/run.sh").c_str(), 0755);
    ::chmod(dir_.File(folder).c_str(), 0755);
    return dir_.File(folder);
  }
  void DeployDir(const std::string& bundle) {
    int rc = -1;
    auto out = CtlWithStderr({"deploy", bundle}, &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  // tailorctl's stdout and stderr together (for messages printed on stderr).
  std::string CtlWithStderr(const std::vector<std::string>& args, int* rc) {
    std::string command = BinaryPath("tailorctl") + " --scheduler " + address_ + " --ca-file " +
                          CaFile() + " --token-file " + AdminTokenFile();
    for (const auto& a : args) command += " '" + a + "'";
    return RunCommand({"/bin/sh", "-c", command + " 2>&1"}, rc);
  }
  Result<v1::GatewayInvokeResponse> Invoke(const std::string& fn, const std::string& payload) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 60s);
    v1::GatewayInvokeRequest req;
    req.set_function_name(fn);
    req.set_payload(payload);
    v1::GatewayInvokeResponse resp;
    grpc::Status s = gateway_->Invoke(&ctx, req, &resp);
    if (!s.ok()) return UnknownError(s.error_message());
    return resp;
  }
  std::set<std::string> StoredRuns() {
    return StoredInvocationIds(dir_.File("data/scheduler.db"));
  }

  TempDir dir_;
  std::string address_, http_, metrics_;
  std::unique_ptr<v1::Gateway::Stub> gateway_;
  int bundles_ = 0;
};

}  // namespace tailor::testing
