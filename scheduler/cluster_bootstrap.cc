#include "scheduler/cluster_bootstrap.h"

#include "common/cluster_identity.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/tls_files.h"

namespace tailor::scheduler {
namespace {

constexpr int kCaValidDays = 3650;
constexpr int kSchedulerCertValidDays = 825;

Result<TlsFiles> OwnCertificates(const SecurityOptions& options, const std::string& data_dir) {
  const std::string ca_dir = JoinPath(data_dir, "pki/ca");
  const std::string own_dir = JoinPath(data_dir, "pki/scheduler");
  if (PathExists(JoinPath(own_dir, "tls.crt"))) return LoadTlsDirectory(own_dir);
  KeyAndCertificate ca;
  if (PathExists(JoinPath(ca_dir, "ca.crt"))) {
    TAILOR_ASSIGN_OR_RETURN(ca, LoadCertificateAuthority(ca_dir));
  } else {
    TAILOR_ASSIGN_OR_RETURN(ca, CreateCertificateAuthority("Tailor cluster CA", kCaValidDays));
    TAILOR_RETURN_IF_ERROR(WriteCertificateAuthority(ca_dir, ca));
  }
  TAILOR_ASSIGN_OR_RETURN(
      auto own,
      IssueCertificate(ca, SchedulerCertificateRequest(options.extra_dns_names, options.extra_ips,
                                                       kSchedulerCertValidDays)));
  TAILOR_RETURN_IF_ERROR(WriteTlsDirectory(own_dir, ca.cert_pem, own));
  log::Warn(
      "made a cluster CA and a scheduler certificate: issue agent certificates with "
      "`tailorctl certs issue --ca-dir " +
          ca_dir + " ...`",
      {{"ca", ca_dir}, {"scheduler_tls", own_dir}});
  return LoadTlsDirectory(own_dir);
}

}  // namespace

Result<TransportSecurity> LoadSchedulerSecurity(const SecurityOptions& options,
                                                const std::string& data_dir) {
  TransportSecurity security;
  if (options.insecure) {
    security.insecure = true;
    log::Error(InsecureWarning(security));
    return security;
  }
  if (!options.tls_dir.empty()) {
    TAILOR_ASSIGN_OR_RETURN(security.tls, LoadTlsDirectory(options.tls_dir));
  } else {
    TAILOR_ASSIGN_OR_RETURN(security.tls, OwnCertificates(options, data_dir));
  }
  TAILOR_ASSIGN_OR_RETURN(const CertificateSubject subject,
                          ReadCertificateSubject(security.tls.cert_pem));
  auto identity = IdentityFromCertificate(subject);
  if (!identity.ok() || identity->kind != Identity::Kind::kScheduler) {
    return InvalidArgumentError("the scheduler's tls.crt is not a scheduler certificate (" +
                                subject.organization +
                                "); issue one with `tailorctl certs "
                                "issue --kind scheduler`");
  }
  return security;
}

Result<std::string> BootstrapAdminToken(AccessTokens& tokens, const std::string& data_dir) {
  for (const auto& t : tokens.List(false)) {
    if (t.role == Role::kAdmin) return std::string();
  }
  std::string name = "admin";
  auto created = tokens.Create(name, Role::kAdmin, kDefaultTenant);
  if (!created.ok()) return created.status();
  const std::string path = JoinPath(data_dir, "admin.token");
  TAILOR_RETURN_IF_ERROR(WriteFileAtomically(path, created->bearer + "\n", FileAccess::kOwnerOnly));
  log::Warn(
      "made the first admin token: keep it safe, make narrower tokens with `tailorctl "
      "tokens create`",
      {{"file", path}, {"token_id", created->token.id}});
  return path;
}

}  // namespace tailor::scheduler
