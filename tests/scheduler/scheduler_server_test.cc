// A restarted scheduler keeps what it learned: the models relearn the stored runs at start.
#include "scheduler/scheduler_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

#include "tailor/v1/placement.grpc.pb.h"
#include "tailor/v1/registry.grpc.pb.h"
#include "tests/scheduler/scheduler_fixture.h"
#include "tests/support/metrics_text.h"

namespace tailor::scheduler {
namespace {

using tailor::testing::SeriesValue;

// A scheduler on loopback ports of its own, with its data in `dir`, no HTTP or metrics
// endpoint, and no access control (access is security_test's).
SchedulerOptions LoopbackOptions(const tailor::testing::TempDir& dir) {
  SchedulerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = dir.File("data");
  options.http_listen = "";
  options.metrics_listen = "";
  options.security.insecure = true;
  return options;
}

TEST(SchedulerServerTest, ARestartedSchedulerStillPredictsFromStoredRuns) {
  tailor::testing::TempDir dir;
  SchedulerOptions options = LoopbackOptions(dir);
  options.registry.lease_timeout = std::chrono::minutes(10);
  const std::string archive = testing::MakeBundle(dir, "echo", "1");
  auto place = [](SchedulerServer& s) {
    auto stub = v1::Placement::NewStub(
        grpc::CreateChannel(s.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    v1::PlaceRequest req;
    req.set_function_name("echo");
    v1::PlaceResponse resp;
    EXPECT_TRUE(stub->Place(&ctx, req, &resp).ok());
    return resp;
  };
  {
    auto server = SchedulerServer::Start(options, RealClock::Get()).value();
    ASSERT_TRUE(server->registry().Register(testing::NodeWith("n1", 4, 8ull << 30)).ok());
    auto registry = v1::Registry::NewStub(
        grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    v1::DeployResponse deployed;
    auto writer = registry->Deploy(&ctx, &deployed);
    v1::DeployChunk header, data;
    header.mutable_header()->set_size_bytes(archive.size());
    data.set_data(archive);
    ASSERT_TRUE(writer->Write(header) && writer->Write(data));
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
    EXPECT_EQ(place(*server).predicted_duration_ms(), 0) << "nothing learned yet";
    auto placement = v1::Placement::NewStub(
        grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 3; ++i) {
      grpc::ClientContext rctx;
      v1::ReportRequest report;
      auto* r = report.mutable_report();
      r->set_invocation_id("run-" + std::to_string(i));
      r->set_function_name("echo");
      r->set_node_id("n1");
      r->set_wall_time_us(40'000);
      r->set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
      v1::ReportResponse ack;
      ASSERT_TRUE(placement->Report(&rctx, report, &ack).ok());
    }
    EXPECT_NEAR(place(*server).predicted_duration_ms(), 40, 4);
  }
  {
    // Restored from the state saved at shutdown.
    auto restarted = SchedulerServer::Start(options, RealClock::Get()).value();
    EXPECT_NEAR(place(*restarted).predicted_duration_ms(), 40, 4);
  }
  // A crash before any save: the models relearn from the stored runs instead.
  {
    auto db = SqliteDb::Open(dir.File("data/models.db")).value();
    auto q = db->Prepare("SELECT COUNT(*) FROM model_state").value();
    ASSERT_TRUE(q.Step().value());
    EXPECT_EQ(q.ColumnInt64(0), 1) << "performance saved what the learned policies share";
    q.Reset();
    ASSERT_TRUE(db->Exec("DELETE FROM model_state").ok());
  }
  {
    auto relearned = SchedulerServer::Start(options, RealClock::Get()).value();
    EXPECT_NEAR(place(*relearned).predicted_duration_ms(), 40, 4);
  }
  // A damaged saved state (here: garbage for every policy, as a disk error or a state from a
  // scheduler that wrote what it could not read back would leave) must not stop the start: the
  // models relearn from the stored runs, and the failure is counted.
  {
    auto db = SqliteDb::Open(dir.File("data/models.db")).value();
    ASSERT_TRUE(db->Exec("UPDATE model_state SET state = X'0011223344ffeedd'").ok());
  }
  options.metrics_listen = "127.0.0.1:0";
  auto survived = SchedulerServer::Start(options, RealClock::Get());
  ASSERT_TRUE(survived.ok()) << survived.status();
  EXPECT_NEAR(place(**survived).predicted_duration_ms(), 40, 4);
  httplib::Client http(
      (*survived)->metrics_address().substr(0, (*survived)->metrics_address().rfind(':')),
      std::stoi(
          (*survived)->metrics_address().substr((*survived)->metrics_address().rfind(':') + 1)));
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("tailor_scheduler_model_restore_failures_total 1"),
            std::string::npos)
      << "one: the state the learned policies share";
}

TEST(SchedulerServerTest, TheKubernetesExtenderNeedsTheHttpEndpointAndAKnownPolicy) {
  tailor::testing::TempDir dir;
  SchedulerOptions options = LoopbackOptions(dir);
  options.kube_extender = true;
  EXPECT_EQ(SchedulerServer::Start(options, RealClock::Get()).status().code(),
            StatusCode::kInvalidArgument);
  options.http_listen = "127.0.0.1:0";
  options.extender.policy = "fastest";
  auto refused = SchedulerServer::Start(options, RealClock::Get());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().field(), "--kube-extender-policy");
  options.extender.policy = "efficiency";
  EXPECT_TRUE(SchedulerServer::Start(options, RealClock::Get()).ok());
}

TEST(SchedulerServerTest, ModelSavesAreCountedTimedAndSizedAndAFailedOneShows) {
  tailor::testing::TempDir dir;
  SchedulerOptions options = LoopbackOptions(dir);
  options.metrics_listen = "127.0.0.1:0";
  options.registry.lease_timeout = std::chrono::milliseconds(400);  // a pass every 100 ms
  options.model_save_interval = std::chrono::milliseconds(1);       // a save at each pass
  auto server = SchedulerServer::Start(options, RealClock::Get()).value();
  const std::string address = server->metrics_address();
  httplib::Client http(address.substr(0, address.rfind(':')),
                       std::stoi(address.substr(address.rfind(':') + 1)));
  // Waits (up to 20 s of real time: the saves run on the scheduler's background thread) for
  // the series to reach at least `at_least`; returns the last page read.
  auto wait_for = [&](const std::string& series, double at_least) {
    std::string page;
    for (int tries = 0; tries < 200; ++tries) {
      auto got = http.Get("/metrics");
      if (got) page = got->body;
      if (SeriesValue(page, series) >= at_least) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return page;
  };
  // Both results are served from the start, failed at 0 until a save fails.
  const std::string first = wait_for("tailor_scheduler_model_saves_total{result=\"failed\"}", 0);
  EXPECT_EQ(SeriesValue(first, "tailor_scheduler_model_saves_total{result=\"failed\"}"), 0);
  const std::string saved = wait_for("tailor_scheduler_model_saves_total{result=\"saved\"}", 1);
  ASSERT_GE(SeriesValue(saved, "tailor_scheduler_model_saves_total{result=\"saved\"}"), 1);
  // Even policies that learned nothing save their format's header.
  EXPECT_GT(SeriesValue(saved, "tailor_scheduler_model_state_bytes"), 0);
  EXPECT_GE(SeriesValue(saved, "tailor_scheduler_model_save_seconds"), 0);
  // A save that cannot be written is counted as failed, not only logged.
  {
    auto models = SqliteDb::Open(dir.File("data/models.db")).value();
    ASSERT_TRUE(models->Exec("DROP TABLE model_state").ok());
  }
  const std::string failed = wait_for("tailor_scheduler_model_saves_total{result=\"failed\"}", 1);
  EXPECT_GE(SeriesValue(failed, "tailor_scheduler_model_saves_total{result=\"failed\"}"), 1);
}

}  // namespace
}  // namespace tailor::scheduler
