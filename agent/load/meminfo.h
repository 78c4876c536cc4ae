// /proc/meminfo: a pure parser. Values in the file are kB; the struct holds bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace tailor::agent {

struct Meminfo {
  uint64_t total_bytes = 0;      // MemTotal
  uint64_t available_bytes = 0;  // MemAvailable (MemFree + Buffers + Cached on old kernels)
  uint64_t free_bytes = 0;       // MemFree
};

// INVALID_ARGUMENT if MemTotal is missing.
Result<Meminfo> ParseMeminfo(std::string_view text);

}  // namespace tailor::agent
