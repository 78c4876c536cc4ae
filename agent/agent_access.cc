#include "agent/agent_access.h"

#include "common/logging.h"

namespace tailor::agent {

bool AgentAccess::Allowed(const Identity& identity) const {
  if (identity.kind == Identity::Kind::kScheduler) return true;
  return identity.kind == Identity::Kind::kCaller && allowed_names_.contains(identity.name);
}

Status AgentAccess::Check(const grpc::ServerContextBase& context, std::string_view method) {
  if (insecure_) return OkStatus();
  auto who = peers_.Of(context);
  Status refused;
  if (!who.ok()) {
    refused = who.status();
  } else if (!Allowed(*who)) {
    refused = PermissionDeniedError(who->Describe() +
                                    " may not call the agent; only the "
                                    "scheduler and --allow-invoke-from identities may");
  } else {
    return OkStatus();
  }
  if (hook_) {
    hook_(refused.code() == StatusCode::kUnauthenticated ? "unauthenticated" : "permission_denied");
  }
  log::Warn("call refused", {{"method", std::string(method)},
                             {"identity", who.ok() ? who->Describe() : "unauthenticated caller"},
                             {"error", refused}});
  return refused;
}

}  // namespace tailor::agent
