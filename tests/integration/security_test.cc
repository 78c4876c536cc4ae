// Identity and access on a real cluster started as the README starts it (no security flags):
// real TLS on loopback, real tokens, real node certificates.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tailor/internal/v1/agent.grpc.pb.h"
#include "tailor/v1/access.grpc.pb.h"
#include "tailor/v1/membership.grpc.pb.h"
#include "tailor/v1/registry.grpc.pb.h"
#include "tests/support/loopback_cluster.h"

namespace tailor {
namespace {

using namespace std::chrono_literals;
using testing::BinaryPath;
using testing::LoopbackCluster;
using testing::RunCommand;
using testing::Subprocess;
using testing::WaitUntil;

class SecurityTest : public LoopbackCluster {
 protected:
  // A token made by the admin with tailorctl.
  std::string MakeToken(const std::string& name, const std::string& role,
                        const std::string& tenant = "default") {
    int rc = -1;
    const std::string out =
        Ctl({"tokens", "create", name, "--role", role, "--tenant", tenant}, &rc);
    EXPECT_EQ(rc, 0) << out;
    return std::string(TrimWhitespace(out));
  }
  grpc::Status ListFunctions(const std::shared_ptr<grpc::Channel>& channel,
                             v1::ListFunctionsResponse* out = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::ListFunctionsResponse response;
    auto s = v1::Registry::NewStub(channel)->ListFunctions(&ctx, {}, &response);
    if (out != nullptr) *out = response;
    return s;
  }
  grpc::Status InvokeAs(const std::string& token, const std::string& fn,
                        v1::GatewayInvokeResponse* out = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    v1::GatewayInvokeRequest req;
    req.set_function_name(fn);
    req.set_payload("{}");
    v1::GatewayInvokeResponse response;
    auto s = v1::Gateway::NewStub(Channel(token))->Invoke(&ctx, req, &response);
    if (out != nullptr) *out = response;
    return s;
  }
};

TEST_F(SecurityTest, ADefaultStartMakesItsOwnCaAndAnAdminTokenOnlyItsOwnerReads) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  struct stat st {};
  ASSERT_EQ(::stat(AdminTokenFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir_.File("data/pki/ca/ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  int rc = -1;
  EXPECT_EQ(TrimWhitespace(Ctl({"whoami"}, &rc)), "caller admin (role admin, tenant default)");
  // A restart keeps the same CA and makes no second admin token.
  const std::string token = AdminToken();
  scheduler.reset();
  scheduler = StartScheduler("127.0.0.1:0");
  EXPECT_EQ(AdminToken(), token);
  auto listed = Ctl({"tokens", "list", "-o", "json"}, &rc);
  EXPECT_EQ(nlohmann::json::parse(listed)["tokens"].size(), 1u) << listed;
}

TEST_F(SecurityTest, NoCredentialsAreRefusedEverywhere) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto agent = StartAgent("a1");
  WaitForNodes(1);
  // Plaintext does not even reach the services.
  auto plain = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  EXPECT_EQ(ListFunctions(plain).error_code(), grpc::StatusCode::UNAVAILABLE);
  // TLS without a token or certificate: refused, whatever the call.
  TransportSecurity anonymous;
  anonymous.tls.ca_cert_pem = ReadFile(CaFile()).value();
  auto channel = MakeChannel(address_, anonymous, kSchedulerServerName);
  EXPECT_EQ(ListFunctions(channel).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  {
    grpc::ClientContext ctx;
    v1::ListNodesResponse nodes;
    EXPECT_EQ(v1::Membership::NewStub(channel)->ListNodes(&ctx, {}, &nodes).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    v1::RegisterRequest reg;
    reg.set_node_id("intruder");
    v1::RegisterResponse resp;
    EXPECT_EQ(v1::Membership::NewStub(channel)->Register(&ctx, reg, &resp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    v1::DeployResponse resp;
    auto writer = v1::Registry::NewStub(channel)->Deploy(&ctx, &resp);
    v1::DeployChunk header;
    header.mutable_header()->set_size_bytes(1);
    writer->Write(header);
    writer->WritesDone();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // A made-up token is no better, and the refusals are counted.
  EXPECT_EQ(InvokeAs("tailor_0123456789abcdef_" + std::string(43, 'A'), "sha256").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  httplib::Client metrics(metrics_.substr(0, metrics_.rfind(':')),
                          std::stoi(metrics_.substr(metrics_.rfind(':') + 1)));
  auto text = metrics.Get("/metrics");
  ASSERT_TRUE(text);
  EXPECT_NE(text->body.find("tailor_scheduler_access_denied_total{action=\"invoke\","
                            "code=\"unauthenticated\"} 1"),
            std::string::npos);
  // The webhook endpoint too: 401 without a token.
  httplib::Client http(http_.substr(0, http_.rfind(':')),
                       std::stoi(http_.substr(http_.rfind(':') + 1)));
  auto res = http.Post("/v1/functions/sha256/invoke-async", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(SecurityTest, RolesBoundWhatATokenMayDoAndRevocationIsImmediate) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  const std::string reader = MakeToken("ci-reader", "reader");
  int rc = -1;
  const std::string out =
      RunCommand({"/bin/sh", "-c",
                  "TAILOR_TOKEN=" + reader + " " + BinaryPath("tailorctl") + " --scheduler " +
                      address_ + " --ca-file " + CaFile() + " deploy " +
                      std::string(TAILOR_FUNCTIONS_DIR) + "/sha256 2>&1"},
                 &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("may not deploy"), std::string::npos) << out;
  EXPECT_TRUE(ListFunctions(Channel(reader)).ok());
  // Only admins manage tokens.
  {
    grpc::ClientContext ctx;
    v1::CreateTokenRequest req;
    req.set_name("sneaky");
    req.set_role("admin");
    v1::CreateTokenResponse resp;
    EXPECT_EQ(v1::Access::NewStub(Channel(reader))->CreateToken(&ctx, req, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  const std::string invoker = MakeToken("app", "invoker");
  EXPECT_TRUE(ListFunctions(Channel(invoker)).ok());
  Ctl({"tokens", "revoke", "app"}, &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(ListFunctions(Channel(invoker)).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SecurityTest, ANodeActsOnlyForItselfAndAgentsTakeCallsOnlyFromTheScheduler) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  // Node b's certificate cannot register or heartbeat as a1.
  auto as_b = v1::Membership::NewStub(NodeChannel("b"));
  {
    grpc::ClientContext ctx;
    v1::RegisterRequest reg;
    reg.set_node_id("a1");
    reg.set_address("127.0.0.1:9");
    v1::RegisterResponse resp;
    EXPECT_EQ(as_b->Register(&ctx, reg, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext ctx;
    v1::HeartbeatRequest hb;
    hb.set_node_id("a1");
    v1::HeartbeatResponse resp;
    EXPECT_EQ(as_b->Heartbeat(&ctx, hb, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // Nor can it deploy or invoke: a node is not a caller.
  EXPECT_EQ(ListFunctions(NodeChannel("b")).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The agent refuses a node's certificate, and a client with none at all.
  const std::string agent_address =
      std::string(TrimWhitespace(ReadFile(dir_.File("a1.addr")).value()));
  TransportSecurity node_b;
  node_b.tls = LoadTlsDirectory(NodeTlsDir("b")).value();
  auto agent_as_b =
      internal::v1::Agent::NewStub(MakeChannel(agent_address, node_b, NodeServerName("a1")));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    internal::v1::InvokeRequest req;
    req.set_function_name("sha256");
    req.set_function_version("1.0.0");
    internal::v1::InvokeResponse resp;
    EXPECT_EQ(agent_as_b->Invoke(&ctx, req, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  TransportSecurity no_cert;
  no_cert.tls.ca_cert_pem = ReadFile(CaFile()).value();
  auto agent_anon =
      internal::v1::Agent::NewStub(MakeChannel(agent_address, no_cert, NodeServerName("a1")));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::HostInventory inv;
    EXPECT_NE(agent_anon->GetInventory(&ctx, {}, &inv).error_code(), grpc::StatusCode::OK);
  }
  // The scheduler itself still reaches it: a1 stays healthy and runs calls.
  Deploy("sha256");
  v1::GatewayInvokeResponse ran;
  EXPECT_TRUE(InvokeAs(AdminToken(), "sha256", &ran).ok());
  EXPECT_EQ(ran.outcome(), v1::RUN_OUTCOME_SUCCEEDED) << ran.error();
}

TEST_F(SecurityTest, TenantsSeeAndTouchOnlyTheirOwnFunctionsAndResults) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  int rc = -1;
  auto out =
      CtlWithStderr({"deploy", "--tenant", "acme", ScriptBundle("acme-echo", "1", "cat\n")}, &rc);
  ASSERT_EQ(rc, 0) << out;
  const std::string acme = MakeToken("acme-app", "invoker", "acme");
  const std::string globex = MakeToken("globex-app", "invoker", "globex");
  const std::string globex_deployer = MakeToken("globex-ci", "deployer", "globex");

  v1::ListFunctionsResponse listed;
  ASSERT_TRUE(ListFunctions(Channel(acme), &listed).ok());
  ASSERT_EQ(listed.functions_size(), 1);
  EXPECT_EQ(listed.functions(0).tenant(), "acme");
  ASSERT_TRUE(ListFunctions(Channel(globex), &listed).ok());
  EXPECT_EQ(listed.functions_size(), 0) << "globex sees no acme names";

  EXPECT_TRUE(InvokeAs(acme, "acme-echo").ok());
  const grpc::Status foreign = InvokeAs(globex, "acme-echo");
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::NOT_FOUND) << foreign.error_message();

  // An async result is acme's alone.
  grpc::ClientContext ctx;
  v1::GatewayInvokeRequest req;
  req.set_function_name("acme-echo");
  req.set_payload("secret-card-4111");
  v1::InvokeAsyncResponse queued;
  ASSERT_TRUE(v1::Gateway::NewStub(Channel(acme))->InvokeAsync(&ctx, req, &queued).ok());
  auto result_as = [&](const std::string& token) {
    grpc::ClientContext c;
    v1::GetResultRequest r;
    r.set_id(queued.id());
    v1::AsyncResult result;
    return v1::Gateway::NewStub(Channel(token))->GetResult(&c, r, &result);
  };
  EXPECT_TRUE(result_as(acme).ok());
  EXPECT_EQ(result_as(globex).error_code(), grpc::StatusCode::NOT_FOUND);

  // Globex's deployer can neither remove acme's function nor take its name.
  grpc::ClientContext rm_ctx;
  v1::RemoveFunctionRequest rm;
  rm.set_name("acme-echo");
  v1::RemoveFunctionResponse removed;
  EXPECT_EQ(v1::Registry::NewStub(Channel(globex_deployer))
                ->RemoveFunction(&rm_ctx, rm, &removed)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  const std::string taken =
      RunCommand({"/bin/sh", "-c",
                  "TAILOR_TOKEN=" + globex_deployer + " " + BinaryPath("tailorctl") +
                      " --scheduler " + address_ + " --ca-file " + CaFile() + " deploy " +
                      ScriptBundle("acme-echo", "2", "cat\n") + " 2>&1"},
                 &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(taken.find("is taken"), std::string::npos) << taken;
}

TEST_F(SecurityTest, PlaintextEndpointsStayOnLoopbackAndAnAgentNeedsCredentials) {
  // The webhook endpoint is plain HTTP: a non-loopback address is refused at start.
  Subprocess scheduler({BinaryPath("tailor-scheduler"), "--listen", "127.0.0.1:0", "--data-dir",
                        dir_.File("data"), "--http-listen", "0.0.0.0:0"},
                       dir_.File("refused.log"));
  ASSERT_TRUE(
      WaitUntil([&] { return scheduler.Log().find("only on loopback") != std::string::npos; }, 10s))
      << scheduler.Log();
  int rc = -1;
  const std::string agent =
      RunCommand({"/bin/sh", "-c",
                  BinaryPath("tailor-agent") + " run --scheduler 127.0.0.1:1 --data-dir " +
                      dir_.File("agent") + " 2>&1"},
                 &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(agent.find("--tls-dir"), std::string::npos) << agent;
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

// What the sandbox issue promises, checked as an outsider would: a probe deployed on a freshly
// started cluster (the README's way, sandboxes on by default).
TEST_F(SecurityTest, AProbeFunctionOnAFreshClusterIsBoxedIn) {
  auto scheduler = StartScheduler("127.0.0.1:0");
  auto a1 = StartAgent("a1");
  WaitForNodes(1);
  const std::string port = address_.substr(address_.rfind(':') + 1);
  const std::string probe =
      "echo processes=$(ls /proc | grep -c '^[0-9]*$')\n"
      "cat " +
      dir_.File("data/scheduler.db") +
      " >/dev/null 2>&1 && echo read-scheduler-db\n"
      "cat " +
      dir_.File("data/admin.token") +
      " >/dev/null 2>&1 && echo read-admin-token\n"
      "ls " +
      dir_.File("a1") +
      " >/dev/null 2>&1 && echo listed-agent-data\n"
      "(exec 3<>/dev/tcp/127.0.0.1/" +
      port +
      ") 2>/dev/null && echo reached-scheduler\n"
      "ls -A /tmp /dev/shm | grep -v '^/\\|^$' && echo found-leftovers\n"
      "echo left > /tmp/mine; echo left > /dev/shm/mine\n"
      "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status\n";
  // bash for /dev/tcp; two deployments, so the second run is a different function.
  const std::string bundle =
      ScriptBundle("probe", "1", "exec /bin/bash -s <<'EOF'\n" + probe + "EOF\n");
  DeployDir(bundle);
  DeployDir(ScriptBundle("probe-again", "1", "exec /bin/bash -s <<'EOF'\n" + probe + "EOF\n"));
  for (const std::string fn : {"probe", "probe-again"}) {
    auto resp = Invoke(fn, "");
    ASSERT_TRUE(resp.ok()) << resp.status();
    const std::string& out = resp->output();
    EXPECT_EQ(resp->outcome(), v1::RUN_OUTCOME_SUCCEEDED) << resp->error() << a1->Log();
    const size_t at = out.find("processes=");
    ASSERT_NE(at, std::string::npos) << out;
    EXPECT_LE(std::stoi(out.substr(at + 10)), 6) << out;
    EXPECT_EQ(out.substr(out.find('\n') + 1), "NoNewPrivs:\t1\nSeccomp:\t2\n") << fn;
  }
  // The node says how it isolates runs.
  int rc = -1;
  const std::string nodes = Ctl({"nodes"}, &rc);
  EXPECT_EQ(rc, 0) << nodes;
  EXPECT_NE(nodes.find("ISOLATION"), std::string::npos) << nodes;
  EXPECT_NE(nodes.find(" full "), std::string::npos) << nodes;
}

}  // namespace
}  // namespace tailor
