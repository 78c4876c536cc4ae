// Limits: the sizes that both ends of a connection must agree on, in one place.
//
// A function's output travels agent -> scheduler -> caller inside one gRPC message (and is kept
// in SQLite for async invocations), so the largest output a manifest may allow, plus the run's
// stderr tail and report, must fit the largest message every Tailor channel and server accepts.
// kMaxGrpcMessageBytes is set on all of them (proto/grpc_channel.h, proto/grpc_server.h).
//
// Thread-safety: constants.
#pragma once

#include <cstdint>

namespace tailor {

// A request's payload (Gateway.Invoke, the HTTP endpoint, Agent.Invoke).
inline constexpr uint64_t kMaxPayloadBytes = 16ull << 20;
// A function's stdout, unless its manifest says otherwise (max_output_bytes).
inline constexpr uint64_t kDefaultMaxOutputBytes = 6ull << 20;
// The most a manifest may allow.
inline constexpr uint64_t kMaxOutputBytesCeiling = 32ull << 20;
// The stderr tail kept per run.
inline constexpr uint64_t kStderrTailBytes = 16ull << 10;
// Every Tailor gRPC channel and server, both directions: the largest output plus room for the
// stderr tail, the report and the payload of the same call.
inline constexpr int kMaxGrpcMessageBytes = 64 << 20;
static_assert(kMaxOutputBytesCeiling + kStderrTailBytes + kMaxPayloadBytes + (1 << 20) <=
              static_cast<uint64_t>(kMaxGrpcMessageBytes));

// A function's wall-clock timeout (manifest timeout_ms, a request's timeout_ms).
inline constexpr uint32_t kMaxTimeoutMs = 3'600'000;
// Longest completion callback URL.
inline constexpr size_t kMaxCallbackUrlBytes = 2048;

}  // namespace tailor
