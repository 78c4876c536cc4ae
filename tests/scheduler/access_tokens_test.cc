// Bearer tokens and the role table, on a real SQLite file.
#include "scheduler/access_tokens.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/file_util.h"
#include "scheduler/authorizer.h"
#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

class AccessTokensTest : public testing::SchedulerDbTest {};

TEST_F(AccessTokensTest, ATokenProvesItsRoleAndTenantUntilRevokedAcrossARestart) {
  auto tokens = AccessTokens::Open(db_path_, clock_).value();
  const auto created = tokens->Create("ci", Role::kDeployer, "acme").value();
  EXPECT_EQ(created.bearer.rfind("tailor_" + created.token.id + "_", 0), 0u);
  const Identity id = tokens->Verify(created.bearer).value();
  EXPECT_EQ(id.role, Role::kDeployer);
  EXPECT_EQ(id.tenant, "acme");
  // One character off, or a token of another id, proves nothing.
  std::string wrong = created.bearer;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(tokens->Verify(wrong).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(tokens->Verify("Bearer").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(tokens->Create("ci", Role::kReader, "acme").status().code(),
            StatusCode::kAlreadyExists);

  auto reopened = AccessTokens::Open(db_path_, clock_).value();
  EXPECT_TRUE(reopened->Verify(created.bearer).ok());
  ASSERT_TRUE(reopened->Revoke("ci").ok());
  EXPECT_EQ(reopened->Verify(created.bearer).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(AccessTokens::Open(db_path_, clock_).value()->Verify(created.bearer).status().code(),
            StatusCode::kUnauthenticated);
  // The name is free again once revoked.
  EXPECT_TRUE(reopened->Create("ci", Role::kReader, "acme").ok());
  EXPECT_EQ(reopened->CountLive(), 1u);
}

TEST_F(AccessTokensTest, OnlyADigestOfTheSecretIsStored) {
  auto tokens = AccessTokens::Open(db_path_, clock_).value();
  const auto created = tokens->Create("ci", Role::kAdmin, "default").value();
  // The secret is base64url and may itself hold '_': cut it off after the id, not at the
  // last underscore.
  const std::string secret = created.bearer.substr(("tailor_" + created.token.id + "_").size());
  ASSERT_EQ(secret.size(), 43u);
  auto db = SqliteDb::Open(db_path_).value();
  auto q = db->Prepare("SELECT hex(secret_sha256) FROM access_tokens").value();
  ASSERT_TRUE(q.Step().value());
  EXPECT_EQ(q.ColumnText(0).size(), 64u);
  auto raw = ReadFile(db_path_);
  EXPECT_EQ(raw->find(secret), std::string::npos);
}

TEST(AuthorizerTableTest, RolesAllowWhatTheSecurityModelSays) {
  auto caller = [](Role role) {
    Identity id;
    id.kind = Identity::Kind::kCaller;
    id.role = role;
    id.tenant = "acme";
    return id;
  };
  EXPECT_TRUE(Allows(caller(Role::kAdmin), Action::kManageTokens));
  EXPECT_FALSE(Allows(caller(Role::kDeployer), Action::kManageTokens));
  EXPECT_TRUE(Allows(caller(Role::kDeployer), Action::kDeploy));
  EXPECT_FALSE(Allows(caller(Role::kReader), Action::kDeploy));
  EXPECT_FALSE(Allows(caller(Role::kInvoker), Action::kDeploy));
  EXPECT_TRUE(Allows(caller(Role::kInvoker), Action::kInvoke));
  EXPECT_FALSE(Allows(caller(Role::kPlatform), Action::kInvoke));
  EXPECT_TRUE(Allows(caller(Role::kPlatform), Action::kPlace));
  EXPECT_FALSE(Allows(caller(Role::kReader), Action::kPlace));
  EXPECT_TRUE(Allows(caller(Role::kReader), Action::kExplain));
  EXPECT_FALSE(Allows(caller(Role::kAdmin), Action::kNodeSelf)) << "only a node is a node";
  Identity node;
  node.kind = Identity::Kind::kNode;
  node.name = "n1";
  EXPECT_TRUE(Allows(node, Action::kNodeSelf));
  EXPECT_FALSE(Allows(node, Action::kDeploy));
  EXPECT_FALSE(Allows(node, Action::kListNodes));
  EXPECT_TRUE(SeesTenant(caller(Role::kInvoker), "acme"));
  EXPECT_FALSE(SeesTenant(caller(Role::kInvoker), "globex"));
  EXPECT_TRUE(SeesTenant(caller(Role::kAdmin), "globex"));
}

}  // namespace
}  // namespace tailor::scheduler

namespace tailor::scheduler {
namespace {

TEST_F(AccessTokensTest, VerifyingWhileTokensAreMadeAndRevokedSeesEachTokenWhole) {
  auto tokens = AccessTokens::Open(db_path_, clock_).value();
  const std::string kept = tokens->Create("kept", Role::kReader, "acme").value().bearer;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> verifiers;
  for (int t = 0; t < 3; ++t) {
    verifiers.emplace_back([&] {
      while (!stop.load()) {
        auto id = tokens->Verify(kept);
        if (!id.ok() || id->tenant != "acme") wrong.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    const std::string name = "t" + std::to_string(i);
    const std::string bearer = tokens->Create(name, Role::kInvoker, "globex").value().bearer;
    EXPECT_TRUE(tokens->Verify(bearer).ok());
    ASSERT_TRUE(tokens->Revoke(name).ok());
    EXPECT_FALSE(tokens->Verify(bearer).ok());
  }
  stop = true;
  for (auto& t : verifiers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace tailor::scheduler
