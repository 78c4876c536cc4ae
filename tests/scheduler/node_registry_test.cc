#include "scheduler/node_registry.h"

#include <gtest/gtest.h>

#include "common/sqlite_db.h"
#include "scheduler/schema.h"
#include "tests/support/temp_dir.h"

namespace tailor::scheduler {
namespace {

using namespace std::chrono_literals;

v1::RegisterRequest Req(const std::string& id, const std::string& address = "127.0.0.1:1") {
  v1::RegisterRequest r;
  r.set_node_id(id);
  r.set_address(address);
  (*r.mutable_inventory()->mutable_cpu_features())["aes"] = true;
  r.mutable_inventory()->mutable_topology()->set_logical_cores(8);
  return r;
}

v1::HeartbeatRequest Beat(const std::string& id, uint32_t running = 0) {
  v1::HeartbeatRequest h;
  h.set_node_id(id);
  h.mutable_load()->set_running_invocations(running);
  return h;
}

class NodeRegistryTest : public ::testing::Test {
 protected:
  NodeRegistry::Options opts_{.lease_timeout = 5000ms, .heartbeat_interval = 1000ms};
  SimulatedClock clock_;
};

TEST_F(NodeRegistryTest, RegisteredNodeIsHealthy) {
  NodeRegistry reg(opts_, clock_, nullptr);
  ASSERT_TRUE(reg.Register(Req("n1")).ok());
  auto n = reg.Get("n1");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->health(), v1::NODE_HEALTH_HEALTHY);
  EXPECT_EQ(n->address(), "127.0.0.1:1");
  EXPECT_TRUE(n->inventory().cpu_features().at("aes"));
  EXPECT_EQ(n->last_heartbeat_unix_ms(), ToUnixMillis(clock_.WallNow()));
}

TEST_F(NodeRegistryTest, LeaseExpiresOnlyAfterTheTimeout) {
  NodeRegistry reg(opts_, clock_, nullptr);
  ASSERT_TRUE(reg.Register(Req("n1")).ok());
  clock_.Advance(5000ms);  // exactly the timeout: still healthy
  EXPECT_TRUE(reg.Sweep().became_unhealthy.empty());
  EXPECT_EQ(reg.Get("n1")->health(), v1::NODE_HEALTH_HEALTHY);
  clock_.Advance(1ms);
  auto swept = reg.Sweep();
  ASSERT_EQ(swept.became_unhealthy.size(), 1u);
  EXPECT_EQ(swept.became_unhealthy[0], "n1");
  EXPECT_EQ(reg.Get("n1")->health(), v1::NODE_HEALTH_UNHEALTHY);
  EXPECT_TRUE(reg.Sweep().became_unhealthy.empty());  // reported once
}

TEST_F(NodeRegistryTest, HeartbeatsKeepTheLeaseAndCarryLoad) {
  NodeRegistry reg(opts_, clock_, nullptr);
  ASSERT_TRUE(reg.Register(Req("n1")).ok());
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(3000ms);
    ASSERT_TRUE(reg.Heartbeat(Beat("n1", static_cast<uint32_t>(i))).ok());
    EXPECT_TRUE(reg.Sweep().became_unhealthy.empty());
  }
  EXPECT_EQ(reg.Get("n1")->load().running_invocations(), 9u);
}

TEST_F(NodeRegistryTest, UnhealthyNodeComesBackWithAHeartbeat) {
  NodeRegistry reg(opts_, clock_, nullptr);
  ASSERT_TRUE(reg.Register(Req("n1")).ok());
  clock_.Advance(10s);
  EXPECT_EQ(reg.CountByHealth(v1::NODE_HEALTH_UNHEALTHY), 1u);
  ASSERT_TRUE(reg.Heartbeat(Beat("n1")).ok());
  EXPECT_EQ(reg.Get("n1")->health(), v1::NODE_HEALTH_HEALTHY);
  EXPECT_EQ(reg.CountByHealth(v1::NODE_HEALTH_HEALTHY), 1u);
}

TEST_F(NodeRegistryTest, OnlyTheSilentNodeExpires) {
  NodeRegistry reg(opts_, clock_, nullptr);
  ASSERT_TRUE(reg.Register(Req("quiet")).ok());
  ASSERT_TRUE(reg.Register(Req("chatty")).ok());
  for (int i = 0; i < 7; ++i) {
    clock_.Advance(1s);
    ASSERT_TRUE(reg.Heartbeat(Beat("chatty")).ok());
  }
  auto nodes = reg.List();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].node_id(), "chatty");  // sorted by id
  EXPECT_EQ(nodes[0].health(), v1::NODE_HEALTH_HEALTHY);
  EXPECT_EQ(nodes[1].health(), v1::NODE_HEALTH_UNHEALTHY);
}

