#include "scheduler/placement_service.h"

#include <map>

#include "common/names.h"
#include "proto/grpc_status.h"
#include "proto/validation.h"

namespace tailor::scheduler {

grpc::ServerUnaryReactor* PlacementServiceImpl::Place(grpc::CallbackServerContext* context,
                                                      const v1::PlaceRequest* request,
                                                      v1::PlaceResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (auto who = authorizer_.Check(*context, Action::kPlace); !who.ok()) {
    reactor->Finish(ToGrpcStatus(who.status()));
    return reactor;
  }
  reactor->Finish(DoPlace(*request, response));
  return reactor;
}

grpc::Status PlacementServiceImpl::DoPlace(const v1::PlaceRequest& req,
                                           v1::PlaceResponse* response) {
  const v1::PlaceRequest* request = &req;
  if (Status s = ValidatePlaceRequest(req); !s.ok()) return ToGrpcStatus(s);
  PlaceInput in;
  in.function_name = request->function_name();
  in.function_version = request->function_version();
  in.payload_bytes = request->payload_bytes();
  in.candidate_node_ids.assign(request->candidate_node_ids().begin(),
                               request->candidate_node_ids().end());
  in.required_features.assign(request->required_features().begin(),
                              request->required_features().end());
  in.policy = request->policy();
  in.idempotency_key = request->idempotency_key();
  auto placed = placer_.Place(in);
  if (!placed.ok()) {
    const Status& s = placed.status();
    return ToGrpcStatus(s.reason() == ErrorReason::kNoCapacity ? s.WithRetryAfter(retry_after_)
                                                               : s);
  }
  response->set_decision_id(placed->decision_id);
  response->set_node_id(placed->node_id);
  response->set_node_address(placed->node_address);
  *response->mutable_allocation() = placed->allocation;
  response->set_predicted_duration_ms(placed->predicted_duration_ms);
  response->set_policy(placed->policy);
  response->set_explored(placed->explored);
  response->set_function_version(placed->function.version());
  response->set_replayed(placed->replayed);
  return grpc::Status::OK;
}

grpc::Status PlacementServiceImpl::Rank(grpc::ServerContext* context,
                                        const v1::RankRequest* request,
                                        v1::RankResponse* response) {
  if (auto who = authorizer_.Check(*context, Action::kPlace); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  if (Status s = ValidateRankRequest(*request); !s.ok()) return ToGrpcStatus(s);
  PlaceInput in;
  in.function_name = request->function_name();
  in.function_version = request->function_version();
  in.candidate_node_ids.assign(request->candidate_node_ids().begin(),
                               request->candidate_node_ids().end());
  in.required_features.assign(request->required_features().begin(),
                              request->required_features().end());
  in.policy = request->policy();
  if (request->has_allocation()) {
    in.allocation = models::Allocation{request->allocation().memory_limit_bytes(),
                                       request->allocation().cpu_millicores(), 0};
  }
  auto ranking = placer_.Rank(in);
  if (!ranking.ok()) return ToGrpcStatus(ranking.status());
  response->set_function_version(ranking->function.version());
  response->set_policy(ranking->policy);
  response->mutable_allocation()->set_memory_limit_bytes(ranking->allocation.memory_limit_bytes);
  response->mutable_allocation()->set_cpu_millicores(ranking->allocation.cpu_millicores);
  response->mutable_allocation()->set_cache_ways(ranking->allocation.cache_ways);
  const size_t limit = request->limit() == 0 ? ranking->nodes.size() : request->limit();
  for (size_t i = 0; i < ranking->nodes.size() && i < limit; ++i) {
    const RankedNode& n = ranking->nodes[i];
    v1::RankedNode* out = response->add_nodes();
    out->set_node_id(n.node_id);
    out->set_host_class(n.host_class);
    out->set_eligible(n.eligible);
    out->set_reason(n.reason);
    out->set_score(n.score);
    out->set_predicted_duration_ms(n.predicted_duration_ms);
  }
  return grpc::Status::OK;
}

bool PlacementServiceImpl::SeesFunction(const Identity& who, const std::string& function_name) {
  if (SeesTenant(who, "")) return true;  // admins, platforms: every tenant
  auto tenant = functions_.TenantOf(function_name);
  return tenant.ok() && SeesTenant(who, *tenant);
}

grpc::Status PlacementServiceImpl::Report(grpc::ServerContext* context,
                                          const v1::ReportRequest* request,
                                          v1::ReportResponse* response) {
  if (auto who = authorizer_.Check(*context, Action::kPlace); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  v1::RunReport report = request->report();
  if (!request->decision_id().empty()) {
    if (!report.decision_id().empty() && report.decision_id() != request->decision_id()) {
      return ToGrpcStatus(InvalidArgumentError("decision_id differs from report.decision_id")
                              .WithField("decision_id"));
    }
    report.set_decision_id(request->decision_id());
  }
  if (!report.node_id().empty()) report.set_node_id(placer_.NodeIdOfReported(report.node_id()));
  auto verdicts = intake_.Accept({&report});
  if (!verdicts.ok()) return ToGrpcStatus(verdicts.status());
  const RunIntake::Verdict& v = (*verdicts)[0];
  if (!v.rejected.ok()) return ToGrpcStatus(v.rejected);
  // A duplicate still frees the decision, in case the first report raced the reservation.
  if (!report.decision_id().empty()) placer_.Release(report.decision_id());
  response->set_duplicate(!v.fresh);
  return grpc::Status::OK;
}

grpc::Status PlacementServiceImpl::CancelPlacement(grpc::ServerContext* context,
                                                   const v1::CancelPlacementRequest* request,
                                                   v1::CancelPlacementResponse* response) {
  if (auto who = authorizer_.Check(*context, Action::kPlace); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  if (Status s = CheckName(NameKind::kId, request->decision_id(), "decision_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  response->set_released(placer_.Release(request->decision_id()));
  return grpc::Status::OK;
}

grpc::Status PlacementServiceImpl::Explain(grpc::ServerContext* context,
                                           const v1::ExplainRequest* request,
                                           v1::ExplainResponse* response) {
  auto who = authorizer_.Check(*context, Action::kExplain);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (Status s = CheckName(NameKind::kId, request->decision_id(), "decision_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto e = placer_.Explain(request->decision_id());
  if (!e.ok()) return ToGrpcStatus(e.status());
  if (!SeesFunction(*who, e->function_name())) {
    return ToGrpcStatus(NotFoundError("no decision " + request->decision_id()));
  }
  *response = std::move(*e);
  return grpc::Status::OK;
}

grpc::Status PlacementServiceImpl::ListDecisions(grpc::ServerContext* context,
                                                 const v1::ListDecisionsRequest* request,
                                                 v1::ListDecisionsResponse* response) {
  auto who = authorizer_.Check(*context, Action::kExplain);
  if (!who.ok()) return ToGrpcStatus(who.status());
  constexpr uint32_t kMaxLimit = 1000;
  if (Status s = CheckName(NameKind::kFunction, request->function_name(), "function_name");
      !request->function_name().empty() && !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (request->limit() > kMaxLimit) {
    return ToGrpcStatus(InvalidArgumentError("limit " + std::to_string(request->limit()) +
                                             " is over the most a call returns, " +
                                             std::to_string(kMaxLimit)));
  }
  v1::ListDecisionsResponse all = placer_.ListDecisions(
      request->limit() == 0 ? 20 : request->limit(), request->function_name());
  // Many decisions name the same few functions: look each one's tenant up once per call.
  std::map<std::string, bool, std::less<>> sees;
  for (auto& d : *all.mutable_decisions()) {
    auto [it, fresh] = sees.try_emplace(d.function_name(), false);
    if (fresh) it->second = SeesFunction(*who, d.function_name());
    if (it->second) *response->add_decisions() = std::move(d);
  }
  response->set_decisions_kept(all.decisions_kept());
  return grpc::Status::OK;
}

}  // namespace tailor::scheduler
