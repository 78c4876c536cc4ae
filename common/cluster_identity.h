// ClusterIdentity: who is calling. Every call Tailor serves is made by one identity, proved
// either by a certificate from the cluster CA (mutual TLS) or by a bearer token:
//
//   scheduler   the scheduler, calling agents           cert O=tailor:scheduler
//   node        one agent, acting only for its node id  cert O=tailor:node, CN=<node id>
//   caller      a person or program with one role in one tenant:
//                 cert O=tailor:<role>, CN=<name>, OU=<tenant>, or a token (access_tokens.h)
//   anyone      every caller of a server started with --insecure-allow-anyone
//
// Roles (what a caller may do; the scheduler's Authorizer applies them):
//   admin     everything, in every tenant: nodes, tokens, drain
//   deployer  deploy and remove functions of its tenant, read their callback secrets
//   invoker   invoke its tenant's functions, sync and async, and read their results
//   platform  Place, Report, Explain, CancelPlacement, ListDecisions (a placement backend)
//   reader    list nodes, its tenant's functions and profiles, decisions on them
//
// TLS server names: the scheduler's certificate holds DNS:scheduler.tailor, a node's holds
// DNS:<node id>.node.tailor, so a caller that dials a node checks it reached that node.
//
// Thread-safety: pure functions and values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/pki.h"
#include "common/status.h"

namespace tailor {

enum class Role { kAdmin, kDeployer, kInvoker, kPlatform, kReader };

std::string_view RoleName(Role role);
// INVALID_ARGUMENT naming the roles for an unknown name.
Result<Role> ParseRole(std::string_view name);

struct Identity {
  enum class Kind { kAnyone, kScheduler, kNode, kCaller };
  Kind kind = Kind::kAnyone;
  std::string name;           // node id for kNode, the caller's name for kCaller
  Role role = Role::kReader;  // kCaller only
  std::string tenant;         // kCaller only
  bool by_certificate = false;

  // "node demo-new", "token ci-deployer (deployer, tenant acme)": for logs and errors.
  std::string Describe() const;
};

inline constexpr std::string_view kSchedulerServerName = "scheduler.tailor";
inline constexpr std::string_view kDefaultTenant = "default";
std::string NodeServerName(std::string_view node_id);

// The identity a verified certificate names. UNAUTHENTICATED for a certificate from the
// cluster CA that names no Tailor identity (say, one issued for something else).
Result<Identity> IdentityFromCertificate(const CertificateSubject& subject);

// What to ask the CA for. Node ids must fit a certificate's common name (1..64 bytes).
CertificateRequest SchedulerCertificateRequest(const std::vector<std::string>& extra_dns_names,
                                               const std::vector<std::string>& extra_ips,
                                               int valid_days);
Result<CertificateRequest> NodeCertificateRequest(std::string_view node_id,
                                                  const std::vector<std::string>& extra_dns_names,
                                                  const std::vector<std::string>& extra_ips,
                                                  int valid_days);
Result<CertificateRequest> CallerCertificateRequest(std::string_view name, Role role,
                                                    std::string_view tenant, int valid_days);

}  // namespace tailor
