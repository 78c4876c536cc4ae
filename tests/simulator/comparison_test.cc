// The summary's figures on hand-made runs: invocation-weighted figures let the busiest function
// hide the others; the per-function ones count each function once, and failures can count as
// misses.
#include "bench/simulator/comparison.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tailor::sim {
namespace {

constexpr float kFailed = std::numeric_limits<float>::quiet_NaN();

// Function 0 called 20 times at the oracle's latency; function 1 three times, 3x slower, its
// second call failed.
struct Runs {
  PolicyRun run, oracle;
  Runs() {
    for (int i = 0; i < 20; ++i) Add(0, 100, 100);
    Add(1, 300, 100);
    Add(1, kFailed, 100);
    Add(1, 300, 100);
  }
  void Add(uint32_t function, float latency_ms, float oracle_ms) {
    run.latency_ms.push_back(latency_ms);
    run.function_of.push_back(function);
    oracle.latency_ms.push_back(oracle_ms);
    oracle.function_of.push_back(function);
  }
};

TEST(ComparisonTest, EachFunctionCountsOnceAndFailuresCanCountAsMisses) {
  Runs r;
  const PolicySummary s = Summarize(r.run, r.oracle);
  EXPECT_NEAR(s.mean_slowdown, (20 * 1.0 + 2 * 3.0) / 22, 1e-9);  // the busy function wins
  EXPECT_NEAR(s.function_mean_slowdown, (1.0 + 3.0) / 2, 1e-9);
  EXPECT_NEAR(s.first_calls_mean_slowdown, (1.0 + 3.0) / 2, 1e-9);
  EXPECT_NEAR(s.within_target_share, 20.0 / 22, 1e-9);
  EXPECT_NEAR(s.within_target_share_with_failures, 20.0 / 23, 1e-9);
}

TEST(ComparisonTest, FirstCallsAreEachFunctionsFirstTen) {
  Runs r;
  // Function 0 learns late: its first ten calls are 5x slower, the rest as fast as the oracle.
  for (int i = 0; i < 10; ++i) r.run.latency_ms[i] = 500;
  const PolicySummary s = Summarize(r.run, r.oracle);
  EXPECT_NEAR(s.first_calls_mean_slowdown, (5.0 + 3.0) / 2, 1e-9);
  EXPECT_NEAR(s.function_mean_slowdown, ((10 * 5.0 + 10 * 1.0) / 20 + 3.0) / 2, 1e-9);
}

}  // namespace
}  // namespace tailor::sim
