#include "proto/peer_identity.h"

#include <grpc/grpc_security_constants.h>

namespace tailor {

Result<Identity> PeerIdentities::Of(const grpc::ServerContextBase& context) {
  const auto auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return UnauthenticatedError("no credentials: send a bearer token or a client certificate");
  }
  const auto pems = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return UnauthenticatedError("no client certificate");
  const std::string pem(pems.front().data(), pems.front().size());
  {
    std::lock_guard lock(mu_);
    if (auto it = by_pem_.find(pem); it != by_pem_.end()) return it->second;
  }
  auto subject = ReadCertificateSubject(pem);
  Result<Identity> identity =
      subject.ok() ? IdentityFromCertificate(*subject)
                   : Result<Identity>(UnauthenticatedError("unreadable client certificate"));
  std::lock_guard lock(mu_);
  if (by_pem_.size() >= kMaxRemembered) by_pem_.clear();
  by_pem_.emplace(pem, identity);
  return identity;
}

}  // namespace tailor
