// PlacementServiceImpl: tailor.v1.Placement (Place, Report, Explain) for platforms that run
// functions themselves. Report goes through RunIntake, like the agents' own reports.
//
// Thread-safety: called concurrently by gRPC; Placer and RunIntake are thread-safe.
#pragma once

#include "scheduler/placer.h"
#include "scheduler/run_intake.h"
#include "tailor/v1/placement.grpc.pb.h"

namespace tailor::scheduler {

class PlacementServiceImpl final : public v1::Placement::Service {
 public:
  PlacementServiceImpl(Placer& placer, RunIntake& intake) : placer_(placer), intake_(intake) {}

  grpc::Status Place(grpc::ServerContext* context, const v1::PlaceRequest* request,
                     v1::PlaceResponse* response) override;
  grpc::Status Report(grpc::ServerContext* context, const v1::ReportRequest* request,
                      v1::ReportResponse* response) override;
  grpc::Status Explain(grpc::ServerContext* context, const v1::ExplainRequest* request,
                       v1::ExplainResponse* response) override;

 private:
  Placer& placer_;
  RunIntake& intake_;
};

}  // namespace tailor::scheduler
