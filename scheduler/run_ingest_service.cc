#include "scheduler/run_ingest_service.h"

#include "common/names.h"
#include "proto/grpc_status.h"
#include "proto/validation.h"

namespace tailor::scheduler {

grpc::Status RunIngestServiceImpl::SubmitRunReports(
    grpc::ServerContext* context, const internal::v1::SubmitRunReportsRequest* request,
    internal::v1::SubmitRunReportsResponse* response) {
  auto who = authorizer_.Check(*context, Action::kNodeSelf);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (Status s = authorizer_.CheckNode(*who, request->node_id(), Action::kNodeSelf); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (Status s = CheckName(NameKind::kNodeId, request->node_id(), "node_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (static_cast<size_t>(request->reports_size()) > kMaxReportsPerBatch) {
    return ToGrpcStatus(InvalidArgumentError("reports: at most " +
                                             std::to_string(kMaxReportsPerBatch) + " per call")
                            .WithField("reports"));
  }
  if (Status s = nodes_.CheckRegistered(request->node_id()); !s.ok()) return ToGrpcStatus(s);
  std::vector<const v1::RunReport*> reports;
  for (int i = 0; i < request->reports_size(); ++i) {
    const v1::RunReport& r = request->reports(i);
    if (r.node_id() != request->node_id()) {
      auto* rejected = response->add_rejected();
      rejected->set_invocation_id(r.invocation_id().substr(0, 128));
      rejected->set_field("report.node_id");
      rejected->set_reason("is another node's run; a node reports only its own");
      continue;
    }
    reports.push_back(&r);
  }
  auto verdicts = intake_.Accept(reports);
  if (!verdicts.ok()) return ToGrpcStatus(verdicts.status());
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& v = (*verdicts)[i];
    if (v.rejected.ok()) {
      response->add_acknowledged_invocation_ids(reports[i]->invocation_id());
      continue;
    }
    auto* rejected = response->add_rejected();
    rejected->set_invocation_id(reports[i]->invocation_id().substr(0, 128));
    rejected->set_field(v.rejected.field());
    rejected->set_reason(std::string(v.rejected.message()));
  }
  return grpc::Status::OK;
}

}  // namespace tailor::scheduler
