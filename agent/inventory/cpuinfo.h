// /proc/cpuinfo: a pure parser of the x86 text format.
//
// Used as the reference that the raw CPUID reading is checked against, and for identity fields
// on hosts where CPUID is unavailable. Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tailor::agent {

struct CpuinfoSummary {
  std::string vendor;      // "vendor_id" of the first processor
  std::string model_name;  // "model name"
  uint32_t family = 0;     // "cpu family"
  uint32_t model = 0;      // "model"
  uint32_t stepping = 0;   // "stepping"
  double mhz = 0;          // "cpu MHz" of the first processor
  uint32_t logical_cpus = 0;      // number of "processor" entries
  uint32_t sockets = 0;           // distinct "physical id" values (at least 1)
  std::set<std::string> flags;    // "flags" of the first processor
};

// INVALID_ARGUMENT if the text has no processor entry.
Result<CpuinfoSummary> ParseCpuinfo(std::string_view text);

}  // namespace tailor::agent
