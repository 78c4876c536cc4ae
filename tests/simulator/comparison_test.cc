// The summary's figures on hand-made runs: invocation-weighted figures let the busiest function
// hide the others; the per-function ones count each function once, with failures as
// kFailedSlowdown; a latency under its bound is a violation; seeds combine into intervals.
#include "bench/simulator/comparison.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace tailor::sim {
namespace {

constexpr float kFailed = std::numeric_limits<float>::quiet_NaN();

// Function 0 called 20 times at its bound; function 1 three times, 3x its bound, its second
// call failed.
struct Runs {
  PolicyRun run;
  std::vector<float> bounds;
  Runs() {
    for (int i = 0; i < 20; ++i) Add(0, 100, 100);
    Add(1, 300, 100);
    Add(1, kFailed, 100);
    Add(1, 300, 100);
  }
  void Add(uint32_t function, float latency_ms, float bound_ms) {
    run.latency_ms.push_back(latency_ms);
    run.run_ms.push_back(std::isnan(latency_ms) ? kFailed : bound_ms);  // waited the rest
    run.function_of.push_back(function);
    bounds.push_back(bound_ms);
  }
};

TEST(ComparisonTest, EachFunctionCountsOnceWithFailuresAsTenfold) {
  Runs r;
  const PolicySummary s = Summarize(r.run, r.bounds);
  EXPECT_NEAR(s.mean_slowdown, (20 * 1.0 + 2 * 3.0) / 22, 1e-9);  // the busy function wins
  const double function1 = (3.0 + kFailedSlowdown + 3.0) / 3;
  EXPECT_NEAR(s.function_mean_slowdown, (1.0 + function1) / 2, 1e-9);
  EXPECT_NEAR(s.first_calls_mean_slowdown, (1.0 + function1) / 2, 1e-9);
  EXPECT_EQ(s.rare_functions, 1u);  // function 1: fewer than ten calls
  EXPECT_NEAR(s.rare_function_mean_slowdown, function1, 1e-9);
  EXPECT_NEAR(s.within_target_share, 20.0 / 22, 1e-9);
  EXPECT_NEAR(s.within_target_share_with_failures, 20.0 / 23, 1e-9);
}

TEST(ComparisonTest, FirstCallsAreEachFunctionsFirstTen) {
  Runs r;
  // Function 0 learns late: its first ten calls are 5x slower, the rest at the bound.
  for (int i = 0; i < 10; ++i) r.run.latency_ms[i] = 500;
  const PolicySummary s = Summarize(r.run, r.bounds);
  const double function1 = (3.0 + kFailedSlowdown + 3.0) / 3;
  EXPECT_NEAR(s.first_calls_mean_slowdown, (5.0 + function1) / 2, 1e-9);
  EXPECT_NEAR(s.function_mean_slowdown, ((10 * 5.0 + 10 * 1.0) / 20 + function1) / 2, 1e-9);
}

TEST(ComparisonTest, PerFunctionSaysWhichFunctionLostAndHowOften) {
  Runs r;
  for (int i = 0; i < 10; ++i) r.run.latency_ms[i] = 500;
  const std::vector<FunctionSlowdown> f = PerFunction(r.run, r.bounds);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].function, 0u);
  EXPECT_EQ(f[0].calls, 20u);
  EXPECT_EQ(f[0].failed, 0u);
  EXPECT_NEAR(f[0].mean_slowdown, 3.0, 1e-9);
  EXPECT_NEAR(f[0].first_calls_mean_slowdown, 5.0, 1e-9);
  EXPECT_EQ(f[1].function, 1u);
  EXPECT_EQ(f[1].calls, 3u);
  EXPECT_EQ(f[1].failed, 1u);
  EXPECT_NEAR(f[1].mean_slowdown, (3.0 + kFailedSlowdown + 3.0) / 3, 1e-9);
  // Latencies and runs of the successful calls only.
  EXPECT_NEAR(f[0].mean_latency_ms, 300, 1e-9);
  EXPECT_NEAR(f[0].median_latency_ms, 500, 1e-9);  // the upper of the two middle calls
  EXPECT_NEAR(f[0].mean_run_ms, 100, 1e-9);
  EXPECT_NEAR(f[1].mean_latency_ms, 300, 1e-9);
  EXPECT_NEAR(f[1].median_latency_ms, 300, 1e-9);
  EXPECT_NEAR(f[1].mean_run_ms, 100, 1e-9);
}

