// RunIngestServiceImpl: tailor.v1.RunIngest, where agents deliver their spooled run reports.
// A batch is validated whole (INVALID_ARGUMENT, nothing stored, when any report is malformed),
// stored idempotently, and every report in it is acknowledged.
//
// Thread-safety: called concurrently by gRPC; RunIntake is thread-safe.
#pragma once

#include <atomic>

#include "scheduler/run_intake.h"
#include "tailor/v1/ingest.grpc.pb.h"

namespace tailor::scheduler {

class RunIngestServiceImpl final : public v1::RunIngest::Service {
 public:
  explicit RunIngestServiceImpl(RunIntake& intake) : intake_(intake) {}

  grpc::Status SubmitRunReports(grpc::ServerContext* context,
                                const v1::SubmitRunReportsRequest* request,
                                v1::SubmitRunReportsResponse* response) override;

 private:
  RunIntake& intake_;
};

}  // namespace tailor::scheduler
