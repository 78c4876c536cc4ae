#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/runtime/cgroup_stats.h"
#include "agent/runtime/emulation.h"
#include "common/function_manifest.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

TEST(FunctionManifestTest, ParsesEveryField) {
  auto m = ParseManifest(R"(
name = "aes-gcm"
version = "1.2.0"
entrypoint = "bin/aes"
args = ["--fast"]
timeout_ms = 5000
memory_hint_bytes = 1048576
idempotent = true
[env]
LEVEL = "6"
)");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->name, "aes-gcm");
  EXPECT_EQ(m->version, "1.2.0");
  EXPECT_EQ(m->entrypoint, "bin/aes");
  EXPECT_EQ(m->args, std::vector<std::string>{"--fast"});
  EXPECT_EQ(m->timeout_ms, 5000u);
  EXPECT_EQ(m->memory_hint_bytes, 1048576u);
  EXPECT_TRUE(m->idempotent);
  EXPECT_EQ(m->env.at("LEVEL"), "6");
}

TEST(FunctionManifestTest, RejectsBadManifestsNamingTheKey) {
  auto msg = [](std::string_view text) { return ParseManifest(text).status().message(); };
  EXPECT_NE(msg("version='1'\nentrypoint='x'").find("'name'"), std::string::npos);
  EXPECT_NE(msg("name='a b'\nversion='1'\nentrypoint='x'").find("'name'"), std::string::npos);
  EXPECT_NE(msg("name='a'\nentrypoint='x'").find("'version'"), std::string::npos);
  EXPECT_NE(msg("name='a'\nversion='1'").find("'entrypoint'"), std::string::npos);
  EXPECT_NE(msg("name='a'\nversion='1'\nentrypoint='../x'").find("escapes"), std::string::npos);
  EXPECT_NE(msg("name='a'\nversion='1'\nentrypoint='/bin/sh'").find("relative"), std::string::npos);
  EXPECT_NE(msg("name='a'\nversion='1'\nentrypoint='x'\ntimeout_ms=0").find("timeout_ms"),
            std::string::npos);
  EXPECT_NE(msg("name='a'\nversion='1'\nentrypoint='x'\nargs='no'").find("args"),
            std::string::npos);
  EXPECT_NE(msg("name = [").find("TOML"), std::string::npos);
  EXPECT_EQ(ParseManifest("name='a'").status().code(), StatusCode::kInvalidArgument);
}

TEST(FunctionManifestTest, EntrypointMustStayInsideAndBeExecutable) {
  tailor::testing::TempDir dir;
  dir.Write("b/run.sh", "#!/bin/sh\necho hi\n");
  dir.Write("outside.sh", "#!/bin/sh\n");
  ::chmod(dir.File("b/run.sh").c_str(), 0755);
  ::chmod(dir.File("outside.sh").c_str(), 0755);
  ASSERT_EQ(::symlink(dir.File("outside.sh").c_str(), dir.File("b/link.sh").c_str()), 0);
  FunctionManifest m;
  m.name = "f";
  m.version = "1";
  m.entrypoint = "run.sh";
  auto ok = ResolveEntrypoint(dir.File("b"), m);
  ASSERT_TRUE(ok.ok()) << ok.status();
  m.entrypoint = "link.sh";
  auto escaped = ResolveEntrypoint(dir.File("b"), m);
  ASSERT_FALSE(escaped.ok());
  EXPECT_NE(escaped.status().message().find("outside the bundle"), std::string::npos);
  ::chmod(dir.File("b/run.sh").c_str(), 0644);
  m.entrypoint = "run.sh";
  EXPECT_EQ(ResolveEntrypoint(dir.File("b"), m).status().code(), StatusCode::kInvalidArgument);
  m.entrypoint = "missing";
  EXPECT_EQ(ResolveEntrypoint(dir.File("b"), m).status().code(), StatusCode::kNotFound);
}

