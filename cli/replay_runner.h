// ReplayRunner: sends a replay schedule to the scheduler's gateway in real time. The calls are
// open-loop: each is due at its scheduled time whatever happened to earlier ones, and up to
// `concurrency` are in flight; a call that finds every sender busy waits, and its record shows
// when it was actually sent. Latency is the gateway round trip the caller sees (placement,
// forwarding, the run and its queueing on the agent).
//
// Thread-safety: Run() is called from one thread; the progress callback runs on that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli/replay_workload.h"
#include <chrono>
#include "tailor/v1/gateway.grpc.pb.h"

namespace tailor::cli {

struct CallRecord {
  uint32_t function = 0;
  double scheduled_ms = 0;  // from the start of the replay
  double sent_ms = 0;
  double latency_ms = 0;    // gateway round trip
  bool ok = false;          // the function ran and exited 0
  std::string error;        // the gRPC error or the run's outcome when !ok
  std::string node_id;
  std::string decision_id;  // for `tailorctl explain`
  bool explored = false;
  double predicted_ms = 0;  // 0: the policy predicted nothing
  double wall_ms = 0;       // the run as the agent measured it
  double cpu_ms = 0;
  uint64_t peak_memory_bytes = 0;
  uint64_t memory_limit_bytes = 0;
  uint32_t cpu_millicores = 0;
};

struct ReplayRunOptions {
  std::string policy;            // empty: the scheduler's default
  uint32_t concurrency = 8;
  int64_t call_deadline_ms = 120'000;
  std::chrono::milliseconds progress_every{250};
};

// done, failed, total
using ReplayProgress = std::function<void(size_t done, size_t failed, size_t total)>;

// One record per call, in schedule order. A call the scheduler rejects as the caller's mistake
// (INVALID_ARGUMENT, NOT_FOUND: an unknown policy, a removed function) stops the replay: the
// calls not yet sent keep empty records, and `stopped_by` receives the error. Paced by the real steady clock: a load generator
// against a live cluster has no simulated time to run on.
std::vector<CallRecord> RunReplay(v1::Gateway::StubInterface& gateway,
                                  const std::vector<WorkloadFunction>& workload,
                                  const Schedule& schedule, const ReplayRunOptions& options,
                                  const ReplayProgress& progress, std::string* stopped_by);

}  // namespace tailor::cli
