#include "scheduler/access_service.h"

#include "common/logging.h"
#include "proto/grpc_status.h"

namespace tailor::scheduler {
namespace {

std::string_view KindName(Identity::Kind kind) {
  switch (kind) {
    case Identity::Kind::kAnyone:
      return "anyone";
    case Identity::Kind::kScheduler:
      return "scheduler";
    case Identity::Kind::kNode:
      return "node";
    case Identity::Kind::kCaller:
      return "caller";
  }
  return "";
}

void ToProto(const AccessTokens::Token& t, v1::AccessToken* out) {
  out->set_id(t.id);
  out->set_name(t.name);
  out->set_role(std::string(RoleName(t.role)));
  out->set_tenant(t.tenant);
  out->set_created_unix_ms(t.created_unix_ms);
  out->set_revoked_unix_ms(t.revoked_unix_ms);
  out->set_aws_access_key_id(t.aws_key_id);
}

}  // namespace

Status AccessServiceImpl::CheckTokenCall(const grpc::ServerContext& context) {
  TAILOR_RETURN_IF_ERROR(authorizer_.Check(context, Action::kManageTokens));
  if (tokens_ == nullptr) {
    return FailedPreconditionError(
        "this scheduler runs with --insecure-allow-anyone and checks no tokens");
  }
  return OkStatus();
}

grpc::Status AccessServiceImpl::WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest*,
                                       v1::WhoAmIResponse* response) {
  auto who = authorizer_.Check(*context, Action::kWhoAmI);
  if (!who.ok()) return ToGrpcStatus(who.status());
  response->set_kind(std::string(KindName(who->kind)));
  response->set_name(who->name);
  if (who->kind == Identity::Kind::kCaller) {
    response->set_role(std::string(RoleName(who->role)));
    response->set_tenant(who->tenant);
  }
  response->set_by_certificate(who->by_certificate);
  return grpc::Status::OK;
}

grpc::Status AccessServiceImpl::CreateToken(grpc::ServerContext* context,
                                            const v1::CreateTokenRequest* request,
                                            v1::CreateTokenResponse* response) {
  if (Status s = CheckTokenCall(*context); !s.ok()) return ToGrpcStatus(s);
  auto role = ParseRole(request->role());
  if (!role.ok()) return ToGrpcStatus(role.status().WithField("role"));
  const std::string tenant =
      request->tenant().empty() ? std::string(kDefaultTenant) : request->tenant();
  auto created = tokens_->Create(request->name(), *role, tenant, request->aws_access_key());
  if (!created.ok()) return ToGrpcStatus(created.status());
  log::Info("token created", {{"id", created->token.id},
                              {"name", created->token.name},
                              {"role", request->role()},
                              {"tenant", tenant}});
  ToProto(created->token, response->mutable_token());
  response->set_bearer(created->bearer);
  response->set_aws_secret_access_key(created->aws_secret);
  return grpc::Status::OK;
}

grpc::Status AccessServiceImpl::ListTokens(grpc::ServerContext* context,
                                           const v1::ListTokensRequest* request,
                                           v1::ListTokensResponse* response) {
  if (Status s = CheckTokenCall(*context); !s.ok()) return ToGrpcStatus(s);
  for (const auto& t : tokens_->List(request->include_revoked())) {
    ToProto(t, response->add_tokens());
  }
  return grpc::Status::OK;
}

grpc::Status AccessServiceImpl::RevokeToken(grpc::ServerContext* context,
                                            const v1::RevokeTokenRequest* request,
                                            v1::RevokeTokenResponse* response) {
  if (Status s = CheckTokenCall(*context); !s.ok()) return ToGrpcStatus(s);
  auto revoked = tokens_->Revoke(request->id_or_name());
  if (!revoked.ok()) return ToGrpcStatus(revoked.status());
  log::Info("token revoked", {{"id", revoked->id}, {"name", revoked->name}});
  ToProto(*revoked, response->mutable_token());
  return grpc::Status::OK;
}

}  // namespace tailor::scheduler
