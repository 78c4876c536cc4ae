#include "bench/simulator/function_truth.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <random>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "bench/simulator/key_values.h"
#include "common/file_util.h"

namespace tailor::sim {
namespace {

constexpr std::pair<FunctionKind, std::string_view> kKindNames[] = {
    {FunctionKind::kCrypto, "crypto"}, {FunctionKind::kHashing, "hashing"},
    {FunctionKind::kVector, "vector"}, {FunctionKind::kCache, "cache"},
    {FunctionKind::kMemory, "memory"}, {FunctionKind::kIo, "io"}};

bool Has(const models::HostClassInfo& cls, const std::string& feature) {
  return std::binary_search(cls.features.begin(), cls.features.end(), feature);
}

Result<std::vector<std::pair<std::string, double>>> ParseFactors(std::string_view text,
                                                                 std::string_view key) {
  std::vector<std::pair<std::string, double>> out;
  for (auto item : SplitString(text, ',')) {
    item = TrimWhitespace(item);
    if (item.empty()) continue;
    auto colon = item.rfind(':');
    auto v = colon == std::string_view::npos ? Result<double>(InvalidArgumentError(""))
                                             : ParseDouble(item.substr(colon + 1));
    if (!v.ok() || !(*v > 0) || !std::isfinite(*v)) {
      return InvalidArgumentError(std::string(key) + ": '" + std::string(item) +
                                  "' is not name:positive-number");
    }
    out.emplace_back(std::string(item.substr(0, colon)), *v);
  }
  return out;
}

// Rounds up to a power of two, at least 128 MiB: the sizes operators configure.
double DeclaredMib(double max_mib) {
  double d = 128;
  while (d < max_mib) d *= 2;
  return d;
}

}  // namespace

std::string_view KindName(FunctionKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "io";
}

Result<FunctionKind> ParseKind(std::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) return k;
  }
  return InvalidArgumentError("kind '" + std::string(name) +
                              "' is not one of crypto, hashing, vector, cache, memory, io");
}

double FunctionTruth::HardwareMs(const models::HostClassInfo& cls) const {
  for (const auto& [class_name, ms] : measured_ms) {
    if (class_name == cls.name) return ms;
  }
  double ms = base_ms;
  for (const auto& [feature, factor] : without) {
    if (!Has(cls, feature)) ms *= factor;
  }
  for (const auto& [feature, factor] : tiers) {
    if (feature == "*" || Has(cls, feature)) {
      ms *= factor;
      break;
    }
  }
  for (const auto& [feature, factor] : with) {
    if (Has(cls, feature)) ms *= factor;
  }
  for (const auto& [features, factor] : all_of) {
    bool all = true;
    for (auto f : SplitString(features, '+')) all = all && Has(cls, std::string(f));
    if (!all) ms *= factor;
  }
  if (working_set_mib > 0 && cls.l3_bytes < working_set_mib * double(1 << 20)) ms *= spill;
  return ms / std::pow(std::max(0.05, cls.speed_factor), clock_exponent);
}

double FunctionTruth::ExpectedMs(const models::HostClassInfo& cls, double others_cpu_share,
                                 uint32_t quota_millicores) const {
  double ms = HardwareMs(cls) * (1.0 + interference * std::max(0.0, others_cpu_share));
  const double need = cpu_cores * 1000.0;
  if (quota_millicores > 0 && need > quota_millicores) ms *= need / quota_millicores;
  return ms;
}

double FunctionTruth::MemoryMibAt(double u) const {
  if (memory_mib.empty()) return 0;
  if (u <= memory_mib.front().first) return memory_mib.front().second;
  for (size_t i = 1; i < memory_mib.size(); ++i) {
    const auto& [q1, m1] = memory_mib[i];
    if (u <= q1) {
      const auto& [q0, m0] = memory_mib[i - 1];
      return q1 > q0 ? m0 + (m1 - m0) * (u - q0) / (q1 - q0) : m1;
    }
  }
  return memory_mib.back().second;
}

double FunctionTruth::MaxMemoryMib() const {
  return memory_mib.empty() ? 0 : memory_mib.back().second;
}

double FunctionTruth::PayloadKib(double z) const {
  return payload_median_kib > 0 ? payload_median_kib * std::exp(payload_sd_log * z) : 0.0;
}