TEST_F(NodeRegistryTest, GetSeesTheAskedNodesLeaseRunOutWithoutASweep) {
  NodeRegistry reg(opts_, clock_, nullptr);
  std::vector<std::string> changed;
  reg.SetListener([&](const v1::Node& n, bool) { changed.push_back(n.node_id()); });
  ASSERT_TRUE(reg.Register(Req("a")).ok());
  ASSERT_TRUE(reg.Register(Req("b")).ok());
  changed.clear();
  clock_.Advance(6s);
  EXPECT_EQ(reg.Get("a")->health(), v1::NODE_HEALTH_UNHEALTHY);
  EXPECT_EQ(changed, std::vector<std::string>{"a"});  // b's lease is b's own Get's or Sweep's
  EXPECT_EQ(reg.Sweep().became_unhealthy, std::vector<std::string>{"b"});
}

TEST_F(NodeRegistryTest, CheckRegisteredKnowsNodesWhateverTheirHealth) {
  NodeRegistry reg(opts_, clock_, nullptr);
  EXPECT_EQ(reg.CheckRegistered("n1").code(), StatusCode::kNotFound);
  ASSERT_TRUE(reg.Register(Req("n1")).ok());
  EXPECT_TRUE(reg.CheckRegistered("n1").ok());
  clock_.Advance(10s);
  reg.Sweep();
  EXPECT_TRUE(reg.CheckRegistered("n1").ok());
  ASSERT_TRUE(reg.Deregister("n1").ok());
  EXPECT_EQ(reg.CheckRegistered("n1").code(), StatusCode::kNotFound);
}

TEST_F(NodeRegistryTest, HeartbeatFromUnknownNodeIsNotFound) {
  NodeRegistry reg(opts_, clock_, nullptr);
  Status s = reg.Heartbeat(Beat("ghost"));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

TEST_F(NodeRegistryTest, BadRegistrationsAreRejected) {
  NodeRegistry reg(opts_, clock_, nullptr);
  EXPECT_EQ(reg.Register(Req("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reg.Register(Req("has space")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reg.Register(Req(std::string(129, 'a'))).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reg.Register(Req("n1", "")).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(reg.List().empty());
}

TEST_F(NodeRegistryTest, RegisteringAgainReplacesAddress) {
  NodeRegistry reg(opts_, clock_, nullptr);
  ASSERT_TRUE(reg.Register(Req("n1", "127.0.0.1:1")).ok());
  ASSERT_TRUE(reg.Register(Req("n1", "127.0.0.1:2")).ok());
  auto nodes = reg.List();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].address(), "127.0.0.1:2");
}

// A restarted scheduler (a new registry over the same SQLite file) knows its nodes, their
// health and their last heartbeat time.
TEST_F(NodeRegistryTest, RegistrySurvivesRestartThroughSqlite) {
  tailor::testing::TempDir dir;
  int64_t alive_last_beat_ms = 0;
  {
    auto db = SqliteDb::Open(dir.File("scheduler.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Migrate(SchedulerMigrations()).ok());
    NodeStore store(**db);
    NodeRegistry reg(opts_, clock_, &store);
    ASSERT_TRUE(reg.Register(Req("alive")).ok());
    ASSERT_TRUE(reg.Register(Req("dead")).ok());
    clock_.Advance(4s);
    ASSERT_TRUE(reg.Heartbeat(Beat("alive")).ok());
    alive_last_beat_ms = ToUnixMillis(clock_.WallNow());
    clock_.Advance(2s);
    reg.Sweep();  // "dead" expires; alive's heartbeat time is flushed
  }
  auto db = SqliteDb::Open(dir.File("scheduler.db"));
  ASSERT_TRUE((*db)->Migrate(SchedulerMigrations()).ok());
  NodeStore store(**db);
  NodeRegistry reg(opts_, clock_, &store);
  ASSERT_TRUE(reg.LoadFromStore().ok());
  auto nodes = reg.List();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].node_id(), "alive");
  EXPECT_EQ(nodes[0].health(), v1::NODE_HEALTH_HEALTHY);
  EXPECT_EQ(nodes[0].last_heartbeat_unix_ms(), alive_last_beat_ms);
  EXPECT_TRUE(nodes[0].inventory().cpu_features().at("aes"));
  EXPECT_EQ(nodes[1].health(), v1::NODE_HEALTH_UNHEALTHY);
  // The restored lease starts at restart: the agent gets one timeout to reconnect.
  clock_.Advance(4s);
  EXPECT_EQ(reg.Get("alive")->health(), v1::NODE_HEALTH_HEALTHY);
  clock_.Advance(2s);
  EXPECT_EQ(reg.Get("alive")->health(), v1::NODE_HEALTH_UNHEALTHY);
}

}  // namespace
}  // namespace tailor::scheduler
