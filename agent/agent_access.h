// AgentAccess: who may call this agent's API. Only the scheduler (its certificate says
// O=tailor:scheduler, cluster_identity.h) and the caller certificates the operator names with
// --allow-invoke-from (by their CN: a platform that calls agents itself). Everyone else, other
// nodes included, is refused: UNAUTHENTICATED without a certificate from the cluster CA,
// PERMISSION_DENIED with one that is not allowed. Each refusal is logged with the identity and
// counted (the denial hook).
//
// With `insecure` (--insecure-allow-anyone) every call is allowed.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <grpcpp/server_context.h>

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"
#include "proto/peer_identity.h"

namespace tailor::agent {

class AgentAccess {
 public:
  using DenialHook = std::function<void(std::string_view code)>;
  AgentAccess(bool insecure, std::set<std::string> allowed_names)
      : insecure_(insecure), allowed_names_(std::move(allowed_names)) {}

  void SetDenialHook(DenialHook hook) { hook_ = std::move(hook); }
  Status Check(const grpc::ServerContextBase& context, std::string_view method);

 private:
  bool Allowed(const Identity& identity) const;

  const bool insecure_;
  const std::set<std::string> allowed_names_;
  PeerIdentities peers_;
  DenialHook hook_;
};

}  // namespace tailor::agent
