#include "agent/runtime/emulation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <toml++/toml.h>

#include "agent/inventory/cpuid.h"

namespace tailor::agent {
namespace {

// OpenSSL's capability vector: word 0 = CPUID.1:EDX | CPUID.1:ECX << 32,
// word 1 = CPUID.7.0:EBX | CPUID.7.0:ECX << 32.
struct CapBit {
  std::string_view feature;
  int word;
  int bit;
};
constexpr CapBit kCapBits[] = {
    {"pclmulqdq", 0, 32 + 1}, {"ssse3", 0, 32 + 9}, {"fma", 0, 32 + 12},
    {"sse4_1", 0, 32 + 19},   {"sse4_2", 0, 32 + 20}, {"movbe", 0, 32 + 22},
    {"aes", 0, 32 + 25},      {"avx", 0, 32 + 28},    {"bmi1", 1, 3},
    {"avx2", 1, 5},           {"bmi2", 1, 8},         {"avx512f", 1, 16},
    {"avx512dq", 1, 17},      {"adx", 1, 19},         {"avx512ifma", 1, 21},
    {"avx512cd", 1, 28},      {"sha_ni", 1, 29},      {"avx512bw", 1, 30},
    {"avx512vl", 1, 31},      {"avx512vbmi", 1, 32 + 1}, {"vaes", 1, 32 + 9},
    {"vpclmulqdq", 1, 32 + 10},
};

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Result<EmulationProfile> ParseEmulationProfile(std::string_view toml_text) {
  toml::table t;
  try {
    t = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError(std::string("emulation profile is not valid TOML: ") +
                                std::string(e.description()));
  }
  EmulationProfile p;
  p.name = t["name"].value_or(std::string());
  if (p.name.empty()) return InvalidArgumentError("emulation profile: 'name' is required");
  const auto& known = KnownCpuFeatures();
  if (auto* arr = t["hidden_features"].as_array()) {
    for (const auto& v : *arr) {
      auto f = v.value<std::string>();
      if (!f || std::find(known.begin(), known.end(), *f) == known.end()) {
        return InvalidArgumentError("emulation profile: unknown feature in hidden_features: '" +
                                    f.value_or("?") + "'");
      }
      p.hidden_features.push_back(*f);
    }
  }
  p.cpu_speed_factor = t["cpu_speed_factor"].value_or(1.0);
  if (!(p.cpu_speed_factor > 0 && p.cpu_speed_factor <= 1.0)) {
    return InvalidArgumentError("emulation profile: cpu_speed_factor must be in (0, 1]");
  }
  p.cpuset_cpus = t["cpuset_cpus"].value_or(std::string());
  // Integer nodes only: toml++ converts a float to an integer without a range check.
  if (t.contains("l3_bytes")) {
    const auto* v = t["l3_bytes"].as_integer();
    if (v == nullptr || v->get() <= 0 || v->get() > (int64_t{1} << 36)) {
      return InvalidArgumentError("emulation profile: l3_bytes must be an integer in 1..2^36");
    }
    p.l3_bytes = static_cast<uint64_t>(v->get());
  }
  if (t.contains("cores")) {
    const auto* v = t["cores"].as_integer();
    if (v == nullptr || v->get() <= 0 || v->get() > 65'536) {
      return InvalidArgumentError("emulation profile: cores must be an integer in 1..65536");
    }
    p.cores = static_cast<uint32_t>(v->get());
  }
  return p;
}

void ApplyEmulation(const EmulationProfile& profile, v1::HostInventory* inv) {
  if (!profile.active()) return;
  for (const auto& f : profile.hidden_features) (*inv->mutable_cpu_features())[f] = false;
  // Hiding a base feature hides what is built on it, as the kernel would.
  auto hidden = [&](const char* f) {
    return std::find(profile.hidden_features.begin(), profile.hidden_features.end(), f) !=
           profile.hidden_features.end();
  };
  if (hidden("avx512f")) {
    for (auto& [name, present] : *inv->mutable_cpu_features()) {
      if (name.rfind("avx512", 0) == 0) present = false;
    }
  }
  if (hidden("avx")) {
    for (const char* f : {"avx2", "fma", "f16c", "vaes", "vpclmulqdq", "avx_vnni"}) {
      (*inv->mutable_cpu_features())[f] = false;
    }
  }
  if (profile.l3_bytes) inv->mutable_cache()->set_l3_bytes(*profile.l3_bytes);
  if (profile.cores) {
    inv->mutable_topology()->set_physical_cores(*profile.cores);
    inv->mutable_topology()->set_logical_cores(*profile.cores);
  }
  auto* e = inv->mutable_emulation();
  e->set_name(profile.name);
  for (const auto& f : profile.hidden_features) e->add_hidden_features(f);
  e->set_cpu_speed_factor(profile.cpu_speed_factor);
}

std::string OpensslIa32capFor(const std::vector<std::string>& hidden) {
  uint64_t words[2] = {0, 0};
  for (const auto& f : hidden) {
    for (const auto& c : kCapBits) {
      if (c.feature == f) words[c.word] |= 1ull << c.bit;
    }
    if (f == "avx512f") {  // OpenSSL's AVX-512 paths test F plus BW/VL/DQ
      for (const auto& c : kCapBits) {
        if (c.feature.rfind("avx512", 0) == 0) words[c.word] |= 1ull << c.bit;
      }
    }
  }
  if (words[0] == 0 && words[1] == 0) return "";
  std::string out = "~";  // appended piecewise: GCC 12 flags "~" + std::string (-Wrestrict)
  out += Hex(words[0]);
  out += ":~";
  out += Hex(words[1]);
  return out;
}

uint32_t EmulatedCpuMillicores(uint32_t allocation_millicores, double factor) {
  if (factor >= 1.0) return allocation_millicores;
  const double base = allocation_millicores > 0 ? allocation_millicores : 1000.0;
  return static_cast<uint32_t>(std::max(10.0, std::round(base * factor)));
}

}  // namespace tailor::agent
