// DescribeOutcome: why a run's outcome is not SUCCEEDED, in words ("exited with code 3"), as
// the gateway's and an async result's `error` say it.
#pragma once

#include <string>

#include "tailor/v1/run_report.pb.h"

namespace tailor::scheduler {

// Empty for SUCCEEDED. `memory_at_ceiling`: the run had the most memory the function can have.
std::string DescribeOutcome(const v1::RunReport& report, bool memory_at_ceiling);

}  // namespace tailor::scheduler
