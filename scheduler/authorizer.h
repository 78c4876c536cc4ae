// Authorizer: the first step of every scheduler RPC and HTTP request. It finds who is calling
// (a bearer token, else a verified client certificate: cluster_identity.h), then whether that
// identity may take the action, as Kubernetes does: authenticated first, then authorized by
// role, and nodes only for their own objects.
//
//   action           who may
//   kNodeSelf        the node named in the request (Register, Heartbeat, run reports, its drain)
//   kFetchBundle     nodes; admin
//   kListNodes       admin, platform, reader
//   kManageNodes     admin (drain, deregister)
//   kManageTokens    admin
//   kDeploy          admin, deployer
//   kListFunctions   admin, deployer, invoker, reader
//   kCallbackSecret  admin, deployer
//   kInvoke          admin, invoker
//   kReadResults     admin, invoker
//   kReadProfiles    admin, deployer, invoker, reader
//   kPlace           admin, platform (Place, Report, CancelPlacement)
//   kExplain         admin, platform, reader (Explain, ListDecisions)
//   kWhoAmI          everyone authenticated
//   kRegisterFunction admin, deployer, platform (placement-only functions: RegisterFunction)
//
// Missing or wrong credentials: UNAUTHENTICATED. A known identity without the role:
// PERMISSION_DENIED. Objects of another tenant are answered as if they did not exist
// (NOT_FOUND), so a caller learns nothing of other tenants' names. Every refusal is counted
// (the denial hook) and logged with the identity and the action.
//
// With `insecure` (--insecure-allow-anyone) every call is made by "anyone", who may do all.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <grpcpp/server_context.h>

#include <functional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/cluster_identity.h"
#include "common/status.h"
#include "proto/peer_identity.h"
#include "scheduler/access_tokens.h"
#include "scheduler/sigv4.h"

namespace tailor::scheduler {

enum class Action {
  kNodeSelf,
  kFetchBundle,
  kListNodes,
  kManageNodes,
  kManageTokens,
  kDeploy,
  kListFunctions,
  kCallbackSecret,
  kInvoke,
  kReadResults,
  kReadProfiles,
  kPlace,
  kExplain,
  kWhoAmI,
  kRegisterFunction,
};
std::string_view ActionName(Action action);

// Whether an identity's kind and role allow an action (the table above), tenants aside.
bool Allows(const Identity& identity, Action action);

class Authorizer {
 public:
  struct Options {
    bool insecure = false;
    const Clock* clock = &RealClock::Get();  // the time signed requests are checked against
  };
  // `tokens` may be null only when insecure.
  Authorizer(Options options, const AccessTokens* tokens) : options_(options), tokens_(tokens) {}

  // Called with "unauthenticated" or "permission_denied" and the action for every refusal.
  using DenialHook = std::function<void(std::string_view code, Action action)>;
  void SetDenialHook(DenialHook hook) { hook_ = std::move(hook); }

  // Who makes a gRPC call, if they may take `action`.
  Result<Identity> Check(const grpc::ServerContextBase& context, Action action);
  // Who sends an HTTP request with this Authorization header value, if they may take `action`.
  Result<Identity> CheckHttp(std::string_view authorization_header, Action action);

  // Who sends an HTTP request signed with AWS Signature Version 4 (sigv4.h) for `service`, with
  // a token's access key, if they may take `action`. A malformed signature header is
  // INVALID_ARGUMENT (field "Authorization"); an unknown key UNAUTHENTICATED with
  // ErrorReason::kUnknownCredential; a wrong signature or time UNAUTHENTICATED with kBadSignature.
  Result<Identity> CheckSigV4(const SigV4Request& request, std::string_view authorization_header,
                              std::string_view service, Action action);

  // PERMISSION_DENIED unless `identity` is the node `node_id` (or anyone, when insecure).
  Status CheckNode(const Identity& identity, std::string_view node_id, Action action);

  bool insecure() const { return options_.insecure; }

 private:
  Result<Identity> Authenticate(const grpc::ServerContextBase& context);
  Result<Identity> FromBearer(std::string_view header_value);
  Result<Identity> Decide(Result<Identity> who, Action action);
  Status Deny(Status why, const std::string& identity, Action action);

  const Options options_;
  const AccessTokens* tokens_;
  PeerIdentities peers_;
  DenialHook hook_;
};

// Whether `identity` may see and touch objects of `tenant`: admins, anyone (insecure), nodes
// and the platform (which acts for a whole FaaS platform) see every tenant; callers their own.
bool SeesTenant(const Identity& identity, std::string_view tenant);

// The tenant a caller acts in when it names none: its own; "default" for the others.
std::string HomeTenant(const Identity& identity);

}  // namespace tailor::scheduler
