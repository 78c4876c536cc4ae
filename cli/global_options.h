// Options every tailorctl command shares, and helpers to call the scheduler with them.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "proto/tls_credentials.h"

namespace tailor::cli {

// Where tailorctl's credentials come from (each: flag, else environment, else config file).
struct CredentialOptions {
  std::string ca_file;     // --ca-file, $TAILOR_CA_FILE: the cluster CA certificate
  std::string token_file;  // --token-file, $TAILOR_TOKEN_FILE (or the token in $TAILOR_TOKEN)
  std::string tls_dir;     // --tls-dir, $TAILOR_TLS_DIR: a client certificate instead of a token
  bool insecure = false;   // --insecure, $TAILOR_INSECURE=1: plaintext, no credentials
};

struct GlobalOptions {
  std::string scheduler;         // --scheduler as given on the command line, else empty
  std::string config_scheduler;  // `scheduler` from the config file, else empty
  std::string output = "table";
  int64_t timeout_ms = 5000;
  CredentialOptions credentials;
  TransportSecurity security;  // resolved from `credentials` before any command runs
};

// The channel security the credentials describe. FAILED_PRECONDITION, saying what to give,
// when there is no CA to verify the scheduler with.
Result<TransportSecurity> ResolveCredentials(const CredentialOptions& options);

// A client context with the global deadline (or `timeout` when longer).
void SetDeadline(grpc::ClientContext& ctx, const GlobalOptions& global,
                 std::chrono::milliseconds at_least = std::chrono::milliseconds(0));

// The message as JSON with proto field names: indented, or on one line (no trailing newline).
std::string ToJson(const google::protobuf::Message& message, bool pretty = true);

}  // namespace tailor::cli
