// FunctionTruth: the simulation's ground truth of how long a function runs on a host and how
// much memory it uses, from a plain-text function file or generated from a trace.
//
//   function fn-6b6c3f35ccaa kind=crypto base_ms=3 noise_sd=0.3 cpu=1 clock=1
//            interference=0.05 without=aes:4.1 memory_mib=1:180,50:200,99:211,100:378
//            declared_mib=512                                  (one line in the file)
//
// Expected duration of a run on a host class, with other invocations holding `share` of the
// host's CPU and a CPU quota of `quota` millicores:
//   base_ms
//   x product of the `without` factors for features the class lacks
//   x the factor of the first `tiers` entry whose feature the class has ("*" matches any)
//   x product of the `with` factors for features the class has (e.g. an AVX-512 clock penalty)
//   x product of the `all_of` factors whose features ("aes+avx2") the class does not all have
//     (features that help only together)
//   x `spill` when the class's L3 is smaller than working_set_mib
//   / speed ^ clock
//   x (1 + interference x share)
//   x max(1, cpu x 1000 / quota)            (throttled below its CPU need)
// except on a class named in `measured_ms` (durations measured on real hosts, e.g. the demo's
// emulated ones: scripts/sim-to-real), where that duration replaces base_ms, the hardware
// factors, spill and speed; interference, throttling, payload and noise apply as above.
//   x (payload / payload median)^elasticity  (payload-dependent functions: `payload=`)
// Each invocation multiplies this by exp(noise_sd x z) for its own standard normal z, and
// peaks at a memory drawn from the memory_mib quantiles (quantile%:MiB pairs). declared_mib is
// the memory the function is configured with, which static placement rules allocate.
// Kinds (crypto, hashing, vector, cache, memory, io) label functions for the static-rule
// baseline; the factors alone decide durations. docs/simulator.md documents the format and
// how GenerateTruth calibrates each kind.
//
// Thread-safety: immutable after construction.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/azure_trace.h"
#include "common/status.h"
#include "models/cluster_index.h"

namespace tailor::sim {

enum class FunctionKind { kCrypto, kHashing, kVector, kCache, kMemory, kIo };
std::string_view KindName(FunctionKind kind);
Result<FunctionKind> ParseKind(std::string_view name);

struct FunctionTruth {
  std::string name;
  FunctionKind kind = FunctionKind::kIo;
  double base_ms = 100;
  double noise_sd_log = 0.2;
  double cpu_cores = 1.0;       // CPU it uses while running
  double clock_exponent = 1.0;  // how duration scales with host speed
  double interference = 0.0;    // slowdown per unit of CPU share held by co-runners
  std::vector<std::pair<std::string, double>> without;  // feature -> factor when absent
  std::vector<std::pair<std::string, double>> tiers;    // first present feature wins
  std::vector<std::pair<std::string, double>> with;     // feature -> factor when present
  std::vector<std::pair<std::string, double>> all_of;   // "f1+f2" -> factor unless all present
  double working_set_mib = 0;
  double spill = 1.0;
  std::vector<std::pair<std::string, double>> measured_ms;  // class name -> its duration
  // Payload-dependent durations: an invocation's payload is payload_median_kib x
  // exp(payload_sd_log x z) for its own standard normal z, and its duration is multiplied by
  // (payload / median)^payload_elasticity (base_ms is the duration at the median payload).
  // payload_median_kib 0: no payload, durations independent of it.
  double payload_median_kib = 0;
  double payload_sd_log = 0;
  double payload_elasticity = 0;
  std::vector<std::pair<double, double>> memory_mib;  // (quantile 0..1, MiB), ascending
  double declared_mib = 256;

  double ExpectedMs(const models::HostClassInfo& cls, double others_cpu_share,
                    uint32_t quota_millicores) const;
  // The duration on the class alone, unthrottled, at the median payload, before noise.
  double HardwareMs(const models::HostClassInfo& cls) const;
  // Memory at quantile u in [0, 1] of the function's peaks, interpolated.
  double MemoryMibAt(double u) const;
  double MaxMemoryMib() const;
  uint32_t CpuNeedMillicores() const;  // cpu_cores rounded up to 100 millicores
  // The payload of an invocation whose payload draw is z (0 without a payload), and the factor
  // it puts on the duration.
  double PayloadKib(double z) const;
  double PayloadFactor(double payload_kib) const;
};

// INVALID_ARGUMENT "function file line N: ..." for anything malformed.
Result<std::vector<FunctionTruth>> ParseFunctionFile(std::string_view text);
std::string FormatFunctionFile(const std::vector<FunctionTruth>& functions);

// How GenerateTruth draws functions (the scenario suite varies these).
struct TruthOptions {
  // Relative shares of crypto, hashing, vector, cache, memory and io functions.
  std::array<double, 6> kind_weights = {15, 15, 15, 15, 15, 25};
  // Noise is the trace's interquartile spread of durations, clamped to this (the trace implies
  // more than 1.0 for a quarter of the 2019 sample's functions).
  double max_noise_sd = 0.5;
  // Share of CPU-bound functions (all kinds but io) that keep 2 or 4 cores busy.
  double multicore_share = 0;
  // Effects the learner's product-of-factors regression cannot express (docs/simulator.md).
  bool interactions = false;
  // Share of functions whose duration grows with their payload (a median of 1 KiB-1 MiB,
  // spread sd 1.0 of log size, elasticity 0.8), as compressing or hashing their input does.
  double payload_share = 0;
};
// INVALID_ARGUMENT unless "kind:weight,..." names known kinds with weights >= 0, not all 0;
// kinds left out weigh 0.
Result<std::array<double, 6>> ParseKindWeights(std::string_view text);

// A truth for every trace function, deterministic for (trace, seed, options): a kind drawn per
// function with calibrated factors (docs/simulator.md), base_ms the trace's average duration,
// noise from its duration percentiles, memory from its memory percentiles.
std::vector<FunctionTruth> GenerateTruth(const Trace& trace, uint64_t seed,
                                         const TruthOptions& options = {});

// `generated` with every function named in `overrides` replaced by that line. NOT_FOUND for an
// override naming no trace function.
Result<std::vector<FunctionTruth>> ApplyOverrides(std::vector<FunctionTruth> generated,
                                                  const std::vector<FunctionTruth>& overrides);

}  // namespace tailor::sim
