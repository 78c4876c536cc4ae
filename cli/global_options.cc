#include "cli/global_options.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdlib>

#include "common/file_util.h"
#include "common/tls_files.h"

namespace tailor::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

Result<std::string> ReadToken(const CredentialOptions& options) {
  if (!options.token_file.empty()) {
    TAILOR_ASSIGN_OR_RETURN(const std::string text, ReadFile(options.token_file));
    return std::string(TrimWhitespace(text));
  }
  return std::string(TrimWhitespace(Env("TAILOR_TOKEN")));
}

}  // namespace

Result<TransportSecurity> ResolveCredentials(const CredentialOptions& options) {
  TransportSecurity security;
  if (options.insecure) {
    security.insecure = true;
    return security;
  }
  if (!options.tls_dir.empty()) {
    TAILOR_ASSIGN_OR_RETURN(security.tls, LoadTlsDirectory(options.tls_dir));
  } else if (!options.ca_file.empty()) {
    TAILOR_ASSIGN_OR_RETURN(security.tls.ca_cert_pem, ReadFile(options.ca_file));
  } else {
    return FailedPreconditionError(
        "no credentials: give the cluster CA with --ca-file (or TAILOR_CA_FILE) and a token "
        "with --token-file (or TAILOR_TOKEN_FILE / TAILOR_TOKEN), or a client certificate "
        "directory with --tls-dir; --insecure only for a scheduler started with "
        "--insecure-allow-anyone");
  }
  TAILOR_ASSIGN_OR_RETURN(security.bearer_token, ReadToken(options));
  return security;
}

void SetDeadline(grpc::ClientContext& ctx, const GlobalOptions& global,
                 std::chrono::milliseconds at_least) {
  const auto timeout = std::max(std::chrono::milliseconds(global.timeout_ms), at_least);
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace tailor::cli
