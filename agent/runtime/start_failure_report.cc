#include "agent/runtime/start_failure_report.h"

namespace tailor::agent {

v1::StartStep ToProtoStep(StartFailStep step) {
  switch (step) {
    case StartFailStep::kSpawner:
      return v1::START_STEP_SPAWNER;
    case StartFailStep::kJoin:
      return v1::START_STEP_JOIN;
    case StartFailStep::kCredentials:
      return v1::START_STEP_CREDENTIALS;
    case StartFailStep::kWorkingDir:
      return v1::START_STEP_WORKING_DIR;
    case StartFailStep::kExec:
      return v1::START_STEP_EXEC;
    case StartFailStep::kSandbox:
      return v1::START_STEP_SANDBOX;
  }
  return v1::START_STEP_UNSPECIFIED;
}

void MarkStartFailed(v1::StartStep step, const Status& why, v1::RunReport& report) {
  report.set_outcome(v1::RUN_OUTCOME_START_FAILED);
  report.set_start_step(step);
  report.set_exit_code(-1);
  report.set_error_message(why.ToString().substr(0, 4096));
}

}  // namespace tailor::agent
