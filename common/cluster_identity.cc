#include "common/cluster_identity.h"

#include "common/names.h"

namespace tailor {
namespace {

constexpr std::string_view kOrgPrefix = "tailor:";
constexpr std::string_view kRoleNames[] = {"admin", "deployer", "invoker", "platform", "reader"};

// The scheduler's and nodes' certificates: they serve (to be dialled by `server_name` or on
// loopback) and call as clients.
CertificateRequest ServingRequest(std::string common_name, std::string_view kind,
                                  std::string server_name,
                                  const std::vector<std::string>& extra_dns_names,
                                  const std::vector<std::string>& extra_ips, int valid_days) {
  CertificateRequest r;
  r.common_name = std::move(common_name);
  r.organization = std::string(kOrgPrefix) + std::string(kind);
  r.dns_names = extra_dns_names;
  r.dns_names.emplace_back("localhost");
  r.dns_names.push_back(std::move(server_name));
  r.ip_addresses = extra_ips;
  r.ip_addresses.emplace_back("127.0.0.1");
  r.ip_addresses.emplace_back("::1");
  r.server = true;
  r.client = true;
  r.valid_days = valid_days;
  return r;
}

}  // namespace

std::string_view RoleName(Role role) { return kRoleNames[static_cast<int>(role)]; }

Result<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (name == kRoleNames[i]) return static_cast<Role>(i);
  }
  return InvalidArgumentError("unknown role " + Excerpt(name) +
                              " (roles: admin, deployer, invoker, platform, reader)");
}

std::string Identity::Describe() const {
  switch (kind) {
    case Kind::kAnyone:
      return "anyone (insecure)";
    case Kind::kScheduler:
      return "scheduler";
    case Kind::kNode:
      return "node " + name;
    case Kind::kCaller:
      break;
  }
  return std::string(by_certificate ? "certificate " : "token ") + name + " (" +
         std::string(RoleName(role)) + ", tenant " + tenant + ")";
}

std::string NodeServerName(std::string_view node_id) {
  return std::string(node_id) + ".node.tailor";
}

Result<Identity> IdentityFromCertificate(const CertificateSubject& subject) {
  const std::string& org = subject.organization;
  if (org.rfind(kOrgPrefix, 0) != 0) {
    return UnauthenticatedError(
        "the client certificate names no Tailor identity (O=" + Excerpt(org) + ")");
  }
  const std::string_view kind = std::string_view(org).substr(kOrgPrefix.size());
  Identity id;
  id.by_certificate = true;
  if (kind == "scheduler") {
    id.kind = Identity::Kind::kScheduler;
    return id;
  }
  if (kind == "node") {
    TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kNodeId, subject.common_name, "certificate CN"));
    id.kind = Identity::Kind::kNode;
    id.name = subject.common_name;
    return id;
  }
  auto role = ParseRole(kind);
  if (!role.ok()) return UnauthenticatedError("the client certificate names no Tailor role");
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kId, subject.common_name, "certificate CN"));
  TAILOR_RETURN_IF_ERROR(
      CheckName(NameKind::kTenant, subject.organizational_unit, "certificate OU (tenant)"));
  id.kind = Identity::Kind::kCaller;
  id.role = *role;
  id.name = subject.common_name;
  id.tenant = subject.organizational_unit;
  return id;
}

CertificateRequest SchedulerCertificateRequest(const std::vector<std::string>& extra_dns_names,
                                               const std::vector<std::string>& extra_ips,
                                               int valid_days) {
  // It serves every caller and calls agents.
  return ServingRequest("tailor-scheduler", "scheduler", std::string(kSchedulerServerName),
                        extra_dns_names, extra_ips, valid_days);
}

Result<CertificateRequest> NodeCertificateRequest(std::string_view node_id,
                                                  const std::vector<std::string>& extra_dns_names,
                                                  const std::vector<std::string>& extra_ips,
                                                  int valid_days) {
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kNodeId, node_id, "node id"));
  if (node_id.size() > 64) {
    return InvalidArgumentError("a node id in a certificate is at most 64 bytes");
  }
  // It serves Invoke to the scheduler and registers, heartbeats and reports as a client.
  return ServingRequest(std::string(node_id), "node", NodeServerName(node_id), extra_dns_names,
                        extra_ips, valid_days);
}

Result<CertificateRequest> CallerCertificateRequest(std::string_view name, Role role,
                                                    std::string_view tenant, int valid_days) {
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kId, name, "name"));
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kTenant, tenant, "tenant"));
  if (name.size() > 64) return InvalidArgumentError("a name in a certificate is at most 64 bytes");
  CertificateRequest r;
  r.common_name = std::string(name);
  r.organization = std::string(kOrgPrefix) + std::string(RoleName(role));
  r.organizational_unit = std::string(tenant);
  r.client = true;
  r.valid_days = valid_days;
  return r;
}

}  // namespace tailor
