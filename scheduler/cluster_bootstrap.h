// ClusterBootstrap: the scheduler's credentials at start, secure by default.
//
//   --insecure-allow-anyone    no TLS, no authentication (logged loudly at every start)
//   --tls-dir DIR              the scheduler's ca.crt, tls.crt, tls.key (tls_files.h), made by
//                              `tailorctl certs` or cert-manager
//   neither                    the scheduler keeps its own CA in <data>/pki/ca and its
//                              certificate in <data>/pki/scheduler, made at first start
//
// Unless insecure, a cluster with no live admin token gets one at start, written 0600 to
// <data>/admin.token (as Consul's ACL bootstrap or Jupyter's token do); the log says where.
// Deleting the file does not revoke the token: `tailorctl tokens revoke admin` does.
//
// Thread-safety: called once, at start.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "proto/tls_credentials.h"
#include "scheduler/access_tokens.h"

namespace tailor::scheduler {

struct SecurityOptions {
  bool insecure = false;
  std::string tls_dir;  // empty: the scheduler's own CA under the data directory
  // Extra names and addresses for a certificate the scheduler makes itself (agents on other
  // hosts dial it by one of them); loopback and "scheduler.tailor" are always in it.
  std::vector<std::string> extra_dns_names;
  std::vector<std::string> extra_ips;
};

// The scheduler's TLS material (or insecure), making its own CA on first start when asked.
Result<TransportSecurity> LoadSchedulerSecurity(const SecurityOptions& options,
                                                const std::string& data_dir);

// Makes the first admin token when no live admin token exists; returns the file it was
// written to, or "" when none was needed.
Result<std::string> BootstrapAdminToken(AccessTokens& tokens, const std::string& data_dir);

}  // namespace tailor::scheduler