TEST(CgroupStatsTest, CgroupV2Files) {
  auto cpu = ParseCpuStatV2(
      "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 0\nnr_throttled 0\n"
      "throttled_usec 0\n");
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(cpu->usage_us, 2500);
  EXPECT_EQ(cpu->user_us, 2000);
  EXPECT_EQ(cpu->system_us, 500);
  EXPECT_FALSE(ParseCpuStatV2("user_usec 1\n").ok());
  EXPECT_EQ(*ParseOomKillCount("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n"), 1u);
  auto io = ParseIoStatV2(
      "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
      "8:16 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
  ASSERT_TRUE(io.ok());
  EXPECT_EQ(io->read_bytes, 4196u);
  EXPECT_EQ(io->write_bytes, 8192u);
}

TEST(CgroupStatsTest, CgroupV1Files) {
  // Captured from the dev machine's cgroup v1 hierarchies.
  auto cpu = ParseCpuacctStatV1("user 80667\nsystem 18335\n", 100);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(cpu->user_us, 806'670'000);
  EXPECT_EQ(cpu->system_us, 183'350'000);
  EXPECT_EQ(*ParseOomKillCount("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 2u);
  EXPECT_EQ(ParseOomKillCount("oom_kill_disable 0\nunder_oom 0\n").status().code(),
            StatusCode::kNotFound);
  auto blk = ParseBlkioServiceBytesV1("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\nTotal 4608\n");
  ASSERT_TRUE(blk.ok());
  EXPECT_EQ(blk->read_bytes, 4096u);
  EXPECT_EQ(blk->write_bytes, 512u);
  EXPECT_EQ(ParseBlkioServiceBytesV1("Total 0\n")->read_bytes, 0u);
}

TEST(CgroupStatsTest, CpuThrottlingFromEitherVersionsCpuStat) {
  // cgroup v1: the cpu hierarchy's cpu.stat counts throttled time in nanoseconds.
  auto v1 = ParseCpuThrottling("nr_periods 40\nnr_throttled 31\nthrottled_time 2500000000\n");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->periods, 40u);
  EXPECT_EQ(v1->throttled_periods, 31u);
  EXPECT_EQ(v1->throttled_us, 2'500'000);
  // cgroup v2: one cpu.stat with usage and bandwidth, microseconds (5.19+ adds burst keys).
  auto v2 = ParseCpuThrottling(
      "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 12\nnr_throttled 3\n"
      "throttled_usec 4000\nnr_bursts 0\nburst_usec 0\n");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->periods, 12u);
  EXPECT_EQ(v2->throttled_periods, 3u);
  EXPECT_EQ(v2->throttled_us, 4000);
  EXPECT_FALSE(ParseCpuThrottling("usage_usec 1\n").ok()) << "no bandwidth control";
  EXPECT_FALSE(ParseCpuThrottling("nr_periods x\n").ok());
}

TEST(CgroupStatsTest, CpuPressureSomeTotal) {
  auto waited = ParseCpuPressureSomeTotalUs(
      "some avg10=12.50 avg60=3.10 avg300=0.70 total=1234567\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=99\n");
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, 1234567);
  EXPECT_FALSE(ParseCpuPressureSomeTotalUs("full avg10=0.00 total=5\n").ok()) << "no some";
  EXPECT_FALSE(ParseCpuPressureSomeTotalUs("some avg10=0.00 avg60=0.00\n").ok()) << "no total";
  EXPECT_FALSE(ParseCpuPressureSomeTotalUs("some total=x\n").ok());
  EXPECT_FALSE(ParseCpuPressureSomeTotalUs("some total=-3\n").ok());
}

TEST(CgroupStatsTest, ProcPidIo) {
  auto io = ParseProcIo(
      "rchar: 6976\nwchar: 10\nsyscr: 10\nsyscw: 1\nread_bytes: 4096\nwrite_bytes: 1048576\n"
      "cancelled_write_bytes: 0\n");
  ASSERT_TRUE(io.ok());
  EXPECT_EQ(io->read_bytes, 4096u);
  EXPECT_EQ(io->write_bytes, 1048576u);
  EXPECT_FALSE(ParseProcIo("rchar: 1\n").ok());
}

