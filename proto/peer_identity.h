// PeerIdentities: the identity (cluster_identity.h) named by the client certificate a call's
// TLS handshake verified against the cluster CA. Parsing a certificate costs tens of
// microseconds, so what each certificate names is remembered (at most a few thousand
// certificates; the memory is dropped and refilled when full).
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "common/cluster_identity.h"
#include "common/status.h"

namespace tailor {

class PeerIdentities {
 public:
  // UNAUTHENTICATED when the call came without a verified certificate, or with one that names
  // no Tailor identity.
  Result<Identity> Of(const grpc::ServerContextBase& context);

 private:
  static constexpr size_t kMaxRemembered = 4096;
  std::mutex mu_;
  std::unordered_map<std::string, Result<Identity>> by_pem_;
};

}  // namespace tailor
