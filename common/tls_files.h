// TlsFiles: one identity's TLS material as it sits on disk, in the layout cert-manager and
// Kubernetes TLS Secrets use, so a Secret can be mounted as the directory unchanged:
//
//   <dir>/ca.crt    the cluster CA certificate (what peers are verified against)
//   <dir>/tls.crt   this identity's certificate, signed by the CA
//   <dir>/tls.key   its private key (written 0600)
//
// A CA's own directory holds ca.crt and ca.key (0600).
//
// Thread-safety: stateless free functions.
#pragma once

#include <string>

#include "common/pki.h"
#include "common/status.h"

namespace tailor {

struct TlsFiles {
  std::string ca_cert_pem;
  std::string cert_pem;  // empty for a client that proves itself by token only
  std::string key_pem;
};

// Reads and checks a directory: tls.crt must verify against ca.crt and tls.key must be its
// key. With `identity_required` false a directory holding only ca.crt is accepted (a client
// that authenticates by token). Errors name the directory and the file.
Result<TlsFiles> LoadTlsDirectory(const std::string& dir, bool identity_required = true);

// Writes ca.crt, tls.crt and tls.key into `dir` (made if missing). Existing files are replaced.
Status WriteTlsDirectory(const std::string& dir, const std::string& ca_cert_pem,
                         const KeyAndCertificate& identity);

// A CA kept on disk: <dir>/ca.crt and <dir>/ca.key.
Result<KeyAndCertificate> LoadCertificateAuthority(const std::string& dir);
Status WriteCertificateAuthority(const std::string& dir, const KeyAndCertificate& ca);

}  // namespace tailor
