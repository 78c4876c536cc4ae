// A synthetic cluster and workload with known ground truth, for the models' accuracy tests:
// host classes with different features, cache and speed; functions of six kinds whose
// durations depend on those traits the way the sample functions do on real hardware.
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "models/cluster_index.h"

namespace tailor::models::testing {

enum class Kind { kCrypto, kHashing, kVector, kCache, kMemory, kIo };

struct SyntheticFunction {
  std::string name;
  Kind kind;
  double base_ms;  // on the reference host (all features, 32 MiB L3, speed 1)
};

struct World {
  std::vector<HostClassInfo> classes;
  std::vector<std::vector<double>> class_features;
  std::vector<SyntheticFunction> functions;
  std::mt19937_64 rng{7};

  // Expected duration (no noise) of function f on class c.
  double TrueMs(const SyntheticFunction& f, const HostClassInfo& c) const {
    auto has = [&](const char* feature) {
      for (const auto& x : c.features) {
        if (x == feature) return true;
      }
      return false;
    };
    double ms = f.base_ms;
    switch (f.kind) {
      case Kind::kCrypto: ms *= has("aes") ? 1.0 : 6.0; break;
      case Kind::kHashing: ms *= has("sha_ni") ? 1.0 : 3.0; break;
      case Kind::kVector: ms *= has("avx512f") ? 1.0 : has("avx2") ? 1.7 : 3.5; break;
      case Kind::kCache: ms *= c.l3_bytes >= (32u << 20) ? 1.0 : 2.2; break;
      case Kind::kMemory: ms *= c.l3_bytes >= (32u << 20) ? 1.0 : 1.3; break;
      case Kind::kIo: return ms;  // not CPU bound: speed does not matter
    }
    return ms / c.speed_factor;
  }
  double SampleMs(const SyntheticFunction& f, const HostClassInfo& c) {
    std::normal_distribution<double> noise(0.0, 0.05);
    return TrueMs(f, c) * std::exp(noise(rng));
  }
};

inline World MakeWorld(int functions) {
  World w;
  struct Spec {
    const char* name;
    std::vector<std::string> features;
    uint64_t l3_mib;
    double speed;
  };
  const std::vector<Spec> specs = {
      {"new-big", {"aes", "avx2", "avx512f", "fma", "sha_ni"}, 32, 1.2},
      {"new-small", {"aes", "avx2", "avx512f", "fma", "sha_ni"}, 8, 1.1},
      {"mid-big", {"aes", "avx2", "fma"}, 32, 1.0},
      {"mid-small", {"aes", "avx2", "fma"}, 8, 0.9},
      {"old-big", {"avx2"}, 32, 0.7},
      {"old-small", {}, 8, 0.6},
      {"sha-box", {"aes", "avx2", "sha_ni"}, 16, 1.0},
      {"slow-crypto", {"aes", "sha_ni"}, 16, 0.8},
  };
  for (const auto& s : specs) {
    HostClassInfo c;
    c.name = s.name;
    c.features = s.features;
    std::sort(c.features.begin(), c.features.end());
    c.l3_bytes = s.l3_mib << 20;
    c.cores = 16;
    c.speed_factor = s.speed;
    w.classes.push_back(c);
    w.class_features.push_back(HostFeatureVector(c));
  }
  std::uniform_real_distribution<double> log_base(std::log(5.0), std::log(500.0));
  for (int i = 0; i < functions; ++i) {
    SyntheticFunction f;
    f.name = "fn-" + std::to_string(i);
    f.kind = static_cast<Kind>(i % 6);
    f.base_ms = std::exp(log_base(w.rng));
    w.functions.push_back(f);
  }
  return w;
}

}  // namespace tailor::models::testing
