// The replay's schedule: the workload file's errors, the mapping onto the trace's busiest
// functions, the skew setting, per-minute shape, determinism, and the shipped demo workload
// against the shipped trace.
#include "cli/replay_workload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace tailor::cli {
namespace {

using ::testing::HasSubstr;

std::vector<WorkloadFunction> Workload(std::initializer_list<const char*> names) {
  std::vector<WorkloadFunction> w;
  for (const char* n : names) w.push_back({n, "{}"});
  return w;
}

// Three functions over four minutes: "busy" with 800 calls all in minute 2, "mid" 200 spread
// evenly, "rare" 50 in minute 0, and "idle" with none.
Trace SmallTrace() {
  Trace t;
  t.source = "test";
  t.minutes = 4;
  auto add = [&](const char* name, std::vector<uint32_t> per_minute) {
    TraceFunction f;
    f.name = name;
    f.per_minute = std::move(per_minute);
    for (auto c : f.per_minute) f.invocations += c;
    t.functions.push_back(std::move(f));
  };
  add("rare", {50, 0, 0, 0});
  add("busy", {0, 0, 800, 0});
  add("idle", {0, 0, 0, 0});
  add("mid", {50, 50, 50, 50});
  return t;
}

std::map<uint32_t, size_t> CallsPerFunction(const Schedule& s) {
  std::map<uint32_t, size_t> n;
  for (const auto& c : s.calls) ++n[c.function];
  return n;
}

TEST(ParseWorkloadTest, ReadsFunctionsAndRejectsWhatItCannotUse) {
  auto w = ParseWorkload(R"([[function]]
name = "aes-gcm"
payload = '{"bytes": 1024}'
[[function]]
name = "sleep-io"
)");
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(w->size(), 2u);
  EXPECT_EQ((*w)[0].payload, R"({"bytes": 1024})");
  EXPECT_EQ((*w)[1].payload, "");

  EXPECT_THAT(ParseWorkload("name = ").status().message(), HasSubstr("not valid TOML"));
  EXPECT_THAT(ParseWorkload("x = 1").status().message(), HasSubstr("no [[function]]"));
  EXPECT_THAT(ParseWorkload("[[function]]\npayload = '{}'").status().message(),
              HasSubstr("function 1: 'name' is required"));
  EXPECT_THAT(ParseWorkload("[[function]]\nname = 'a'\n[[function]]\nname = 'a'").status().message(),
              HasSubstr("'a' is listed twice"));
  EXPECT_THAT(ParseWorkload("[[function]]\nname = 'a'\npayload = 3").status().message(),
              HasSubstr("'payload' must be a string"));
  EXPECT_EQ(LoadWorkload("/nonexistent/workload.toml").status().code(), StatusCode::kNotFound);
}

TEST(BuildScheduleTest, BusiestTraceFunctionsGoToTheWorkloadInOrder) {
  ScheduleOptions o;
  o.trace_minutes = 4;
  o.duration_ms = 8000;
  o.invocations = 300;
  o.skew = 1.0;
  auto s = BuildSchedule(SmallTrace(), Workload({"first", "second", "third"}), o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->trace_function, (std::vector<std::string>{"busy", "mid", "rare"}));
  EXPECT_EQ(s->trace_calls, (std::vector<uint64_t>{800, 200, 50}));
  // skew 1 keeps the trace's proportions: 800:200:50 of 300.
  auto n = CallsPerFunction(*s);
  EXPECT_NEAR(double(n[0]), 300.0 * 800 / 1050, 3);
  EXPECT_NEAR(double(n[1]), 300.0 * 200 / 1050, 3);
  EXPECT_NEAR(double(n[2]), 300.0 * 50 / 1050, 3);
  // Each keeps its shape: "busy" only in minute 2 (4 s..6 s), "rare" only in minute 0.
  for (const auto& c : s->calls) {
    if (c.function == 0) {
      EXPECT_GE(c.at_ms, 4000);
      EXPECT_LT(c.at_ms, 6000);
    }
    if (c.function == 2) {
      EXPECT_LT(c.at_ms, 2000);
    }
  }
  EXPECT_TRUE(std::is_sorted(s->calls.begin(), s->calls.end(),
                             [](const auto& a, const auto& b) { return a.at_ms < b.at_ms; }));
}

TEST(BuildScheduleTest, SkewZeroSpreadsCallsEvenlyAndIsDeterministicForASeed) {
  ScheduleOptions o;
  o.trace_minutes = 4;
  o.invocations = 300;
  o.skew = 0.0;
  auto s = BuildSchedule(SmallTrace(), Workload({"a", "b", "c"}), o);
  ASSERT_TRUE(s.ok());
  for (const auto& [f, n] : CallsPerFunction(*s)) EXPECT_NEAR(double(n), 100, 3) << f;
  auto again = BuildSchedule(SmallTrace(), Workload({"a", "b", "c"}), o);
  ASSERT_EQ(again->calls.size(), s->calls.size());
  for (size_t i = 0; i < s->calls.size(); ++i) {
    EXPECT_EQ(again->calls[i].at_ms, s->calls[i].at_ms);
  }
  o.seed = 2;
  auto other = BuildSchedule(SmallTrace(), Workload({"a", "b", "c"}), o);
  EXPECT_NE(other->calls.front().at_ms, s->calls.front().at_ms);
}

TEST(BuildScheduleTest, RejectsImpossibleRequests) {
  ScheduleOptions o;
  o.trace_minutes = 4;
  auto too_many = BuildSchedule(SmallTrace(), Workload({"a", "b", "c", "d"}), o);
  EXPECT_EQ(too_many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(too_many.status().message(), HasSubstr("3 functions active"));
  o.skew = 1.5;
  EXPECT_EQ(BuildSchedule(SmallTrace(), Workload({"a"}), o).status().code(),
            StatusCode::kInvalidArgument);
  o.skew = 0.5;
  o.invocations = 1;
  EXPECT_EQ(BuildSchedule(SmallTrace(), Workload({"a", "b"}), o).status().code(),
            StatusCode::kInvalidArgument);
  o.invocations = 10;
  o.trace_minutes = 0;
  EXPECT_EQ(BuildSchedule(SmallTrace(), Workload({"a"}), o).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildSchedule(SmallTrace(), {}, ScheduleOptions{}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(BuildScheduleTest, ExactArrivalTracesAreBucketedByMinute) {
  Trace t;
  t.functions.resize(2);
  t.functions[0].name = "x";
  t.functions[1].name = "y";
  for (int i = 0; i < 30; ++i) t.exact_arrivals.push_back({i * 1000.0, 0});      // minute 0
  for (int i = 0; i < 10; ++i) t.exact_arrivals.push_back({61000.0 + i, 1});      // minute 1
  ScheduleOptions o;
  o.trace_minutes = 2;
  o.duration_ms = 1000;
  o.invocations = 40;
  o.skew = 1;
  auto s = BuildSchedule(t, Workload({"a", "b"}), o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->trace_calls, (std::vector<uint64_t>{30, 10}));
  for (const auto& c : s->calls) {
    if (c.function == 1) {
      EXPECT_GE(c.at_ms, 500);
    }
  }
}

TEST(BuildScheduleTest, TheDemoWorkloadFitsTheShippedTrace) {
  auto workload = LoadWorkload(std::string(TAILOR_SOURCE_DIR) + "/functions/demo-workload.toml");
  ASSERT_TRUE(workload.ok()) << workload.status();
  auto trace = LoadTrace(std::string(TAILOR_SOURCE_DIR) + "/bench/traces/azure2019");
  ASSERT_TRUE(trace.ok()) << trace.status();
  ScheduleOptions o;  // the demo's: 20 trace minutes, 600 calls
  auto s = BuildSchedule(*trace, *workload, o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_NEAR(double(s->calls.size()), 600, 25);
  auto n = CallsPerFunction(*s);
  // Skew 0.5 keeps the order of popularity while every function gets enough calls to learn.
  for (uint32_t f = 0; f + 1 < workload->size(); ++f) EXPECT_GE(n[f], n[f + 1]);
  EXPECT_GE(n[uint32_t(workload->size() - 1)], 30u);
  EXPECT_LE(s->calls.back().at_ms, o.duration_ms);
}

}  // namespace
}  // namespace tailor::cli
