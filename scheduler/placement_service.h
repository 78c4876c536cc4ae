// PlacementServiceImpl: tailor.v1.Placement (Place, Report, Explain, ListDecisions) for platforms
// that run functions themselves. Report goes through RunIntake, like the agents' own reports.
//
// Place uses gRPC's callback API and answers inline: a decision takes microseconds and never
// blocks, and skipping the sync server's thread hand-offs is what its throughput depends on.
// Place never waits for capacity (platforms keep their own queues: Kubernetes retries pods it
// could not schedule); RESOURCE_EXHAUSTED and UNAVAILABLE for lack of capacity carry a retry
// hint (`retry_after`) in their ErrorDetail.
// Report (which writes SQLite) and Explain stay on the sync thread pool.
//
// Access (authorizer.h): Place, Rank, Report and CancelPlacement need the platform role; Explain
// and ListDecisions a platform or reader, and a reader sees only decisions on its tenant's
// functions.
//
// Thread-safety: called concurrently by gRPC; Placer and RunIntake are thread-safe.
#pragma once

#include <chrono>

#include "scheduler/authorizer.h"
#include "scheduler/function_registry.h"
#include "scheduler/placer.h"
#include "scheduler/run_intake.h"
#include "tailor/v1/placement.grpc.pb.h"

namespace tailor::scheduler {

class PlacementServiceImpl final
    : public v1::Placement::WithCallbackMethod_Place<v1::Placement::Service> {
 public:
  PlacementServiceImpl(Authorizer& authorizer, Placer& placer, RunIntake& intake,
                       FunctionRegistry& functions, std::chrono::milliseconds retry_after)
      : authorizer_(authorizer),
        placer_(placer),
        intake_(intake),
        functions_(functions),
        retry_after_(retry_after) {}

  grpc::ServerUnaryReactor* Place(grpc::CallbackServerContext* context,
                                  const v1::PlaceRequest* request,
                                  v1::PlaceResponse* response) override;
  grpc::Status Report(grpc::ServerContext* context, const v1::ReportRequest* request,
                      v1::ReportResponse* response) override;
  grpc::Status CancelPlacement(grpc::ServerContext* context,
                               const v1::CancelPlacementRequest* request,
                               v1::CancelPlacementResponse* response) override;
  grpc::Status Explain(grpc::ServerContext* context, const v1::ExplainRequest* request,
                       v1::ExplainResponse* response) override;
  grpc::Status Rank(grpc::ServerContext* context, const v1::RankRequest* request,
                    v1::RankResponse* response) override;
  grpc::Status ListDecisions(grpc::ServerContext* context, const v1::ListDecisionsRequest* request,
                             v1::ListDecisionsResponse* response) override;

 private:
  grpc::Status DoPlace(const v1::PlaceRequest& request, v1::PlaceResponse* response);
  // Whether `who` may see decisions on `function_name`.
  bool SeesFunction(const Identity& who, const std::string& function_name);

  Authorizer& authorizer_;
  Placer& placer_;
  RunIntake& intake_;
  FunctionRegistry& functions_;
  const std::chrono::milliseconds retry_after_;
};

}  // namespace tailor::scheduler
