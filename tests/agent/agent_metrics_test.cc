#include "agent/agent_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace tailor::agent {
namespace {

std::string Exposition(prometheus::Registry& r) {
  return prometheus::TextSerializer().Serialize(r.Collect());
}

TEST(AgentMetricsTest, RecordsRunsByFunctionAndOutcome) {
  prometheus::Registry registry;
  AgentMetrics m(registry);
  v1::RunReport r;
  r.set_function_name("aes-gcm");
  r.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  r.set_wall_time_us(20'000);
  r.set_user_cpu_us(15'000);
  r.set_system_cpu_us(5'000);
  r.set_peak_memory_bytes(1 << 20);
  m.RecordRun(r);
  m.RecordRun(r);
  r.set_outcome(v1::RUN_OUTCOME_OOM_KILLED);
  m.RecordRun(r);
  m.SetSpool(5, 2);
  m.SetSourceAvailable("perf_hardware", false);
  const std::string text = Exposition(registry);
  EXPECT_NE(text.find(R"(tailor_agent_invocations_total{function="aes-gcm",outcome="succeeded"} 2)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(tailor_agent_invocations_total{function="aes-gcm",outcome="oom_killed"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(tailor_agent_run_cpu_seconds_total{function="aes-gcm"} 0.06)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(tailor_agent_run_duration_seconds_count{function="aes-gcm"} 3)"),
            std::string::npos);
  EXPECT_NE(text.find("tailor_agent_spool_reports 5"), std::string::npos);
  EXPECT_NE(text.find("tailor_agent_spool_dropped_reports_total 2"), std::string::npos);
  EXPECT_NE(text.find(R"(tailor_agent_telemetry_source_available{source="perf_hardware"} 0)"),
            std::string::npos);
  EXPECT_NE(text.find("# HELP tailor_agent_run_duration_seconds"), std::string::npos);
}

}  // namespace
}  // namespace tailor::agent
