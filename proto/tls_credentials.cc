#include "proto/tls_credentials.h"

namespace tailor {

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TransportSecurity& security,
                                                               ClientCertificates client_certs) {
  if (security.insecure) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      client_certs == ClientCertificates::kRequire
          ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
          : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = security.tls.ca_cert_pem;
  options.pem_key_cert_pairs.push_back({security.tls.key_pem, security.tls.cert_pem});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(
    const TransportSecurity& security) {
  if (security.insecure) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = security.tls.ca_cert_pem;
  options.pem_private_key = security.tls.key_pem;
  options.pem_cert_chain = security.tls.cert_pem;
  auto credentials = grpc::SslCredentials(options);
  if (security.bearer_token.empty()) return credentials;
  return grpc::CompositeChannelCredentials(credentials,
                                           grpc::AccessTokenCredentials(security.bearer_token));
}

std::string InsecureWarning(const TransportSecurity& security) {
  if (!security.insecure) return "";
  return "INSECURE: --insecure-allow-anyone is set: no TLS and no authentication; anyone who "
         "reaches this port controls the cluster";
}

}  // namespace tailor
