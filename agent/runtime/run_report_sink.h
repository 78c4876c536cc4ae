// RunReportSink: where finished run reports go (the agent's durable spool in production).
#pragma once

#include "common/status.h"
#include "tailor/v1/run_report.pb.h"

namespace tailor::agent {

class RunReportSink {
 public:
  virtual ~RunReportSink() = default;
  virtual Status Append(const v1::RunReport& report) = 0;
};

}  // namespace tailor::agent
