#include "bench/simulator/cluster_spec.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "bench/simulator/key_values.h"
#include "common/file_util.h"

namespace tailor::sim {

uint64_t ClusterSpec::hosts() const {
  uint64_t n = 0;
  for (const auto& c : classes) n += c.count;
  return n;
}

uint64_t ClusterSpec::cores() const {
  uint64_t n = 0;
  for (const auto& c : classes) n += uint64_t(c.count) * c.info.cores;
  return n;
}

namespace {

// The index of the pool named `name`, or HostClassSpec::kNoPool.
int FindPool(const std::vector<CorePool>& pools, const std::string& name) {
  for (size_t p = 0; p < pools.size(); ++p) {
    if (pools[p].name == name) return static_cast<int>(p);
  }
  return HostClassSpec::kNoPool;
}

Result<CorePool> ParsePool(KeyValueLine& line) {
  CorePool pool;
  pool.name = line.name;
  TAILOR_ASSIGN_OR_RETURN(const double cores, line.TakeNumber("cores", 1, 4096));
  if (cores != std::floor(cores)) return InvalidArgumentError("cores must be a whole number");
  pool.cores = static_cast<uint32_t>(cores);
  TAILOR_RETURN_IF_ERROR(line.CheckAllTaken());
  return pool;
}

}  // namespace

Result<ClusterSpec> ParseClusterSpec(std::string_view text) {
  ClusterSpec spec;
  std::set<std::string> names;
  std::vector<std::string> pool_of_class;  // as named, resolved once every pool is read
  Status s = ForEachLine(text, "cluster file", [&](KeyValueLine& line) -> Status {
    if (line.kind == "pool") {
      if (FindPool(spec.pools, line.name) != HostClassSpec::kNoPool) {
        return InvalidArgumentError("pool '" + line.name + "' defined twice");
      }
      TAILOR_ASSIGN_OR_RETURN(CorePool pool, ParsePool(line));
      spec.pools.push_back(std::move(pool));
      return OkStatus();
    }
    if (line.kind != "class") {
      return InvalidArgumentError("expected 'class' or 'pool', found '" + line.kind + "'");
    }
    if (!names.insert(line.name).second) {
      return InvalidArgumentError("class '" + line.name + "' defined twice");
    }
    HostClassSpec c;
    c.info.name = line.name;
    TAILOR_ASSIGN_OR_RETURN(const double count, line.TakeNumber("count", 1, 1e6));
    TAILOR_ASSIGN_OR_RETURN(const double cores, line.TakeNumber("cores", 1, 4096));
    TAILOR_ASSIGN_OR_RETURN(const double memory_gib, line.TakeNumber("memory_gib", 0.125, 65536));
    TAILOR_ASSIGN_OR_RETURN(const double l3_mib, line.TakeNumber("l3_mib", 0, 65536));
    TAILOR_ASSIGN_OR_RETURN(c.info.speed_factor, line.TakeNumber("speed", 0.05, 20));
    if (count != std::floor(count) || cores != std::floor(cores)) {
      return InvalidArgumentError("count and cores must be whole numbers");
    }
    c.count = static_cast<uint32_t>(count);
    c.info.cores = static_cast<uint32_t>(cores);
    c.memory_bytes = static_cast<uint64_t>(memory_gib * double(1ull << 30));
    c.info.l3_bytes = static_cast<uint64_t>(l3_mib * double(1ull << 20));
    if (line.Has("features")) {
      const std::string features = *line.Take("features");
      for (auto f : SplitString(features, ',')) {
        f = TrimWhitespace(f);
        if (!f.empty()) c.info.features.emplace_back(f);
      }
    }
    std::sort(c.info.features.begin(), c.info.features.end());
    c.info.features.erase(std::unique(c.info.features.begin(), c.info.features.end()),
                          c.info.features.end());
    pool_of_class.push_back(line.Has("pool") ? *line.Take("pool") : "");
    if (Status rest = line.CheckAllTaken(); !rest.ok()) return rest;
    spec.classes.push_back(std::move(c));
    return OkStatus();
  });
  if (!s.ok()) return s;
  if (spec.classes.empty()) return InvalidArgumentError("cluster file defines no class");
  for (size_t c = 0; c < spec.classes.size(); ++c) {
    if (pool_of_class[c].empty()) continue;
    spec.classes[c].pool = FindPool(spec.pools, pool_of_class[c]);
    if (spec.classes[c].pool == HostClassSpec::kNoPool) {
      return InvalidArgumentError("cluster file: class '" + spec.classes[c].info.name +
                                  "' names pool '" + pool_of_class[c] + "', which no line defines");
    }
  }
  return spec;
}

Result<ClusterSpec> LoadClusterSpec(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto spec = ParseClusterSpec(*text);
  if (!spec.ok()) return spec.status().WithContext(path);
  return spec;
}

ClusterSpec ScaleCluster(ClusterSpec spec, double factor) {
  for (auto& c : spec.classes) {
    c.count = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(c.count * factor)));
  }
  return spec;
}

}  // namespace tailor::sim