TEST(ComparisonTest, ALatencyUnderItsBoundIsAViolation) {
  Runs r;
  EXPECT_EQ(BoundViolations(r.run, r.bounds), 0u);  // failures and equality are no violation
  r.run.latency_ms[3] = 90;
  EXPECT_EQ(BoundViolations(r.run, r.bounds), 1u);
}

TEST(ComparisonTest, SeedsCombineIntoAMeanAndAStudentInterval) {
  const Interval one = MeanInterval({2.0});
  EXPECT_DOUBLE_EQ(one.mean, 2.0);
  EXPECT_DOUBLE_EQ(one.half_width, 0.0);
  // Three values 1, 2, 3: sd 1, t(0.975, 2) = 4.303, so 4.303 / sqrt(3).
  const Interval three = MeanInterval({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(three.mean, 2.0);
  EXPECT_NEAR(three.half_width, 4.303 / std::sqrt(3.0), 1e-9);

  PolicySummary a, b;
  a.policy = b.policy = "p";
  a.function_mean_slowdown = 1.1;
  b.function_mean_slowdown = 1.3;
  a.host_hours = 4;
  b.host_hours = 6;
  const auto across = AcrossSeeds({{a}, {b}});
  ASSERT_EQ(across.size(), 1u);
  EXPECT_EQ(across[0].seeds, 2u);
  EXPECT_NEAR(across[0].function_mean_slowdown.mean, 1.2, 1e-12);
  EXPECT_NEAR(across[0].host_hours.mean, 5.0, 1e-12);
  EXPECT_GT(across[0].host_hours.half_width, 0.0);
}

// Under overload slowdowns reach the thousands, wider than their columns: each figure must still
// read as a figure of its own (they once ran together, e.g. "28.7269850.818").
TEST(ComparisonTest, TableKeepsWideFiguresApart) {
  PolicySummary wide;
  wide.policy = "first-fit-fastest+static";  // longer than the name column too
  wide.mean_slowdown = 1076.594;
  wide.p50_slowdown = 101.556;
  wide.p99_slowdown = 28903.021;
  wide.function_mean_slowdown = 2181.454;
  wide.first_calls_mean_slowdown = 1582.341;
  wide.rare_function_mean_slowdown = 1812.691;
  wide.waited = 123456789;
  PolicySummary plain;
  plain.policy = "performance";
  plain.mean_slowdown = 1.041;
  const std::string table = FormatTable({wide, plain});
  std::istringstream lines(table);
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  auto words = [](const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
  };
  const auto names = words(header), wide_row = words(first), plain_row = words(second);
  ASSERT_EQ(wide_row.size(), names.size()) << table;
  ASSERT_EQ(plain_row.size(), names.size()) << table;
  EXPECT_EQ(wide_row[0], "first-fit-fastest+static");
  EXPECT_EQ(wide_row[1], "1076.594");
  EXPECT_EQ(wide_row[3], "28903.021");
  EXPECT_EQ(wide_row[15], "123456789");
  EXPECT_EQ(plain_row[1], "1.041");
  // Ordinary figures keep their columns: the header and a plain row are as wide.
  EXPECT_EQ(header.size(), second.size()) << table;
}

// The same across seeds: a mean and its interval wider than the column stay apart from the next.
TEST(ComparisonTest, SeedTableKeepsWideFiguresApart) {
  SeedSummary wide;
  wide.policy = "random";
  wide.seeds = 3;
  wide.function_mean_slowdown = {1172.130, 5036.828};
  wide.first_calls_mean_slowdown = {524.283, 2249.088};
  SeedSummary plain;
  plain.policy = "performance";
  plain.seeds = 3;
  plain.function_mean_slowdown = {1.1, 0.05};
  const std::string table = FormatSeedTable({wide, plain});
  EXPECT_NE(table.find(" 1172.130±5036.828 524.283±2249.088 "), std::string::npos) << table;
  EXPECT_NE(table.find("          1.100±0.050 "), std::string::npos) << table;
}

}  // namespace
}  // namespace tailor::sim