double FunctionTruth::PayloadFactor(double payload_kib) const {
  if (!(payload_median_kib > 0) || !(payload_kib > 0)) return 1.0;
  return std::pow(payload_kib / payload_median_kib, payload_elasticity);
}

uint32_t FunctionTruth::CpuNeedMillicores() const {
  return static_cast<uint32_t>(std::max(1.0, std::ceil(cpu_cores * 10.0 - 1e-9)) * 100.0);
}

namespace {

// "median_kib:sd:elasticity" into f's payload fields.
Status ParsePayload(std::string_view text, FunctionTruth& f) {
  const auto parts = SplitString(text, ':');
  auto number = [&](size_t i, double min, double max, double& into) {
    if (parts.size() != 3) return false;
    auto v = ParseDouble(parts[i]);
    if (!v.ok() || !(*v >= min && *v <= max)) return false;
    into = *v;
    return true;
  };
  if (!number(0, 0.001, 1e7, f.payload_median_kib) || !number(1, 0, 3, f.payload_sd_log) ||
      !number(2, 0, 2, f.payload_elasticity)) {
    return InvalidArgumentError(
        "payload: expected median_kib:sd:elasticity (median in (0, 1e7] KiB, sd in [0, 3], "
        "elasticity in [0, 2]), got '" +
        std::string(text) + "'");
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<FunctionTruth>> ParseFunctionFile(std::string_view text) {
  std::vector<FunctionTruth> out;
  std::unordered_set<std::string> seen;
  Status s = ForEachLine(text, "function file", [&](KeyValueLine& line) -> Status {
    if (line.kind != "function") {
      return InvalidArgumentError("expected 'function', found '" + line.kind + "'");
    }
    if (!seen.insert(line.name).second) {
      return InvalidArgumentError("function '" + line.name + "' defined twice");
    }
    FunctionTruth f;
    f.name = line.name;
    TAILOR_ASSIGN_OR_RETURN(const std::string kind, line.Take("kind"));
    TAILOR_ASSIGN_OR_RETURN(f.kind, ParseKind(kind));
    TAILOR_ASSIGN_OR_RETURN(f.base_ms, line.TakeNumber("base_ms", 0.001, 1e8));
    // Optional numbers keep their defaults when absent.
    auto optional = [&](std::string_view key, double min, double max, double& into) -> Status {
      if (line.Has(key)) {
        TAILOR_ASSIGN_OR_RETURN(into, line.TakeNumber(key, min, max));
      }
      return OkStatus();
    };
    TAILOR_RETURN_IF_ERROR(optional("noise_sd", 0, 3, f.noise_sd_log));
    TAILOR_RETURN_IF_ERROR(optional("cpu", 0.01, 256, f.cpu_cores));
    TAILOR_RETURN_IF_ERROR(optional("clock", 0, 3, f.clock_exponent));
    TAILOR_RETURN_IF_ERROR(optional("interference", 0, 100, f.interference));
    TAILOR_RETURN_IF_ERROR(optional("working_set_mib", 0, 1e6, f.working_set_mib));
    TAILOR_RETURN_IF_ERROR(optional("spill", 1, 1000, f.spill));
    TAILOR_RETURN_IF_ERROR(optional("declared_mib", 1, 1e7, f.declared_mib));
    if (line.Has("without")) {
      TAILOR_ASSIGN_OR_RETURN(f.without, ParseFactors(*line.Take("without"), "without"));
    }
    if (line.Has("tiers")) {
      TAILOR_ASSIGN_OR_RETURN(f.tiers, ParseFactors(*line.Take("tiers"), "tiers"));
    }
    if (line.Has("with")) {
      TAILOR_ASSIGN_OR_RETURN(f.with, ParseFactors(*line.Take("with"), "with"));
    }
    if (line.Has("all_of")) {
      TAILOR_ASSIGN_OR_RETURN(f.all_of, ParseFactors(*line.Take("all_of"), "all_of"));
    }
    if (line.Has("payload")) {
      TAILOR_RETURN_IF_ERROR(ParsePayload(*line.Take("payload"), f));
    }
    if (line.Has("measured_ms")) {
      TAILOR_ASSIGN_OR_RETURN(f.measured_ms,
                              ParseFactors(*line.Take("measured_ms"), "measured_ms"));
    }
    TAILOR_ASSIGN_OR_RETURN(const std::string memory, line.Take("memory_mib"));
    TAILOR_ASSIGN_OR_RETURN(const auto points, ParseFactors(memory, "memory_mib"));
    for (const auto& [q, mib] : points) {
      auto quantile = ParseDouble(q);
      if (!quantile.ok() || *quantile < 0 || *quantile > 100 ||
          (!f.memory_mib.empty() &&
           (*quantile / 100 <= f.memory_mib.back().first || mib < f.memory_mib.back().second))) {
        return InvalidArgumentError(
            "memory_mib: quantiles must rise from 0 to 100 with non-decreasing MiB");
      }
      f.memory_mib.emplace_back(*quantile / 100.0, mib);
    }
    if (f.memory_mib.empty()) return InvalidArgumentError("memory_mib: no quantiles");
    if (Status rest = line.CheckAllTaken(); !rest.ok()) return rest;
    out.push_back(std::move(f));
    return OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

std::string FormatFunctionFile(const std::vector<FunctionTruth>& functions) {
  std::ostringstream out;
  out << "# Tailor simulator function file (docs/simulator.md)\n";
  out << std::setprecision(6);
  auto factors = [&](const char* key, const std::vector<std::pair<std::string, double>>& v) {
    if (v.empty()) return;
    out << ' ' << key << '=';
    for (size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << v[i].first << ':' << v[i].second;
  };
  for (const auto& f : functions) {
    out << "function " << f.name << " kind=" << KindName(f.kind) << " base_ms=" << f.base_ms
        << " noise_sd=" << f.noise_sd_log << " cpu=" << f.cpu_cores << " clock=" << f.clock_exponent
        << " interference=" << f.interference;
    factors("without", f.without);
    factors("tiers", f.tiers);
    factors("with", f.with);
    factors("all_of", f.all_of);
    factors("measured_ms", f.measured_ms);
    if (f.working_set_mib > 0)
      out << " working_set_mib=" << f.working_set_mib << " spill=" << f.spill;
    if (f.payload_median_kib > 0) {
      out << " payload=" << f.payload_median_kib << ':' << f.payload_sd_log << ':'
          << f.payload_elasticity;
    }
    out << " memory_mib=";
    for (size_t i = 0; i < f.memory_mib.size(); ++i) {
      out << (i ? "," : "") << f.memory_mib[i].first * 100 << ':' << f.memory_mib[i].second;
    }
    out << " declared_mib=" << f.declared_mib << '\n';
  }
  return out.str();
}

Result<std::array<double, 6>> ParseKindWeights(std::string_view text) {
  std::array<double, 6> weights{};
  TAILOR_ASSIGN_OR_RETURN(const auto items, ParseFactors(text, "kinds"));
  for (const auto& [name, weight] : items) {
    TAILOR_ASSIGN_OR_RETURN(const FunctionKind kind, ParseKind(name));
    weights[static_cast<size_t>(kind)] = weight;
  }
  if (items.empty()) return InvalidArgumentError("kinds: no kind:weight pairs");
  return weights;
}

// Effects of the hardware that are not a product of per-feature factors (assumed, not
// measured; docs/simulator.md): AES-NI helps crypto fully only with AVX2 beside it (wide AES
// rounds), and AVX-512 hosts run scalar hashing and cache-bound code 15% slower (the frequency
// licence of co-running AVX-512 code).
void AddInteractions(FunctionTruth& f) {
  switch (f.kind) {
    case FunctionKind::kCrypto:
      f.all_of = {{"aes+avx2", 1.8}};
      break;
    case FunctionKind::kHashing:
    case FunctionKind::kCache:
      f.with = {{"avx512f", 1.15}};
      break;
    default:
      break;
  }
}

std::vector<FunctionTruth> GenerateTruth(const Trace& trace, uint64_t seed,
                                         const TruthOptions& options) {
  std::vector<FunctionTruth> out;
  out.reserve(trace.functions.size());
  // Kind shares: by default a quarter I/O-bound (most FaaS code waits on something), the rest
  // split.
  std::discrete_distribution<int> kind_of(options.kind_weights.begin(), options.kind_weights.end());
  for (size_t i = 0; i < trace.functions.size(); ++i) {
    const TraceFunction& t = trace.functions[i];
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + i);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    FunctionTruth f;
    f.name = t.name;
    f.kind = static_cast<FunctionKind>(kind_of(rng));
    // The trace's average is taken as the duration on the reference host (every feature,
    // enough cache, speed 1).
    f.base_ms = t.has_duration ? std::max(1.0, t.average_ms) : 100.0;
    const double p25 = t.duration_percentiles_ms[2], p75 = t.duration_percentiles_ms[4];
    f.noise_sd_log =
        (t.has_duration && p25 > 0 && p75 > 0)
            ? std::clamp(std::log(p75 / p25) / 1.349, 0.05, std::max(0.05, options.max_noise_sd))
            : 0.2;
    // Factors measured with bench/calibrate_kinds on the sample functions (docs/simulator.md).
    switch (f.kind) {
      case FunctionKind::kCrypto:  // aes-gcm without AES-NI: 4.1x
        f.without = {{"aes", 4.1}};
        f.interference = 0.05;
        break;
      case FunctionKind::kHashing:  // sha256 without SHA-NI: 2.0x
        f.without = {{"sha_ni", 2.0}};
        f.interference = 0.05;
        break;
      case FunctionKind::kVector:  // matmul: AVX2 1.56x, SSE2 3.84x the AVX-512 build
        f.tiers = {{"avx512f", 1.0}, {"avx2", 1.56}, {"*", 3.84}};
        f.interference = 0.15;
        break;
      case FunctionKind::kCache:
        // pointer-chase spilling its L3 ran 20.7x slower; a cache-bound function spends 5-12%
        // of its time in such misses when it fits, so spilling costs 2-3.4x.
        f.working_set_mib = 12 + 28 * uniform(rng);
        f.spill = 1 + (0.05 + 0.07 * uniform(rng)) * 19.7;
        f.clock_exponent = 0.8;
        f.interference = 0.5;
        break;
      case FunctionKind::kMemory:  // bandwidth-bound: clock matters little, co-runners a lot
        f.clock_exponent = 0.3;
        f.interference = 0.8;
        break;
      case FunctionKind::kIo:  // sleep-io: waits, a tenth of a core
        f.cpu_cores = 0.1;
        f.clock_exponent = 0.0;
        f.interference = 0.0;
        break;
    }
    if (t.has_memory && t.memory_percentiles_mib.back() > 0) {
      for (size_t p = 0; p < kMemoryPercentiles.size(); ++p) {
        const double mib = std::max(1.0, t.memory_percentiles_mib[p]);
        const double prev = f.memory_mib.empty() ? 0 : f.memory_mib.back().second;
        f.memory_mib.emplace_back(kMemoryPercentiles[p] / 100.0, std::max(mib, prev));
      }
    } else {
      // No memory data (2021 traces): a median of 32-256 MiB with a 1.5x tail.
      const double median = 32.0 * std::pow(8.0, uniform(rng));
      f.memory_mib = {
          {0.01, median * 0.8}, {0.5, median}, {0.99, median * 1.3}, {1.0, median * 1.5}};
    }
    f.declared_mib = DeclaredMib(f.MaxMemoryMib());
    // Drawn after everything above, so that the defaults give the same truth as before.
    if (f.kind != FunctionKind::kIo && uniform(rng) < options.multicore_share) {
      f.cpu_cores = uniform(rng) < 0.5 ? 2.0 : 4.0;
    }
    if (options.interactions) AddInteractions(f);
    if (options.payload_share > 0) {
      // A stream of its own: the draws above stay as they were without payloads.
      std::mt19937_64 payload_rng(seed * 0x9e3779b97f4a7c15ull + i + 0x7061796c6f6164ull);
      if (uniform(payload_rng) < options.payload_share) {
        f.payload_median_kib = std::pow(1024.0, uniform(payload_rng));
        f.payload_sd_log = 1.0;
        f.payload_elasticity = 0.8;
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<FunctionTruth>> ApplyOverrides(std::vector<FunctionTruth> generated,
                                                  const std::vector<FunctionTruth>& overrides) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < generated.size(); ++i) index[generated[i].name] = i;
  for (const auto& o : overrides) {
    auto it = index.find(o.name);
    if (it == index.end()) {
      return NotFoundError("function file names '" + o.name + "', which is not in the trace");
    }
    generated[it->second] = o;
  }
  return generated;
}

}  // namespace tailor::sim
