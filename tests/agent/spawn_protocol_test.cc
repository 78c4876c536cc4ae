#include "agent/runtime/spawn_protocol.h"

#include <gtest/gtest.h>

#include <cstring>

namespace tailor::agent::spawn {
namespace {

StartRequest Sample() {
  StartRequest r;
  r.executable = "/srv/fn/bin/aes";
  r.argv = {"/srv/fn/bin/aes", "--mode", "", "gcm"};
  r.env = {"PATH=/bin", "TAILOR_FUNCTION=aes"};
  r.working_dir = "/srv/fn";
  r.uid = 65534;
  r.gid = 0;
  r.join_files = {"/sys/fs/cgroup/memory/tailor/run-1/cgroup.procs",
                  "/sys/fs/resctrl/mon_groups/run-1/tasks"};
  r.counters = {{PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
                {PERF_TYPE_HW_CACHE, 0x10002}};
  r.sandbox.namespaces = kNsPid | kNsMount | kNsNet;
  r.sandbox.root_dir = "/var/lib/tailor/sandbox/root";
  r.sandbox.bundle_dir = "/srv/fn";
  r.sandbox.etc_dir = "/var/lib/tailor/sandbox/etc";
  r.sandbox.views = {"/usr", "/bin>usr/bin"};
  r.sandbox.hostname = "tailor";
  r.sandbox.tmp_bytes = 64 << 20;
  r.sandbox.open_files = 1024;
  r.sandbox.seccomp = true;
  return r;
}

TEST(SpawnProtocol, StartRequestRoundTripsWithEmptyStringsIdsAndCounters) {
  auto encoded = EncodeStartRequest(Sample());
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  auto decoded = DecodeStartRequest(*encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const StartRequest want = Sample();
  EXPECT_EQ(decoded->executable, want.executable);
  EXPECT_EQ(decoded->argv, want.argv);
  EXPECT_EQ(decoded->env, want.env);
  EXPECT_EQ(decoded->working_dir, want.working_dir);
  EXPECT_EQ(decoded->uid, want.uid);
  EXPECT_EQ(decoded->gid, want.gid);  // 0 is a real gid, not "keep"
  EXPECT_EQ(decoded->join_files, want.join_files);
  EXPECT_EQ(decoded->counters, want.counters);
  EXPECT_EQ(decoded->sandbox, want.sandbox);
  EXPECT_EQ(decoded->fd_count(), kMaxFdCount);  // the network namespace travels too
}

TEST(SpawnProtocol, ASandboxWithUnknownNamespaceKindsIsRefusedBothWays) {
  StartRequest r = Sample();
  r.sandbox.namespaces |= 1u << 9;
  EXPECT_EQ(EncodeStartRequest(r).status().code(), StatusCode::kInvalidArgument);
  std::string good = EncodeStartRequest(Sample()).value();
  const uint32_t unknown = 1u << 9;
  std::memcpy(good.data() + 40, &unknown, sizeof(unknown));  // StartHeader::namespaces
  EXPECT_FALSE(DecodeStartRequest(good).ok());
}

TEST(SpawnProtocol, UnsetFieldsStayUnset) {
  StartRequest r = Sample();
  r.uid.reset();
  r.gid.reset();
  r.working_dir.clear();
  r.env.clear();
  r.join_files.clear();
  r.counters.clear();
  r.sandbox = {};
  auto encoded = EncodeStartRequest(r);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  auto decoded = DecodeStartRequest(*encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_FALSE(decoded->uid.has_value());
  EXPECT_FALSE(decoded->gid.has_value());
  EXPECT_EQ(decoded->working_dir, "");
  EXPECT_TRUE(decoded->env.empty());
  EXPECT_TRUE(decoded->join_files.empty());
  EXPECT_TRUE(decoded->counters.empty());
  EXPECT_FALSE(decoded->sandbox.enabled());
  EXPECT_EQ(decoded->fd_count(), kFdCount);
}

TEST(SpawnProtocol, EncodingRefusesNulBytesOversizedRunsAndTooManyCounters) {
  StartRequest r = Sample();
  r.env.push_back(std::string("A=b\0c", 5));
  auto nul = EncodeStartRequest(r);
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(nul.status().message().find("environment"), std::string::npos);

  r = Sample();
  r.join_files.push_back(std::string("/sys/fs/cgroup/x\0", 17));
  EXPECT_EQ(EncodeStartRequest(r).status().code(), StatusCode::kInvalidArgument);

  r = Sample();
  r.env.push_back("BIG=" + std::string(kMaxRequestBytes, 'x'));
  auto big = EncodeStartRequest(r);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);

  r = Sample();
  r.executable.clear();
  EXPECT_EQ(EncodeStartRequest(r).status().code(), StatusCode::kInvalidArgument);

  r = Sample();
  r.counters.assign(kMaxCounters + 1, CounterSpec{PERF_TYPE_SOFTWARE, 0});
  EXPECT_EQ(EncodeStartRequest(r).status().code(), StatusCode::kInvalidArgument);
}

TEST(SpawnProtocol, DecodingRefusesEveryDamagedRequest) {
  const std::string good = EncodeStartRequest(Sample()).value();
  // Every strict prefix is damaged: too short, counters or strings cut off.
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(DecodeStartRequest(std::string_view(good).substr(0, len)).ok()) << len;
  }
  EXPECT_FALSE(DecodeStartRequest(good + "x").ok());  // trailing bytes
  EXPECT_FALSE(DecodeStartRequest(good + std::string(1, '\0')).ok());

  std::string wrong_magic = good;
  wrong_magic[0] ^= 1;
  EXPECT_FALSE(DecodeStartRequest(wrong_magic).ok());
  std::string wrong_version = good;
  wrong_version[4] = 9;
  EXPECT_FALSE(DecodeStartRequest(wrong_version).ok());
  // Counts far beyond the bytes present must not make the decoder allocate or read past.
  for (size_t offset : {24u, 28u, 32u}) {  // argv, env, join counts
    std::string huge_count = good;
    const uint32_t count = 0xFFFFFFF0;
    std::memcpy(huge_count.data() + offset, &count, sizeof(count));
    auto decoded = DecodeStartRequest(huge_count);
    ASSERT_FALSE(decoded.ok()) << offset;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  }
  std::string many_counters = good;
  const uint32_t counters = kMaxCounters + 1;
  std::memcpy(many_counters.data() + 36, &counters, sizeof(counters));
  EXPECT_FALSE(DecodeStartRequest(many_counters).ok());
  // An event is not a request.
  SpawnEvent event;
  EXPECT_FALSE(DecodeStartRequest(std::string(reinterpret_cast<const char*>(&event), sizeof(event))).ok());
}

TEST(SpawnProtocol, CountersAreOpenedCountingFromExecInUserSpaceAndInherited) {
  const perf_event_attr attr = CounterAttr({PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES});
  EXPECT_EQ(attr.size, sizeof(perf_event_attr));
  EXPECT_EQ(attr.type, static_cast<uint32_t>(PERF_TYPE_HARDWARE));
  EXPECT_EQ(attr.config, static_cast<uint64_t>(PERF_COUNT_HW_CPU_CYCLES));
  EXPECT_TRUE(attr.disabled);
  EXPECT_TRUE(attr.enable_on_exec);
  EXPECT_TRUE(attr.inherit);
  EXPECT_TRUE(attr.exclude_kernel);
}

TEST(SpawnProtocol, EventsDecodeOnlyWhenWhole) {
  SpawnEvent event;
  event.kind = EventKind::kExited;
  event.pid = 42;
  event.wait_status = 3 << 8;
  event.start_step = StartStep::kJoin;
  event.start_detail = 1;
  const char io[] = "read_bytes: 4096\nwrite_bytes: 0\n";
  std::memcpy(event.io_text, io, sizeof(io) - 1);
  event.io_text_bytes = sizeof(io) - 1;
  const std::string bytes(reinterpret_cast<const char*>(&event), sizeof(event));
  auto decoded = DecodeEvent(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->pid, 42);
  EXPECT_EQ(decoded->start_step, StartStep::kJoin);
  EXPECT_EQ(decoded->start_detail, 1);
  EXPECT_EQ(decoded->IoText(), std::string_view(io, sizeof(io) - 1));

  EXPECT_FALSE(DecodeEvent(bytes.substr(0, bytes.size() - 1)).ok());
  auto as_bytes = [](const SpawnEvent& e) {
    return std::string(reinterpret_cast<const char*>(&e), sizeof(e));
  };
  SpawnEvent bad_kind = event;
  bad_kind.kind = static_cast<EventKind>(7);
  EXPECT_FALSE(DecodeEvent(as_bytes(bad_kind)).ok());
  SpawnEvent bad_len = event;
  bad_len.io_text_bytes = sizeof(bad_len.io_text) + 1;
  EXPECT_FALSE(DecodeEvent(as_bytes(bad_len)).ok());
  SpawnEvent bad_counters = event;
  bad_counters.kind = EventKind::kCounters;
  bad_counters.counter_count = kMaxCounters + 1;
  EXPECT_FALSE(DecodeEvent(as_bytes(bad_counters)).ok());
}

}  // namespace
}  // namespace tailor::agent::spawn
