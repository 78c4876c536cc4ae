#include "scheduler/outcome_description.h"

#include "proto/run_outcome_name.h"

namespace tailor::scheduler {
namespace {

std::string Mebibytes(uint64_t bytes) {
  return std::to_string((bytes + (1u << 19)) >> 20) + " MiB";
}

}  // namespace

std::string DescribeOutcome(const v1::RunReport& r, bool memory_at_ceiling) {
  switch (r.outcome()) {
    case v1::RUN_OUTCOME_SUCCEEDED:
      return "";
    case v1::RUN_OUTCOME_FUNCTION_ERROR:
      return r.term_signal() != 0 ? "killed by signal " + std::to_string(r.term_signal())
                                  : "exited with code " + std::to_string(r.exit_code());
    case v1::RUN_OUTCOME_TIMED_OUT:
      return "timed out after " + std::to_string(r.wall_time_us() / 1000) + " ms";
    case v1::RUN_OUTCOME_OOM_KILLED:
      return "OOM-killed at its memory limit of " + Mebibytes(r.memory_limit_bytes()) +
             (memory_at_ceiling
                  ? ", the most it can have (the largest node's memory, or its manifest's "
                    "max_memory_bytes): it does not fit"
                  : "; the next invocation gets more memory");
    case v1::RUN_OUTCOME_CANCELLED:
      return "stopped after " + std::to_string(r.wall_time_us() / 1000) +
             " ms: its caller went away";
    case v1::RUN_OUTCOME_START_FAILED:
    case v1::RUN_OUTCOME_AGENT_LOST:
    case v1::RUN_OUTCOME_OUTPUT_TOO_LARGE:
      return r.error_message().empty() ? RunOutcomeName(r.outcome()) : r.error_message();
    default:
      return RunOutcomeName(r.outcome());
  }
}

}  // namespace tailor::scheduler
