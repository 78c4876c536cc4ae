#include <gtest/gtest.h>

#include "agent/load/load_sampler.h"
#include "agent/load/meminfo.h"
#include "agent/load/pressure.h"
#include "agent/load/proc_stat.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

TEST(MeminfoTest, ParsesBytesAndFallsBackWithoutMemAvailable) {
  auto m = ParseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->total_bytes, 1000u * 1024);
  EXPECT_EQ(m->available_bytes, 600u * 1024);
  auto old = ParseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->available_bytes, 350u * 1024);
  EXPECT_FALSE(ParseMeminfo("MemFree: 1 kB\n").ok());
}

TEST(ProcStatTest, BusyAndTotalTicks) {
  auto t = ParseProcStatCpu("cpu  100 10 50 800 40 5 5 0 0 0\ncpu0 1 2 3 4\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->busy_ticks, 170u);
  EXPECT_EQ(t->total_ticks, 1010u);
  EXPECT_FALSE(ParseProcStatCpu("intr 1 2 3\n").ok());
  EXPECT_FALSE(ParseProcStatCpu("cpu 1 x 3 4\n").ok());
}

TEST(ProcStatTest, UtilizationBetweenSamples) {
  CpuTimes a{100, 1000}, b{175, 1100};
  EXPECT_DOUBLE_EQ(CpuUtilization(a, b), 0.75);
  EXPECT_DOUBLE_EQ(CpuUtilization(a, a), 0.0);
  EXPECT_DOUBLE_EQ(CpuUtilization(b, a), 0.0);  // counter reset: no negative load
}

TEST(PressureTest, ParsesSomeAndFull) {
  auto p = ParsePressure(
      "some avg10=1.53 avg60=0.87 avg300=0.29 total=1234567\n"
      "full avg10=0.50 avg60=0.00 avg300=0.00 total=42\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_DOUBLE_EQ(p->some.avg10, 1.53);
  EXPECT_EQ(p->some.total_us, 1234567u);
  EXPECT_DOUBLE_EQ(p->full.avg10, 0.5);
  EXPECT_FALSE(ParsePressure("").ok());
  EXPECT_FALSE(ParsePressure("some avg10=abc\n").ok());
}

TEST(LoadSamplerTest, SamplesFixtureHostWithPressure) {
  LoadSampler sampler(HostPaths{tailor::testing::FixturePath("hosts/intel_xeon_rdt_cgroup_v2")},
                      [] { return 3u; }, [] { return 1u; });
  auto load = sampler.Sample();
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->memory_total_bytes(), 394893828ull * 1024);
  EXPECT_EQ(load->memory_used_bytes(), (394893828ull - 380112344ull) * 1024);
  EXPECT_EQ(load->running_invocations(), 3u);
  EXPECT_EQ(load->queued_invocations(), 1u);
  EXPECT_TRUE(load->pressure().available());
  EXPECT_DOUBLE_EQ(load->pressure().cpu_some_avg10(), 12.5);
  EXPECT_DOUBLE_EQ(load->pressure().io_full_avg10(), 0.75);
  EXPECT_DOUBLE_EQ(load->cpu_utilization(), 0.0);  // first sample has no interval
}

TEST(LoadSamplerTest, HostWithoutPsiHasNoPressure) {
  LoadSampler sampler(
      HostPaths{tailor::testing::FixturePath("hosts/intel_core2_no_aesni_cgroup_v1")});
  auto load = sampler.Sample();
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_FALSE(load->pressure().available());
  EXPECT_EQ(load->memory_total_bytes(), 8056240ull * 1024);
}

TEST(LoadSamplerTest, UtilizationIsTheBusyShareSinceTheLastSample) {
  tailor::testing::TempDir root;
  root.Write("proc/meminfo", "MemTotal: 1000 kB\nMemAvailable: 500 kB\n");
  root.Write("proc/stat", "cpu  100 0 0 900 0 0 0 0 0 0\n");
  LoadSampler sampler(HostPaths{root.path()});
  ASSERT_TRUE(sampler.Sample().ok());
  root.Write("proc/stat", "cpu  160 0 20 920 0 0 0 0 0 0\n");  // +80 busy, +20 idle
  auto load = sampler.Sample();
  ASSERT_TRUE(load.ok());
  EXPECT_DOUBLE_EQ(load->cpu_utilization(), 0.8);
}

TEST(LoadSamplerTest, MissingProcStatIsAnError) {
  tailor::testing::TempDir root;
  LoadSampler sampler(HostPaths{root.path()});
  auto load = sampler.Sample();
  ASSERT_FALSE(load.ok());
  EXPECT_EQ(load.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tailor::agent
