// Pki: the cluster's certificate authority, built on OpenSSL's library. Makes a CA (an ECDSA
// P-256 key and a self-signed certificate), issues certificates signed by it, and reads back
// what a certificate says about its holder.
//
// Who a certificate names is decided by cluster_identity.h; this header only knows X.509:
// a subject (common name, organization, organizational unit), DNS and IP subject alternative
// names, and whether the certificate may serve, connect as a client, or both.
//
// Thread-safety: pure functions (OpenSSL 3 is thread-safe for these calls).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tailor {

struct KeyAndCertificate {
  std::string key_pem;   // PKCS#8 private key
  std::string cert_pem;  // X.509 certificate
};

struct CertificateRequest {
  std::string common_name;          // 1..64 bytes
  std::string organization;         // optional
  std::string organizational_unit;  // optional
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // "127.0.0.1", "::1"
  int valid_days = 365;
  bool server = false;  // extendedKeyUsage serverAuth
  bool client = false;  // extendedKeyUsage clientAuth
};

// A new CA valid for `valid_days`, named `common_name`.
Result<KeyAndCertificate> CreateCertificateAuthority(std::string_view common_name, int valid_days);

// A new key and a certificate for it, signed by `ca`. INVALID_ARGUMENT for a request no
// certificate can carry (empty or long names, a bad IP address, no usage).
Result<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                           const CertificateRequest& request);

struct CertificateSubject {
  std::string common_name;
  std::string organization;
  std::string organizational_unit;
  std::vector<std::string> dns_names;
  int64_t not_after_unix_s = 0;
};

// What a PEM certificate says of its holder. INVALID_ARGUMENT when it is not a certificate.
// Does not verify anything: only for certificates a TLS handshake already verified, or the
// operator's own files.
Result<CertificateSubject> ReadCertificateSubject(std::string_view cert_pem);

// OK when `cert_pem` is signed by `ca_cert_pem` and `key_pem` is its private key.
Status CheckCertificateChain(std::string_view ca_cert_pem, std::string_view cert_pem,
                             std::string_view key_pem);

}  // namespace tailor
