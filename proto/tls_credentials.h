// TransportSecurity: how one process's gRPC servers and channels are secured. There are two
// modes and no third: mutual TLS with certificates from the cluster CA (tls_files.h), or, only
// when the operator passed --insecure-allow-anyone, plaintext with no authentication at all.
//
// Servers verify a client certificate against the CA whenever one is sent; agents require
// one (only the scheduler may call them). Channels verify the server's certificate against
// the CA and check it names `server_name` (cluster_identity.h), so a node's certificate cannot
// pose as the scheduler, nor one node as another. A bearer token, when given, rides on every
// call as `authorization: Bearer ...` (gRPC sends call credentials only over TLS).
//
// Thread-safety: pure functions.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/tls_files.h"

namespace tailor {

// The TLS frame protector's buffer (GRPC_ARG_TSI_MAX_FRAME_SIZE), on servers and channels alike:
// gRPC's default of 16 KiB made Place over TLS about 0.7x of plaintext on the 2-core VM; with
// larger frames the many small messages a busy connection carries are sealed in fewer, bigger
// frames (docs/benchmarks.md).
inline constexpr int kTlsMaxFrameBytes = 1 << 20;

struct TransportSecurity {
  bool insecure = false;     // --insecure-allow-anyone: plaintext, every caller is anyone
  TlsFiles tls;              // when !insecure; cert_pem may be empty for a token-only client
  std::string bearer_token;  // channels only; empty: none
};

enum class ClientCertificates { kVerifyIfSent, kRequire };

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TransportSecurity& security,
                                                               ClientCertificates client_certs);

// Channel credentials; the server name to check is a channel argument (grpc_channel.h).
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TransportSecurity& security);

// A one-line warning for logs when `security` is insecure; empty otherwise.
std::string InsecureWarning(const TransportSecurity& security);

}  // namespace tailor