TEST(EmulationTest, IntegerKeysMustBeIntegersInRange) {
  EXPECT_FALSE(ParseEmulationProfile("name = 'x'\ncores = 1e30\n").ok());
  EXPECT_FALSE(ParseEmulationProfile("name = 'x'\ncores = 70000\n").ok());
  EXPECT_FALSE(ParseEmulationProfile("name = 'x'\nl3_bytes = -1\n").ok());
  auto ok = ParseEmulationProfile("name = 'x'\ncores = 4\nl3_bytes = 8388608\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok->cores, 4u);
}

TEST(EmulationTest, ParsesProfileAndRejectsUnknownFeatures) {
  auto p = ParseEmulationProfile(
      "name = 'old'\nhidden_features = ['aes', 'sha_ni']\ncpu_speed_factor = 0.5\n"
      "cpuset_cpus = '1'\nl3_bytes = 8388608\ncores = 4\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->hidden_features.size(), 2u);
  EXPECT_DOUBLE_EQ(p->cpu_speed_factor, 0.5);
  EXPECT_EQ(*p->l3_bytes, 8388608u);
  EXPECT_FALSE(ParseEmulationProfile("name='x'\nhidden_features=['warp_drive']").ok());
  EXPECT_FALSE(ParseEmulationProfile("name='x'\ncpu_speed_factor=1.5").ok());
  EXPECT_FALSE(ParseEmulationProfile("cpu_speed_factor=0.5").ok());
}

TEST(EmulationTest, HidesFeaturesFromTheInventory) {
  v1::HostInventory inv;
  for (const char* f : {"aes", "sha_ni", "avx512f", "avx512bw", "avx2", "avx"}) {
    (*inv.mutable_cpu_features())[f] = true;
  }
  EmulationProfile p;
  p.name = "no-avx512";
  p.hidden_features = {"aes", "avx512f"};
  p.l3_bytes = 1 << 20;
  p.cores = 3;
  ApplyEmulation(p, &inv);
  EXPECT_FALSE(inv.cpu_features().at("aes"));
  EXPECT_FALSE(inv.cpu_features().at("avx512f"));
  EXPECT_FALSE(inv.cpu_features().at("avx512bw"));  // built on avx512f
  EXPECT_TRUE(inv.cpu_features().at("avx2"));
  EXPECT_TRUE(inv.cpu_features().at("sha_ni"));
  EXPECT_EQ(inv.cache().l3_bytes(), 1u << 20);
  EXPECT_EQ(inv.topology().logical_cores(), 3u);
  EXPECT_EQ(inv.emulation().name(), "no-avx512");
}

TEST(EmulationTest, OpensslCapabilityMaskWritesBothWords) {
  EXPECT_EQ(OpensslIa32capFor({}), "");
  EXPECT_EQ(OpensslIa32capFor({"aes"}), "~0x200000000000000:~0x0");
  EXPECT_EQ(OpensslIa32capFor({"sha_ni"}), "~0x0:~0x20000000");
  EXPECT_EQ(OpensslIa32capFor({"aes", "pclmulqdq"}), "~0x200000200000000:~0x0");
  EXPECT_EQ(OpensslIa32capFor({"vaes"}), "~0x0:~0x20000000000");
}

TEST(EmulationTest, SpeedFactorScalesTheQuota) {
  EXPECT_EQ(EmulatedCpuMillicores(0, 1.0), 0u);
  EXPECT_EQ(EmulatedCpuMillicores(2000, 1.0), 2000u);
  EXPECT_EQ(EmulatedCpuMillicores(0, 0.5), 500u);
  EXPECT_EQ(EmulatedCpuMillicores(2000, 0.25), 500u);
}

}  // namespace
}  // namespace tailor::agent
