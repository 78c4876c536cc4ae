#include "cli/outcome_exit_code.h"

#include "proto/run_outcome_name.h"

namespace tailor::cli {

int ExitCodeFor(v1::RunOutcome outcome) {
  switch (outcome) {
    case v1::RUN_OUTCOME_SUCCEEDED: return kExitOk;
    case v1::RUN_OUTCOME_FUNCTION_ERROR: return 3;
    case v1::RUN_OUTCOME_TIMED_OUT: return 5;
    case v1::RUN_OUTCOME_OOM_KILLED: return 6;
    case v1::RUN_OUTCOME_START_FAILED: return 7;
    case v1::RUN_OUTCOME_AGENT_LOST: return 8;
    case v1::RUN_OUTCOME_OUTPUT_TOO_LARGE: return 9;
    case v1::RUN_OUTCOME_CANCELLED:
      return 10;
    case v1::RUN_OUTCOME_UNSPECIFIED: return kExitNotFinished;
    default: return kExitTailorError;  // NOT_RUN, and anything newer than this tailorctl
  }
}

void PrintFailure(std::ostream& out, const std::string& function, v1::RunOutcome outcome,
                  const std::string& why, const std::string& stderr_tail) {
  if (outcome == v1::RUN_OUTCOME_SUCCEEDED) return;
  out << "error: " << function << " " << RunOutcomeName(outcome);
  if (!why.empty()) out << ": " << why;
  out << "\n";
  if (!stderr_tail.empty()) {
    out << "stderr (tail):\n" << stderr_tail;
    if (stderr_tail.back() != '\n') out << "\n";
  }
}

}  // namespace tailor::cli
