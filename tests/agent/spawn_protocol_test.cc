#include "agent/runtime/spawn_protocol.h"

#include <gtest/gtest.h>

#include <cstring>

namespace tailor::agent::spawn {
namespace {

ExecRequest Sample() {
  ExecRequest r;
  r.executable = "/srv/fn/bin/aes";
  r.argv = {"/srv/fn/bin/aes", "--mode", "", "gcm"};
  r.env = {"PATH=/bin", "TAILOR_FUNCTION=aes"};
  r.working_dir = "/srv/fn";
  r.uid = 65534;
  r.gid = 0;
  return r;
}

// EncodeExecRequest frames the body with its length, as it goes through the gate pipe.
std::string_view Body(const std::string& framed) {
  uint32_t length = 0;
  EXPECT_GE(framed.size(), sizeof(length));
  std::memcpy(&length, framed.data(), sizeof(length));
  EXPECT_EQ(length, framed.size() - sizeof(length));
  return std::string_view(framed).substr(sizeof(length));
}

TEST(SpawnProtocol, ExecRequestRoundTripsWithEmptyStringsAndIds) {
  auto encoded = EncodeExecRequest(Sample());
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  auto decoded = DecodeExecRequest(Body(*encoded));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const ExecRequest want = Sample();
  EXPECT_EQ(decoded->executable, want.executable);
  EXPECT_EQ(decoded->argv, want.argv);
  EXPECT_EQ(decoded->env, want.env);
  EXPECT_EQ(decoded->working_dir, want.working_dir);
  EXPECT_EQ(decoded->uid, want.uid);
  EXPECT_EQ(decoded->gid, want.gid);  // 0 is a real gid, not "keep"
}

TEST(SpawnProtocol, UnsetIdsStayUnset) {
  ExecRequest r = Sample();
  r.uid.reset();
  r.gid.reset();
  r.working_dir.clear();
  r.env.clear();
  auto framed = EncodeExecRequest(r);
  ASSERT_TRUE(framed.ok()) << framed.status();
  auto decoded = DecodeExecRequest(Body(*framed));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_FALSE(decoded->uid.has_value());
  EXPECT_FALSE(decoded->gid.has_value());
  EXPECT_EQ(decoded->working_dir, "");
  EXPECT_TRUE(decoded->env.empty());
}

TEST(SpawnProtocol, EncodingRefusesNulBytesAndOversizedRuns) {
  ExecRequest r = Sample();
  r.env.push_back(std::string("A=b\0c", 5));
  auto nul = EncodeExecRequest(r);
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(nul.status().message().find("environment"), std::string::npos);

  r = Sample();
  r.env.push_back("BIG=" + std::string(kMaxExecRequestBytes, 'x'));
  auto big = EncodeExecRequest(r);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);

  r = Sample();
  r.executable.clear();
  EXPECT_EQ(EncodeExecRequest(r).status().code(), StatusCode::kInvalidArgument);

  PrepareRequest p;
  p.join_files = {std::string("/sys/fs/cgroup/x\0", 17)};
  EXPECT_EQ(EncodePrepareRequest(p).status().code(), StatusCode::kInvalidArgument);
  p.join_files = {std::string(kMaxRequestBytes, 'f')};
  EXPECT_EQ(EncodePrepareRequest(p).status().code(), StatusCode::kResourceExhausted);
}

TEST(SpawnProtocol, PrepareRequestRoundTrips) {
  PrepareRequest p;
  p.join_files = {"/sys/fs/cgroup/memory/tailor/w-1/cgroup.procs",
                  "/sys/fs/cgroup/cpu/tailor/w-1/cgroup.procs"};
  auto decoded = DecodePrepareRequest(EncodePrepareRequest(p).value());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->join_files, p.join_files);
  auto none = DecodePrepareRequest(EncodePrepareRequest(PrepareRequest{}).value());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->join_files.empty());
}

TEST(SpawnProtocol, DecodingRefusesEveryDamagedRequest) {
  const std::string framed = EncodeExecRequest(Sample()).value();
  const std::string good(Body(framed));
  // Every strict prefix is damaged: too short, or strings cut off.
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(DecodeExecRequest(std::string_view(good).substr(0, len)).ok()) << len;
  }
  EXPECT_FALSE(DecodeExecRequest(good + "x").ok());  // trailing bytes
  EXPECT_FALSE(DecodeExecRequest(good + std::string(1, '\0')).ok());

  std::string wrong_magic = good;
  wrong_magic[0] ^= 1;
  EXPECT_FALSE(DecodeExecRequest(wrong_magic).ok());
  std::string wrong_version = good;
  wrong_version[4] = 9;
  EXPECT_FALSE(DecodeExecRequest(wrong_version).ok());
  // A count far beyond the bytes present must not make the decoder allocate or read past.
  std::string huge_count = good;
  const uint32_t count = 0xFFFFFFF0;
  std::memcpy(huge_count.data() + 24, &count, sizeof(count));  // argv_count
  auto decoded = DecodeExecRequest(huge_count);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);

  // A prepare request is not an exec request, and the other way round.
  PrepareRequest p;
  p.join_files = {"/a"};
  EXPECT_FALSE(DecodeExecRequest(EncodePrepareRequest(p).value()).ok());
  EXPECT_FALSE(DecodePrepareRequest(good).ok());
  const std::string prepare = EncodePrepareRequest(p).value();
  for (size_t len = 0; len < prepare.size(); ++len) {
    EXPECT_FALSE(DecodePrepareRequest(std::string_view(prepare).substr(0, len)).ok()) << len;
  }
}

TEST(SpawnProtocol, EventsDecodeOnlyWhenWhole) {
  SpawnEvent event;
  event.kind = EventKind::kExited;
  event.pid = 42;
  event.wait_status = 3 << 8;
  const char io[] = "read_bytes: 4096\nwrite_bytes: 0\n";
  std::memcpy(event.io_text, io, sizeof(io) - 1);
  event.io_text_bytes = sizeof(io) - 1;
  const std::string bytes(reinterpret_cast<const char*>(&event), sizeof(event));
  auto decoded = DecodeEvent(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->pid, 42);
  EXPECT_EQ(decoded->IoText(), std::string_view(io, sizeof(io) - 1));

  EXPECT_FALSE(DecodeEvent(bytes.substr(0, bytes.size() - 1)).ok());
  SpawnEvent bad_kind = event;
  bad_kind.kind = static_cast<EventKind>(7);
  EXPECT_FALSE(DecodeEvent(std::string(reinterpret_cast<const char*>(&bad_kind), sizeof(bad_kind))).ok());
  SpawnEvent bad_len = event;
  bad_len.io_text_bytes = sizeof(bad_len.io_text) + 1;
  EXPECT_FALSE(DecodeEvent(std::string(reinterpret_cast<const char*>(&bad_len), sizeof(bad_len))).ok());
}

}  // namespace
}  // namespace tailor::agent::spawn
