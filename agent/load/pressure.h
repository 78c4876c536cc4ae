// /proc/pressure/{cpu,memory,io}: a pure parser of pressure stall information (PSI).
//
//   some avg10=1.53 avg60=0.87 avg300=0.29 total=1234567
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace tailor::agent {

struct PressureLine {
  double avg10 = 0, avg60 = 0, avg300 = 0;  // percent of wall time stalled
  uint64_t total_us = 0;                     // cumulative stall time
};

struct PressureFile {
  PressureLine some;
  PressureLine full;  // absent for cpu on older kernels: all zero
};

Result<PressureFile> ParsePressure(std::string_view text);

}  // namespace tailor::agent
