// The replay report: placement shares per span, exploration counts, prediction error after
// the first span, allocation against peak, latency per policy and the comparison; and the
// progress bar's two forms.
#include "cli/replay_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cli/progress_bar.h"

namespace tailor::cli {
namespace {

using ::testing::HasSubstr;

CallRecord Call(uint32_t function, double at_ms, const std::string& node, double latency_ms,
                double predicted_ms = 0, double wall_ms = 0) {
  CallRecord r;
  r.function = function;
  r.scheduled_ms = at_ms;
  r.node_id = node;
  r.latency_ms = latency_ms;
  r.ok = true;
  r.predicted_ms = predicted_ms;
  r.wall_ms = wall_ms > 0 ? wall_ms : latency_ms;
  r.cpu_ms = r.wall_ms / 2;
  r.peak_memory_bytes = 8 << 20;
  r.memory_limit_bytes = 16 << 20;
  r.cpu_millicores = 500;
  return r;
}

class ReplayReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    workload_ = {{"aes", "{}"}, {"sleep", "{}"}};
    schedule_.trace_function = {"fn-a", "fn-b"};
    schedule_.trace_calls = {100, 10};
    description_.trace_source = "test";
    description_.trace_minutes = 2;
    description_.duration_ms = 1000;
    description_.phases = 2;
    // The learning run: aes explores "old" in the first half, then stays on "new".
    learned_.policy = "performance";
    learned_.records = {Call(0, 100, "old", 400), Call(0, 200, "new", 40),
                        Call(0, 600, "new", 40, 30, 40), Call(0, 700, "new", 40, 50, 40),
                        Call(1, 650, "old", 60, 60, 60)};
    learned_.records[0].explored = true;
    round_robin_.policy = "round-robin";
    round_robin_.records = {Call(0, 100, "old", 400), Call(0, 200, "new", 40),
                            Call(0, 600, "old", 400), Call(0, 700, "new", 40),
                            Call(1, 650, "old", 60)};
    round_robin_.records[4].ok = false;
    round_robin_.records[4].error = "timed out";
    for (const auto& r : learned_.records) schedule_.calls.push_back({r.scheduled_ms, r.function});
  }
  std::vector<WorkloadFunction> workload_;
  Schedule schedule_;
  ReplayDescription description_;
  PolicyRun learned_, round_robin_;
};

TEST_F(ReplayReportTest, PlacementPerSpanShowsConvergence) {
  auto j = ReplayReportJson(description_, workload_, schedule_, {learned_});
  const auto& aes = j["runs"][0]["functions"][0];
  EXPECT_EQ(aes["function"], "aes");
  EXPECT_EQ(aes["placement"][0]["calls"], 2);
  EXPECT_EQ(aes["placement"][0]["explored"], 1);
  EXPECT_EQ(aes["placement"][0]["nodes"]["old"], 1);
  EXPECT_EQ(aes["placement"][1]["nodes"]["new"], 2);
  EXPECT_EQ(aes["placement"][1]["nodes"]["old"], 0);
  EXPECT_EQ(j["workload"][0]["calls"], 4);
  EXPECT_EQ(j["workload"][1]["trace_function"], "fn-b");
}

TEST_F(ReplayReportTest, PredictionUsesCallsAfterTheFirstSpan) {
  auto j = ReplayReportJson(description_, workload_, schedule_, {learned_});
  const auto& p = j["runs"][0]["functions"][0]["prediction"];
  EXPECT_EQ(p["calls"], 2);
  EXPECT_DOUBLE_EQ(p["predicted_p50_ms"].get<double>(), 30);  // nearest rank of {30, 50}
  EXPECT_DOUBLE_EQ(p["measured_p50_ms"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(p["abs_error_p50_pct"].get<double>(), 25);  // |30-40|/40 and |50-40|/40
  const auto& a = j["runs"][0]["functions"][0]["allocation"];
  EXPECT_DOUBLE_EQ(a["memory_limit_p50_bytes"].get<double>(), 16 << 20);
  EXPECT_DOUBLE_EQ(a["peak_memory_max_bytes"].get<double>(), 8 << 20);
  EXPECT_DOUBLE_EQ(a["cpu_used_p95_millicores"].get<double>(), 500);
}

TEST_F(ReplayReportTest, ComparisonPerFunctionAndOverall) {
  auto j = ReplayReportJson(description_, workload_, schedule_, {learned_, round_robin_});
  const auto& rr = j["runs"][1];
  EXPECT_DOUBLE_EQ(rr["functions"][0]["latency_mean_ms"].get<double>(), 220);
  EXPECT_EQ(rr["functions"][1]["failed"], 1);
  EXPECT_EQ(rr["overall"]["failed"], 1);
  const auto& cmp = j["comparison"]["functions"];
  // aes: learned mean (400+40+40+40)/4 = 130 against 220.
  EXPECT_NEAR(cmp[0]["speedup_mean"].get<double>(), 220.0 / 130.0, 1e-9);
  EXPECT_EQ(cmp[2]["function"], "all");

  std::ostringstream text;
  PrintReplayReport(j, text);
  EXPECT_THAT(text.str(), HasSubstr("Where 'performance' ran each function"));
  EXPECT_THAT(text.str(), HasSubstr("'performance' against 'round-robin'"));
  EXPECT_THAT(text.str(), HasSubstr("1.69x"));  // 220/130
  EXPECT_THAT(text.str(), HasSubstr("(explored)  1/2"));
}

TEST(PercentileTest, NearestRank) {
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({5, 1, 3}, 50), 3);
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 95), 4);
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 0), 1);
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 100), 4);
}

TEST(ProgressBarTest, TerminalRedrawsOneLineLogsGetTenths) {
  std::ostringstream tty;
  ProgressBar bar(tty, "replay", true);
  bar.Update(5, 0, 10);
  bar.Update(10, 1, 10);
  bar.Finish();
  EXPECT_THAT(tty.str(), HasSubstr("\rreplay  [###############...............]  5/10  50%"));
  EXPECT_THAT(tty.str(), HasSubstr("10/10  100%  failed 1"));
  EXPECT_EQ(tty.str().back(), '\n');

  std::ostringstream log;
  ProgressBar lines(log, "replay", false);
  for (size_t done = 0; done <= 100; ++done) lines.Update(done, 0, 100);
  lines.Finish();
  const std::string text = log.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 11);  // 0%, 10%, ..., 100%
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

}  // namespace
}  // namespace tailor::cli
