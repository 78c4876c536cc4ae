#include "common/tls_files.h"

#include "common/file_util.h"

namespace tailor {

Result<TlsFiles> LoadTlsDirectory(const std::string& dir, bool identity_required) {
  TlsFiles files;
  TAILOR_ASSIGN_OR_RETURN(files.ca_cert_pem, ReadFile(JoinPath(dir, "ca.crt")));
  const std::string cert_path = JoinPath(dir, "tls.crt");
  if (!identity_required && !PathExists(cert_path)) return files;
  TAILOR_ASSIGN_OR_RETURN(files.cert_pem, ReadFile(cert_path));
  TAILOR_ASSIGN_OR_RETURN(files.key_pem, ReadFile(JoinPath(dir, "tls.key")));
  Status chain = CheckCertificateChain(files.ca_cert_pem, files.cert_pem, files.key_pem);
  if (!chain.ok()) return chain.WithContext("checking TLS files in " + dir);
  return files;
}

Status WriteTlsDirectory(const std::string& dir, const std::string& ca_cert_pem,
                         const KeyAndCertificate& identity) {
  TAILOR_RETURN_IF_ERROR(MakeDirectories(dir));
  TAILOR_RETURN_IF_ERROR(
      WriteFileAtomically(JoinPath(dir, "tls.key"), identity.key_pem, FileAccess::kOwnerOnly));
  TAILOR_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(dir, "tls.crt"), identity.cert_pem));
  return WriteFileAtomically(JoinPath(dir, "ca.crt"), ca_cert_pem);
}

Result<KeyAndCertificate> LoadCertificateAuthority(const std::string& dir) {
  KeyAndCertificate ca;
  TAILOR_ASSIGN_OR_RETURN(ca.cert_pem, ReadFile(JoinPath(dir, "ca.crt")));
  TAILOR_ASSIGN_OR_RETURN(ca.key_pem, ReadFile(JoinPath(dir, "ca.key")));
  return ca;
}

Status WriteCertificateAuthority(const std::string& dir, const KeyAndCertificate& ca) {
  TAILOR_RETURN_IF_ERROR(MakeDirectories(dir));
  TAILOR_RETURN_IF_ERROR(
      WriteFileAtomically(JoinPath(dir, "ca.key"), ca.key_pem, FileAccess::kOwnerOnly));
  return WriteFileAtomically(JoinPath(dir, "ca.crt"), ca.cert_pem);
}

}  // namespace tailor
