// RunIngestServiceImpl: tailor.internal.v1.RunIngest, where agents deliver their spooled run
// reports. The sender must be the node it names (its certificate: authorizer.h) and registered
// (NOT_FOUND otherwise: it registers again), and every report must be its own run. Each report is
// checked on its own (RunIntake): stored ones are acknowledged, refused ones listed as rejected
// with the field and reason, so the agent can drop them instead of resending them forever.
//
// Thread-safety: called concurrently by gRPC; RunIntake is thread-safe.
#pragma once

#include <atomic>

#include "scheduler/authorizer.h"
#include "scheduler/run_intake.h"
#include "tailor/internal/v1/ingest.grpc.pb.h"

namespace tailor::scheduler {

class RunIngestServiceImpl final : public internal::v1::RunIngest::Service {
 public:
  RunIngestServiceImpl(Authorizer& authorizer, RunIntake& intake, NodeRegistry& nodes)
      : authorizer_(authorizer), intake_(intake), nodes_(nodes) {}

  grpc::Status SubmitRunReports(grpc::ServerContext* context,
                                const internal::v1::SubmitRunReportsRequest* request,
                                internal::v1::SubmitRunReportsResponse* response) override;

 private:
  Authorizer& authorizer_;
  RunIntake& intake_;
  NodeRegistry& nodes_;
};

}  // namespace tailor::scheduler
