#include "scheduler/run_ingest_service.h"

#include "proto/grpc_status.h"

namespace tailor::scheduler {

grpc::Status RunIngestServiceImpl::SubmitRunReports(grpc::ServerContext*,
                                                    const v1::SubmitRunReportsRequest* request,
                                                    v1::SubmitRunReportsResponse* response) {
  std::vector<const v1::RunReport*> reports;
  reports.reserve(static_cast<size_t>(request->reports_size()));
  for (const auto& r : request->reports()) reports.push_back(&r);
  auto inserted = intake_.Accept(reports);
  if (!inserted.ok()) return ToGrpcStatus(inserted.status());
  for (const auto* r : reports) response->add_acknowledged_invocation_ids(r->invocation_id());
  return grpc::Status::OK;
}

}  // namespace tailor::scheduler
