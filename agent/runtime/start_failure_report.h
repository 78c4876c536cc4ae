// How a run that never started is written in its report, shared by process runs and warm
// Lambda instances.
#pragma once

#include "agent/runtime/process_runner.h"
#include "common/status.h"
#include "tailor/v1/run_report.pb.h"

namespace tailor::agent {

v1::StartStep ToProtoStep(StartFailStep step);
void MarkStartFailed(v1::StartStep step, const Status& why, v1::RunReport& report);

}  // namespace tailor::agent
