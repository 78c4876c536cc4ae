// The simulator's inputs: cluster and function files, the ground truth they describe, and the
// Azure traces with the arrivals drawn from them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "bench/simulator/cluster_spec.h"
#include "bench/simulator/function_truth.h"
#include "common/azure_trace.h"
#include "tests/support/temp_dir.h"

namespace tailor::sim {
namespace {

using ::testing::HasSubstr;

const std::string kTraces = std::string(TAILOR_SOURCE_DIR) + "/bench/traces";

TEST(ClusterSpecTest, ParsesClassesWithSortedFeatures) {
  auto spec = ParseClusterSpec(
      "# two kinds\n"
      "class new count=2 cores=16 memory_gib=64 l3_mib=32 speed=1.2 features=sha_ni,aes\n"
      "\n"
      "class old count=3 cores=8 memory_gib=0.5 l3_mib=8 speed=0.7 features=  # none\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->classes.size(), 2u);
  EXPECT_EQ(spec->classes[0].info.features, (std::vector<std::string>{"aes", "sha_ni"}));
  EXPECT_EQ(spec->classes[0].info.l3_bytes, 32ull << 20);
  EXPECT_EQ(spec->classes[1].memory_bytes, 512ull << 20);
  EXPECT_TRUE(spec->classes[1].info.features.empty());
  EXPECT_EQ(spec->hosts(), 5u);
  EXPECT_EQ(spec->cores(), 56u);
  EXPECT_EQ(ScaleCluster(*spec, 100).hosts(), 500u);
}

// Each cluster file text is refused with INVALID_ARGUMENT saying its message.
void ExpectEachRefused(const std::map<std::string, std::string>& bad) {
  for (const auto& [text, message] : bad) {
    auto spec = ParseClusterSpec(text);
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(spec.status().message(), HasSubstr(message)) << text;
  }
}

TEST(ClusterSpecTest, NamesTheLineAndProblem) {
  const std::map<std::string, std::string> bad = {
      {"class a count=1 cores=4 memory_gib=8 l3_mib=8\n", "line 1: missing speed="},
      {"\nclass a count=1 cores=4 memory_gib=8 l3_mib=8 speed=1 colour=red\n",
       "line 2: unknown key 'colour'"},
      {"class a count=0 cores=4 memory_gib=8 l3_mib=8 speed=1\n", "count=0 is not a number"},
      {"class a count=1.5 cores=4 memory_gib=8 l3_mib=8 speed=1\n", "whole numbers"},
      {"class a count=1 cores=4 memory_gib=8 l3_mib=8 speed=1\n"
       "class a count=1 cores=4 memory_gib=8 l3_mib=8 speed=1\n",
       "line 2: class 'a' defined twice"},
      {"host a count=1\n", "expected 'class'"},
      {"class a count=1 cores\n", "'cores' is not key=value"},
      {"# nothing\n", "defines no class"},
  };
  ExpectEachRefused(bad);
}

TEST(ClusterSpecTest, ClassesNameTheCorePoolTheirHostsShare) {
  auto spec = ParseClusterSpec(
      "class a count=2 cores=2 memory_gib=4 l3_mib=8 speed=1 pool=vm\n"
      "class b count=1 cores=2 memory_gib=4 l3_mib=8 speed=1\n"
      "pool vm cores=2  # a pool may be defined after the classes that name it\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->pools.size(), 1u);
  EXPECT_EQ(spec->pools[0].name, "vm");
  EXPECT_EQ(spec->pools[0].cores, 2u);
  EXPECT_EQ(spec->classes[0].pool, 0);
  EXPECT_EQ(spec->classes[1].pool, HostClassSpec::kNoPool);
  EXPECT_EQ(ScaleCluster(*spec, 2).pools[0].cores, 2u) << "scaling adds hosts, not pool cores";

  const std::map<std::string, std::string> bad = {
      {"class a count=1 cores=4 memory_gib=8 l3_mib=8 speed=1 pool=vm\n",
       "class 'a' names pool 'vm', which no line defines"},
      {"pool vm cores=2\npool vm cores=4\nclass a count=1 cores=4 memory_gib=8 l3_mib=8 speed=1\n",
       "line 2: pool 'vm' defined twice"},
      {"pool vm cores=1.5\n", "whole number"},
      {"pool vm\n", "missing cores="},
      {"pool vm cores=2 speed=1\n", "unknown key 'speed'"},
  };
  ExpectEachRefused(bad);
}

models::HostClassInfo Host(std::vector<std::string> features, uint64_t l3_mib, double speed) {
  models::HostClassInfo c;
  c.name = "h";
  c.features = std::move(features);
  std::sort(c.features.begin(), c.features.end());
  c.l3_bytes = l3_mib << 20;
  c.speed_factor = speed;
  c.cores = 8;
  return c;
}

TEST(FunctionTruthTest, ExpectedDurationFollowsEachFactor) {
  FunctionTruth f;
  f.base_ms = 100;
  f.without = {{"aes", 4}};
  f.tiers = {{"avx512f", 1}, {"avx2", 1.5}, {"*", 3}};
  f.working_set_mib = 24;
  f.spill = 2;
  f.clock_exponent = 1;
  f.interference = 0.5;
  f.cpu_cores = 1;
  const auto best = Host({"aes", "avx2", "avx512f"}, 32, 1.0);
  EXPECT_DOUBLE_EQ(f.ExpectedMs(best, 0, 1000), 100);
  EXPECT_DOUBLE_EQ(f.ExpectedMs(Host({"avx2", "avx512f"}, 32, 1.0), 0, 1000), 400);
  EXPECT_DOUBLE_EQ(f.ExpectedMs(Host({"aes", "avx2"}, 32, 1.0), 0, 1000), 150);
  EXPECT_DOUBLE_EQ(f.ExpectedMs(Host({"aes"}, 32, 1.0), 0, 1000), 300);
  EXPECT_DOUBLE_EQ(f.ExpectedMs(Host({"aes", "avx512f"}, 16, 1.0), 0, 1000), 200);
  EXPECT_DOUBLE_EQ(f.ExpectedMs(Host({"aes", "avx512f"}, 32, 2.0), 0, 1000), 50);
  EXPECT_DOUBLE_EQ(f.ExpectedMs(best, 0.5, 1000), 125);  // co-runners hold half the CPU
  EXPECT_DOUBLE_EQ(f.ExpectedMs(best, 0, 500), 200);     // throttled to half its need
}

TEST(FunctionTruthTest, AMeasuredDurationReplacesTheFactorsOnItsClassOnly) {
  auto parsed = ParseFunctionFile(
      "function f kind=crypto base_ms=100 without=aes:4 clock=1 interference=0.5 "
      "measured_ms=h:37.5 memory_mib=100:8\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const FunctionTruth& f = parsed->front();
  auto other = Host({}, 32, 2.0);
  other.name = "other";
  EXPECT_DOUBLE_EQ(f.ExpectedMs(Host({}, 32, 2.0), 0, 1000), 37.5);      // class "h": measured
  EXPECT_DOUBLE_EQ(f.ExpectedMs(Host({}, 32, 2.0), 0.5, 1000), 46.875);  // co-runners still count
  EXPECT_DOUBLE_EQ(f.ExpectedMs(Host({}, 32, 2.0), 0, 500), 75);         // and throttling
  EXPECT_DOUBLE_EQ(f.ExpectedMs(other, 0, 1000), 200);                   // others: the factors
  auto again = ParseFunctionFile(FormatFunctionFile(*parsed));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->front().measured_ms, f.measured_ms);
  EXPECT_FALSE(
      ParseFunctionFile("function f kind=io base_ms=1 measured_ms=h:0 memory_mib=100:1\n").ok());
}

TEST(FunctionTruthTest, FileRoundTripsAndRejectsNonsense) {
  const std::string text =
      "function f1 kind=vector base_ms=12.5 noise_sd=0.1 cpu=1 clock=1 interference=0.15 "
      "tiers=avx512f:1,avx2:1.56,*:3.84 memory_mib=1:10,50:20,100:40 declared_mib=128\n"
      "function f2 kind=io base_ms=50 cpu=0.1 payload=64:1:0.8 memory_mib=0:5,100:6\n";
  auto parsed = ParseFunctionFile(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  // Payloads: the median at z = 0, a 4x larger one 4^0.8 times as long; none without the key.
  EXPECT_DOUBLE_EQ((*parsed)[1].PayloadKib(0), 64);
  EXPECT_NEAR((*parsed)[1].PayloadFactor(256), std::pow(4.0, 0.8), 1e-9);
  EXPECT_DOUBLE_EQ((*parsed)[0].PayloadKib(1.5), 0);
  EXPECT_DOUBLE_EQ((*parsed)[0].PayloadFactor(256), 1);
  EXPECT_EQ((*parsed)[0].tiers.size(), 3u);
  EXPECT_DOUBLE_EQ((*parsed)[0].MemoryMibAt(0.75), 30);
  EXPECT_EQ((*parsed)[1].CpuNeedMillicores(), 100u);
  auto again = ParseFunctionFile(FormatFunctionFile(*parsed));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(FormatFunctionFile(*again), FormatFunctionFile(*parsed));

  const std::map<std::string, std::string> bad = {
      {"function f kind=gpu base_ms=1 memory_mib=100:1\n", "kind 'gpu'"},
      {"function f kind=io memory_mib=100:1\n", "missing base_ms="},
      {"function f kind=io base_ms=1 memory_mib=50:10,20:5\n", "quantiles must rise"},
      {"function f kind=io base_ms=1 without=aes memory_mib=100:1\n", "not name:positive-number"},
      {"function f kind=io base_ms=-1 memory_mib=100:1\n", "base_ms=-1"},
      {"function f kind=io base_ms=1 payload=64:1 memory_mib=100:1\n", "median_kib:sd:elasticity"},
      {"function f kind=io base_ms=1 payload=0:1:1 memory_mib=100:1\n", "got '0:1:1'"},
      {"function f kind=io base_ms=1 payload=64:1:9 memory_mib=100:1\n", "elasticity in [0, 2]"},
  };
  for (const auto& [line, message] : bad) {
    auto r = ParseFunctionFile("# header\n" + line);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_THAT(r.status().message(), HasSubstr("line 2")) << line;
    EXPECT_THAT(r.status().message(), HasSubstr(message)) << line;
  }
}

struct Counts {
  uint64_t invocations = 0;
  size_t with_duration = 0, with_memory = 0;
};

Counts CountsOf(const Trace& trace) {
  Counts c;
  for (const auto& f : trace.functions) {
    c.invocations += f.invocations;
    c.with_duration += f.has_duration;
    c.with_memory += f.has_memory;
  }
  return c;
}

TEST(AzureTraceTest, LoadsTheTwentyTwentyTwoFullDaySampleAsShipped) {
  // invitro's 2022 full-day files: no Trigger column, and a memory file keyed by app only.
  auto trace = LoadTrace(kTraces + "/azure2022");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->functions.size(), 500u);
  EXPECT_EQ(trace->minutes, 1440u);
  const Counts counts = CountsOf(*trace);
  EXPECT_EQ(counts.invocations, 341096u);  // as the provenance notes count them
  EXPECT_EQ(counts.with_duration, 500u);
  EXPECT_EQ(counts.with_memory, 500u);
  for (const auto& f : trace->functions) EXPECT_EQ(f.trigger, "");
}

TEST(AzureTraceTest, LoadsTheShippedTwentyNineteenSample) {
  auto trace = LoadTrace(kTraces + "/azure2019");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->functions.size(), 500u);
  EXPECT_EQ(trace->minutes, 480u);
  const Counts counts = CountsOf(*trace);
  EXPECT_EQ(counts.invocations, 3037902u);  // as the trace's README counts them
  EXPECT_EQ(counts.with_duration, 500u);
  EXPECT_EQ(counts.with_memory, 500u);

  // Arrivals keep every minute's count, fall inside their minute, and repeat for a seed.
  auto a = DrawArrivals(*trace, 7, 3);
  auto b = DrawArrivals(*trace, 7, 3);
  auto c = DrawArrivals(*trace, 8, 3);
  uint64_t first_three = 0;
  for (const auto& f : trace->functions)
    first_three += f.per_minute[0] + f.per_minute[1] + f.per_minute[2];
  ASSERT_EQ(a.size(), first_three);
  std::vector<std::vector<uint32_t>> per_minute(trace->functions.size(), std::vector<uint32_t>(3));
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_LT(a[i].time_ms, 180000.0);
    if (i > 0) {
      ASSERT_LE(a[i - 1].time_ms, a[i].time_ms);
    }
    per_minute[a[i].function][static_cast<size_t>(a[i].time_ms / 60000)]++;
  }
  for (size_t f = 0; f < trace->functions.size(); ++f) {
    for (size_t m = 0; m < 3; ++m) {
      ASSERT_EQ(per_minute[f][m], trace->functions[f].per_minute[m]);
    }
  }
  EXPECT_EQ(a[100].time_ms, b[100].time_ms);
  EXPECT_NE(a[100].time_ms, c[100].time_ms);
}

TEST(AzureTraceTest, LoadsTheTwentyTwentyOnePerInvocationSample) {
  auto trace = LoadTrace(kTraces + "/azure2021/Azure2021_200.csv");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->functions.size(), 31u);
  auto arrivals = DrawArrivals(*trace, 1);
  EXPECT_EQ(arrivals.size(), 199u);
  for (size_t i = 1; i < arrivals.size(); ++i) {
    ASSERT_LE(arrivals[i - 1].time_ms, arrivals[i].time_ms);
  }
  EXPECT_LT(arrivals.back().time_ms, 1201000.0);
}

TEST(AzureTraceTest, MalformedFilesNameTheFileAndLine) {
  testing::TempDir dir;
  dir.Write("t/invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,3,x\n");
  dir.Write("t/durations.csv", "HashOwner,HashApp,HashFunction,Average\n");
  dir.Write("t/memory.csv", "HashFunction\n");
  auto trace = LoadTrace(dir.File("t"));
  ASSERT_FALSE(trace.ok());
  EXPECT_EQ(trace.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(trace.status().message(), HasSubstr("invocations.csv:2: minute '2' is not a count"));

  dir.Write("t/invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,3,1\n");
  trace = LoadTrace(dir.File("t"));
  ASSERT_FALSE(trace.ok());
  EXPECT_THAT(trace.status().message(),
              HasSubstr("durations.csv: no column 'percentile_Average_0'"));
  EXPECT_EQ(LoadTrace(dir.File("nowhere")).status().code(), StatusCode::kNotFound);
}

// Found by trace_fuzz (fuzz/regressions/trace_fuzz/): a timestamp far in the future made the
// trace's minute count overflow (undefined behaviour); numbers out of range were let through.
TEST(AzureTraceTest, TimestampsAndNumbersBeyondAnyTraceAreRefused) {
  auto far = ParseAzure2021("t.csv", "app,func,end_timestamp,duration\na,f,9500000000,1\n");
  ASSERT_FALSE(far.ok());
  EXPECT_THAT(far.status().message(), HasSubstr("may span at most"));
  auto inf = ParseAzure2021("t.csv", "app,func,end_timestamp,duration\na,f,inf,1\n");
  EXPECT_THAT(inf.status().message(), HasSubstr("t.csv:2: field 'end_timestamp'"));
  auto huge = ParseAzure2021("t.csv", "app,func,end_timestamp,duration\na,f,10,1e300\n");
  EXPECT_THAT(huge.status().message(), HasSubstr("field 'duration' is not a number in 0..1e12"));
  auto ok = ParseAzure2021("t.csv", "app,func,end_timestamp,duration\na,f,61,1\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->minutes, 2u);
}

TEST(GenerateTruthTest, IsDeterministicCalibratedAndCoversEveryKind) {
  auto trace = LoadTrace(kTraces + "/azure2019");
  ASSERT_TRUE(trace.ok()) << trace.status();
  auto a = GenerateTruth(*trace, 1);
  auto b = GenerateTruth(*trace, 1);
  auto c = GenerateTruth(*trace, 2);
  ASSERT_EQ(a.size(), 500u);
  EXPECT_EQ(FormatFunctionFile(a), FormatFunctionFile(b));
  EXPECT_NE(FormatFunctionFile(a), FormatFunctionFile(c));
  std::map<FunctionKind, int> kinds;
  for (size_t i = 0; i < a.size(); ++i) {
    kinds[a[i].kind]++;
    EXPECT_EQ(a[i].name, trace->functions[i].name);
    EXPECT_GE(a[i].declared_mib, a[i].MaxMemoryMib());  // configured above every peak
    EXPECT_GE(a[i].base_ms, 1.0);
    if (a[i].kind == FunctionKind::kCrypto) {
      // Without AES-NI, aes-gcm took 4.1x the CPU (bench/calibrate_kinds).
      EXPECT_NEAR(a[i].ExpectedMs(Host({}, 32, 1), 0, 1000) / a[i].base_ms, 4.1, 1e-9);
    }
  }
  EXPECT_EQ(kinds.size(), 6u);
  for (const auto& [kind, n] : kinds) EXPECT_GT(n, 40) << KindName(kind);
}

}  // namespace
}  // namespace tailor::sim
