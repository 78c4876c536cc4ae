// What the models learn from a run report: measured figures pass through, and a figure the
// agent did not measure stays "not measured" (never a zero the models would take as a value).
#include "scheduler/run_observation.h"

#include <gtest/gtest.h>

namespace tailor::scheduler {
namespace {

v1::RunReport Report() {
  v1::RunReport r;
  r.set_function_name("pipeline");
  r.set_node_id("node-1");
  r.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  r.set_wall_time_us(200'000);
  r.set_user_cpu_us(140'000);
  r.set_system_cpu_us(10'000);
  r.mutable_allocation()->set_cpu_millicores(2000);
  return r;
}

TEST(RunObservationTest, TheCpuWaitReachesTheModelsOnlyWhenMeasured) {
  v1::RunReport report = Report();
  report.set_cpu_waiting_us(100'000);
  // Not measured (a cgroup v1 host, a platform's report): unknown, whatever the field holds.
  EXPECT_LT(ObservationOf(report, "class").cpu_waiting_ms, 0);
  report.mutable_measured()->set_cpu_pressure(true);
  const models::RunObservation o = ObservationOf(report, "class");
  EXPECT_DOUBLE_EQ(o.cpu_waiting_ms, 100);
  EXPECT_DOUBLE_EQ(o.wall_ms, 200);
  EXPECT_DOUBLE_EQ(o.cpu_ms, 150);
  EXPECT_EQ(o.cpu_quota_millicores, 2000u);
}

}  // namespace
}  // namespace tailor::scheduler
