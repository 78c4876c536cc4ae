#include "cli/certs_command.h"

#include <iostream>

#include "common/cluster_identity.h"
#include "common/file_util.h"
#include "common/pki.h"
#include "common/tls_files.h"

namespace tailor::cli {
namespace {

int Fail(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 1;
}

int InitCa(const CertsOptions& options) {
  if (PathExists(JoinPath(options.ca_dir, "ca.key"))) {
    return Fail(AlreadyExistsError(options.ca_dir + " already holds a CA; a new one would "
                                                    "orphan every certificate it signed"));
  }
  auto ca = CreateCertificateAuthority("Tailor cluster CA", std::max(options.valid_days, 3650));
  if (!ca.ok()) return Fail(ca.status());
  if (Status s = WriteCertificateAuthority(options.ca_dir, *ca); !s.ok()) return Fail(s);
  std::cout << "made a cluster CA in " << options.ca_dir << " (ca.crt, ca.key)\n";
  return 0;
}

Result<CertificateRequest> RequestFor(const CertsOptions& o) {
  if (o.kind == "scheduler") return SchedulerCertificateRequest(o.dns_names, o.ips, o.valid_days);
  if (o.kind == "node") return NodeCertificateRequest(o.node_id, o.dns_names, o.ips, o.valid_days);
  TAILOR_ASSIGN_OR_RETURN(const Role role, ParseRole(o.role));
  return CallerCertificateRequest(o.name, role, o.tenant, o.valid_days);
}

int Issue(const CertsOptions& options) {
  auto ca = LoadCertificateAuthority(options.ca_dir);
  if (!ca.ok()) return Fail(ca.status().WithContext("reading the CA"));
  auto request = RequestFor(options);
  if (!request.ok()) return Fail(request.status());
  auto issued = IssueCertificate(*ca, *request);
  if (!issued.ok()) return Fail(issued.status());
  if (Status s = WriteTlsDirectory(options.out_dir, ca->cert_pem, *issued); !s.ok()) {
    return Fail(s);
  }
  std::cout << "issued a " << options.kind << " certificate for " << request->common_name
            << " into " << options.out_dir << " (ca.crt, tls.crt, tls.key), valid "
            << options.valid_days << " days\n";
  return 0;
}

}  // namespace

CLI::App* AddCertsCommand(CLI::App& app, CertsOptions& options) {
  auto* cmd = app.add_subcommand("certs", "Make a cluster CA and issue certificates (offline)");
  cmd->require_subcommand(1);
  options.init_ca = cmd->add_subcommand("init-ca", "Make a new cluster CA");
  options.init_ca->add_option("--ca-dir", options.ca_dir, "Where ca.crt and ca.key go")->required();
  options.issue = cmd->add_subcommand("issue", "Issue a certificate signed by the CA");
  options.issue->add_option("--ca-dir", options.ca_dir, "The CA's directory")->required();
  options.issue->add_option("--kind", options.kind, "scheduler, node or client")
      ->required()
      ->check(CLI::IsMember({"scheduler", "node", "client"}));
  options.issue->add_option("--out", options.out_dir, "Where ca.crt, tls.crt, tls.key go")
      ->required();
  options.issue->add_option("--node-id", options.node_id, "The node's id (--kind node)");
  options.issue->add_option("--name", options.name, "The client's name (--kind client)");
  options.issue->add_option("--role", options.role, "The client's role (--kind client)");
  options.issue->add_option("--tenant", options.tenant, "The client's tenant (--kind client)");
  options.issue->add_option("--dns-name", options.dns_names, "Extra DNS name (repeatable)");
  options.issue->add_option("--ip", options.ips, "Extra IP address (repeatable)");
  options.issue->add_option("--valid-days", options.valid_days, "Validity in days")
      ->check(CLI::Range(1, 3650));
  return cmd;
}

int RunCerts(const CertsOptions& options) {
  return *options.init_ca ? InitCa(options) : Issue(options);
}

}  // namespace tailor::cli
