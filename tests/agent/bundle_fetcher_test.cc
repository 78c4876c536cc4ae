// The agent's bundle fetcher against a real Registry service on loopback.
#include "agent/bundle_fetcher.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "common/file_util.h"
#include "proto/grpc_server.h"
#include "scheduler/registry_service.h"
#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::agent {
namespace {

class BundleFetcherTest : public scheduler::testing::SchedulerDbTest {
 protected:
  void SetUp() override {
    SchedulerDbTest::SetUp();
    registry_ = scheduler::FunctionRegistry::Open(db_path_, dir_.File("data"), {}, clock_).value();
    service_ = std::make_unique<scheduler::RegistryServiceImpl>(authorizer_, *registry_);
    server_ = GrpcServer::Start("127.0.0.1:0", {service_.get()}, grpc::InsecureServerCredentials())
                  .value();
    stub_ = v1::Registry::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }
  std::unique_ptr<scheduler::FunctionRegistry> registry_;
  // The fetcher's own logic is under test here; access is security_test's.
  scheduler::Authorizer authorizer_{{.insecure = true}, nullptr};
  std::unique_ptr<scheduler::RegistryServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<v1::Registry::StubInterface> stub_;
};

TEST_F(BundleFetcherTest, InstallsVerifiedBundlesAndRefusesTamperedOnes) {
  const std::string archive = scheduler::testing::MakeBundle(dir_, "echo", "3");
  auto deployed = registry_->Deploy("default", archive, "");
  ASSERT_TRUE(deployed.ok());
  const std::string digest = deployed->function.digest();

  FunctionStore store(dir_.File("agent-store"));
  ASSERT_TRUE(store.Load().ok());
  BundleFetcher fetcher(stub_, store);
  ASSERT_TRUE(fetcher.Fetch(digest).ok());
  EXPECT_EQ(store.Lookup("echo", "3")->manifest.version, "3");

  // The registry's copy is corrupted on disk: the digest check catches it.
  ASSERT_TRUE(WriteFile(dir_.File("data/bundles/" + digest + ".tar.gz"),
                        scheduler::testing::MakeBundle(dir_, "echo", "4"))
                  .ok());
  FunctionStore other(dir_.File("other-store"));
  ASSERT_TRUE(other.Load().ok());
  BundleFetcher careful(stub_, other);
  Status tampered = careful.Fetch(digest);
  EXPECT_EQ(tampered.code(), StatusCode::kDataLoss) << tampered;
  EXPECT_EQ(other.Lookup("echo", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(careful.Fetch(std::string(64, 'c')).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tailor::agent
