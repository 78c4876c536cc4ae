#include "agent/load/meminfo.h"

#include "common/file_util.h"

namespace tailor::agent {

Result<Meminfo> ParseMeminfo(std::string_view text) {
  Meminfo m;
  bool have_total = false, have_available = false;
  uint64_t buffers = 0, cached = 0;
  for (std::string_view line : SplitString(text, '\n')) {
    auto fields = SplitWhitespace(line);
    if (fields.size() < 2) continue;
    auto value = ParseUint64(fields[1]);
    if (!value.ok()) continue;
    const uint64_t bytes = *value * 1024;
    if (fields[0] == "MemTotal:") {
      m.total_bytes = bytes;
      have_total = true;
    } else if (fields[0] == "MemAvailable:") {
      m.available_bytes = bytes;
      have_available = true;
    } else if (fields[0] == "MemFree:") {
      m.free_bytes = bytes;
    } else if (fields[0] == "Buffers:") {
      buffers = bytes;
    } else if (fields[0] == "Cached:") {
      cached = bytes;
    }
  }
  if (!have_total) return InvalidArgumentError("meminfo has no MemTotal line");
  if (!have_available) m.available_bytes = m.free_bytes + buffers + cached;
  return m;
}

}  // namespace tailor::agent
