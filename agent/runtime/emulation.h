// EmulationProfile: lets one machine stand for a heterogeneous cluster. An agent started with
// a profile hides CPU features (from its advertised inventory, and from the functions it runs:
// OpenSSL through OPENSSL_ia32cap, everything else through TAILOR_HIDDEN_FEATURES), runs
// functions slower through a CFS quota, pins them to a CPU set, and can advertise a different
// L3 size and core count.
//
// Profiles are TOML files:
//   name = "old-host"
//   hidden_features = ["aes", "sha_ni", "avx512f"]
//   cpu_speed_factor = 0.6
//   cpuset_cpus = "1"
//   l3_bytes = 8388608
//   cores = 4
//
// Thread-safety: immutable after parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tailor/v1/inventory.pb.h"

namespace tailor::agent {

struct EmulationProfile {
  std::string name;
  std::vector<std::string> hidden_features;
  double cpu_speed_factor = 1.0;  // (0, 1]
  std::string cpuset_cpus;
  std::optional<uint64_t> l3_bytes;
  std::optional<uint32_t> cores;

  bool active() const { return !name.empty(); }
};

// INVALID_ARGUMENT for unknown features, a speed factor outside (0, 1], or bad types.
Result<EmulationProfile> ParseEmulationProfile(std::string_view toml_text);

// Hides features (sets them false), overrides cache and cores, records the profile.
void ApplyEmulation(const EmulationProfile& profile, v1::HostInventory* inventory);

// The OPENSSL_ia32cap value that masks the hidden features OpenSSL dispatches on, or "" when
// none is hidden. Both capability words are always written: "~0x200000000000000" alone would
// also clear the whole second word (leaf 7), so AES alone is "~0x200000000000000:~0x0".
std::string OpensslIa32capFor(const std::vector<std::string>& hidden_features);

// The CFS quota for a run: the allocation's millicores (one core when it asks for none)
// scaled by the speed factor; unchanged at factor 1.
uint32_t EmulatedCpuMillicores(uint32_t allocation_millicores, double cpu_speed_factor);

}  // namespace tailor::agent
