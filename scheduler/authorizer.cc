#include "scheduler/authorizer.h"

#include "common/logging.h"

namespace tailor::scheduler {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

bool RoleAllows(Role role, Action action) {
  switch (action) {
    case Action::kNodeSelf:
      return false;
    case Action::kWhoAmI:
      return true;
    case Action::kManageNodes:
    case Action::kManageTokens:
      return role == Role::kAdmin;
    case Action::kFetchBundle:
      return role == Role::kAdmin;
    case Action::kDeploy:
    case Action::kCallbackSecret:
      return role == Role::kAdmin || role == Role::kDeployer;
    case Action::kListNodes:
      return role == Role::kAdmin || role == Role::kPlatform || role == Role::kReader;
    case Action::kListFunctions:
    case Action::kReadProfiles:
      return role != Role::kPlatform;
    case Action::kInvoke:
    case Action::kReadResults:
      return role == Role::kAdmin || role == Role::kInvoker;
    case Action::kPlace:
      return role == Role::kAdmin || role == Role::kPlatform;
    case Action::kExplain:
      return role == Role::kAdmin || role == Role::kPlatform || role == Role::kReader;
    case Action::kRegisterFunction:
      return role == Role::kAdmin || role == Role::kDeployer || role == Role::kPlatform;
  }
  return false;
}

}  // namespace

std::string_view ActionName(Action action) {
  static constexpr std::string_view kNames[] = {
      "node_self",     "fetch_bundle",   "list_nodes",      "manage_nodes", "manage_tokens",
      "deploy",        "list_functions", "callback_secret", "invoke",       "read_results",
      "read_profiles", "place",          "explain",         "whoami",       "register_function"};
  return kNames[static_cast<int>(action)];
}

bool Allows(const Identity& identity, Action action) {
  switch (identity.kind) {
    case Identity::Kind::kAnyone:
      return true;
    case Identity::Kind::kScheduler:
      return action == Action::kWhoAmI;
    case Identity::Kind::kNode:
      return action == Action::kNodeSelf || action == Action::kFetchBundle ||
             action == Action::kWhoAmI;
    case Identity::Kind::kCaller:
      return RoleAllows(identity.role, action);
  }
  return false;
}

bool SeesTenant(const Identity& identity, std::string_view tenant) {
  if (identity.kind != Identity::Kind::kCaller) return true;
  return identity.role == Role::kAdmin || identity.role == Role::kPlatform ||
         identity.tenant == tenant;
}

std::string HomeTenant(const Identity& identity) {
  if (identity.kind == Identity::Kind::kCaller) return identity.tenant;
  return std::string(kDefaultTenant);
}

Result<Identity> Authorizer::Check(const grpc::ServerContextBase& context, Action action) {
  if (options_.insecure) return Identity{};
  return Decide(Authenticate(context), action);
}

Result<Identity> Authorizer::CheckHttp(std::string_view authorization_header, Action action) {
  if (options_.insecure) return Identity{};
  if (authorization_header.empty()) {
    return Decide(UnauthenticatedError("no credentials: send Authorization: Bearer <token>"),
                  action);
  }
  return Decide(FromBearer(authorization_header), action);
}

Result<Identity> Authorizer::CheckSigV4(const SigV4Request& request,
                                        std::string_view authorization_header,
                                        std::string_view service, Action action) {
  if (options_.insecure) return Identity{};
  auto auth = ParseSigV4Authorization(authorization_header);
  if (!auth.ok()) return Decide(auth.status(), action);
  if (tokens_ == nullptr) {
    return Decide(UnauthenticatedError("this scheduler has no access keys")
                      .WithReason(ErrorReason::kUnknownCredential),
                  action);
  }
  auto key = tokens_->FindAwsKey(auth->key_id);
  if (!key.ok()) return Decide(key.status().WithReason(ErrorReason::kUnknownCredential), action);
  Status verified = VerifySigV4(request, *auth, key->secret, options_.clock->WallNow(), service);
  if (!verified.ok()) return Decide(verified, action);
  return Decide(key->identity, action);
}

Status Authorizer::CheckNode(const Identity& identity, std::string_view node_id, Action action) {
  if (identity.kind == Identity::Kind::kAnyone) return OkStatus();
  if (identity.kind == Identity::Kind::kNode && identity.name == node_id) return OkStatus();
  return Deny(PermissionDeniedError(identity.Describe() + " may not act for node " +
                                    std::string(node_id.substr(0, 128))),
              identity.Describe(), action);
}

Result<Identity> Authorizer::Authenticate(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    return FromBearer(std::string_view(it->second.data(), it->second.size()));
  }
  return peers_.Of(context);
}

Result<Identity> Authorizer::FromBearer(std::string_view header_value) {
  if (header_value.substr(0, kBearerPrefix.size()) != kBearerPrefix) {
    return UnauthenticatedError("the authorization header is not \"Bearer <token>\"");
  }
  return tokens_->Verify(header_value.substr(kBearerPrefix.size()));
}

Result<Identity> Authorizer::Decide(Result<Identity> who, Action action) {
  if (!who.ok()) return Deny(who.status(), "unauthenticated caller", action);
  if (!Allows(*who, action)) {
    return Deny(
        PermissionDeniedError(who->Describe() + " may not " + std::string(ActionName(action))),
        who->Describe(), action);
  }
  return who;
}

Status Authorizer::Deny(Status why, const std::string& identity, Action action) {
  const bool unauthenticated = why.code() == StatusCode::kUnauthenticated;
  if (hook_) hook_(unauthenticated ? "unauthenticated" : "permission_denied", action);
  log::Warn("call refused",
            {{"identity", identity}, {"action", std::string(ActionName(action))}, {"error", why}});
  return why;
}

}  // namespace tailor::scheduler
