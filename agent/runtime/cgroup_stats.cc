#include "agent/runtime/cgroup_stats.h"

#include <algorithm>

#include "common/file_util.h"

namespace tailor::agent {
namespace {

// Calls fn(key, value) for each "key value" line; lines that do not parse are errors.
template <typename Fn>
Status ForEachKeyValue(std::string_view text, std::string_view what, Fn fn) {
  for (std::string_view line : SplitString(text, '\n')) {
    auto f = SplitWhitespace(line);
    if (f.empty()) continue;
    if (f.size() != 2)
      return InvalidArgumentError(std::string(what) + ": bad line '" + std::string(line) + "'");
    auto v = ParseInt64(f[1]);
    if (!v.ok()) return v.status().WithContext(std::string(what) + " key " + std::string(f[0]));
    fn(f[0], *v);
  }
  return OkStatus();
}

}  // namespace

Result<CpuStatV2> ParseCpuStatV2(std::string_view text) {
  CpuStatV2 s;
  bool have_usage = false;
  TAILOR_RETURN_IF_ERROR(ForEachKeyValue(text, "cpu.stat", [&](std::string_view k, int64_t v) {
    if (k == "usage_usec") {
      s.usage_us = v;
      have_usage = true;
    } else if (k == "user_usec") {
      s.user_us = v;
    } else if (k == "system_usec") {
      s.system_us = v;
    }
  }));
  if (!have_usage) return InvalidArgumentError("cpu.stat has no usage_usec");
  return s;
}

Result<CpuThrottling> ParseCpuThrottling(std::string_view text) {
  CpuThrottling t;
  bool have_periods = false;
  TAILOR_RETURN_IF_ERROR(ForEachKeyValue(text, "cpu.stat", [&](std::string_view k, int64_t v) {
    const auto u = static_cast<uint64_t>(std::max<int64_t>(0, v));
    if (k == "nr_periods") {
      t.periods = u;
      have_periods = true;
    } else if (k == "nr_throttled") {
      t.throttled_periods = u;
    } else if (k == "throttled_time") {
      t.throttled_us = std::max<int64_t>(0, v) / 1000;
    } else if (k == "throttled_usec") {
      t.throttled_us = std::max<int64_t>(0, v);
    }
  }));
  if (!have_periods) return InvalidArgumentError("cpu.stat has no nr_periods");
  return t;
}

Result<int64_t> ParseCpuPressureSomeTotalUs(std::string_view text) {
  for (std::string_view line : SplitString(text, '\n')) {
    auto f = SplitWhitespace(line);
    if (f.empty() || f[0] != "some") continue;
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i].substr(0, 6) != "total=") continue;
      auto v = ParseInt64(f[i].substr(6));
      if (!v.ok()) return v.status().WithContext("cpu.pressure total");
      if (*v < 0) return InvalidArgumentError("cpu.pressure total is negative");
      return *v;
    }
    return InvalidArgumentError("cpu.pressure: the 'some' line has no total=");
  }
  return InvalidArgumentError("cpu.pressure has no 'some' line");
}

Result<CpuacctStatV1> ParseCpuacctStatV1(std::string_view text, int64_t ticks_per_second) {
  if (ticks_per_second <= 0) return InvalidArgumentError("ticks_per_second must be positive");
  CpuacctStatV1 s;
  bool have_user = false;
  TAILOR_RETURN_IF_ERROR(ForEachKeyValue(text, "cpuacct.stat", [&](std::string_view k, int64_t v) {
    if (k == "user") {
      s.user_us = v * 1'000'000 / ticks_per_second;
      have_user = true;
    } else if (k == "system") {
      s.system_us = v * 1'000'000 / ticks_per_second;
    }
  }));
  if (!have_user) return InvalidArgumentError("cpuacct.stat has no user line");
  return s;
}

Result<uint64_t> ParseOomKillCount(std::string_view text) {
  for (std::string_view line : SplitString(text, '\n')) {
    auto f = SplitWhitespace(line);
    if (f.size() == 2 && f[0] == "oom_kill") return ParseUint64(f[1]);
  }
  return NotFoundError("no oom_kill counter (kernel older than 4.13?)");
}

Result<IoBytes> ParseIoStatV2(std::string_view text) {
  IoBytes io;
  for (std::string_view line : SplitString(text, '\n')) {
    auto f = SplitWhitespace(line);
    for (size_t i = 1; i < f.size(); ++i) {
      auto eq = f[i].find('=');
      if (eq == std::string_view::npos) {
        return InvalidArgumentError("io.stat: bad field '" + std::string(f[i]) + "'");
      }
      auto key = f[i].substr(0, eq);
      if (key != "rbytes" && key != "wbytes") continue;
      TAILOR_ASSIGN_OR_RETURN(uint64_t v, ParseUint64(f[i].substr(eq + 1)));
      (key == "rbytes" ? io.read_bytes : io.write_bytes) += v;
    }
  }
  return io;
}

Result<IoBytes> ParseBlkioServiceBytesV1(std::string_view text) {
  IoBytes io;
  for (std::string_view line : SplitString(text, '\n')) {
    auto f = SplitWhitespace(line);
    if (f.size() != 3) continue;  // "Total N" and blank lines
    TAILOR_ASSIGN_OR_RETURN(uint64_t v, ParseUint64(f[2]));
    if (f[1] == "Read")
      io.read_bytes += v;
    else if (f[1] == "Write")
      io.write_bytes += v;
  }
  return io;
}

Result<IoBytes> ParseProcIo(std::string_view text) {
  IoBytes io;
  bool have_read = false;
  for (std::string_view line : SplitString(text, '\n')) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto key = TrimWhitespace(line.substr(0, colon));
    if (key != "read_bytes" && key != "write_bytes") continue;
    TAILOR_ASSIGN_OR_RETURN(uint64_t v, ParseUint64(line.substr(colon + 1)));
    if (key == "read_bytes") {
      io.read_bytes = v;
      have_read = true;
    } else {
      io.write_bytes = v;
    }
  }
  if (!have_read) return InvalidArgumentError("/proc/<pid>/io has no read_bytes");
  return io;
}

}  // namespace tailor::agent
