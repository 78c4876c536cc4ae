// AccessTokens: bearer tokens for callers, each with one role in one tenant
// (cluster_identity.h). A token reads
//
//   tailor_<id>_<secret>     id: 16 hex characters, names the token in lists, logs and
//                            revocations; secret: 43 base64url characters (32 random bytes)
//
// Only the SHA-256 of the secret is stored (table access_tokens); the token itself is shown
// once, when it is made. A token may also have an AWS-style access key (id "AKTL" + 16
// upper-case hex characters, a 40-character secret), for requests signed with AWS Signature
// Version 4 (sigv4.h); that secret is stored as is, because verifying a signature needs it (as
// AWS itself keeps it), and is revoked with its token. Verifying compares digests in constant time
// and is served from memory; Revoke() takes effect for the next call, in memory and on disk
// together.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/cluster_identity.h"
#include "common/sqlite_db.h"
#include "common/status.h"

namespace tailor::scheduler {

class AccessTokens {
 public:
  struct Token {
    std::string id;
    std::string name;
    Role role = Role::kReader;
    std::string tenant;
    int64_t created_unix_ms = 0;
    int64_t revoked_unix_ms = 0;  // 0 while live
    std::string aws_key_id;       // "" : none
  };
  // `db_path` must already be migrated.
  static Result<std::unique_ptr<AccessTokens>> Open(const std::string& db_path, const Clock& clock);

  struct Created {
    Token token;
    std::string bearer;      // the whole token, shown once
    std::string aws_secret;  // with an access key: its secret, shown once
  };
  // ALREADY_EXISTS when a live token has the name; INVALID_ARGUMENT for a bad name or tenant.
  Result<Created> Create(std::string_view name, Role role, std::string_view tenant,
                         bool aws_access_key = false);
  std::vector<Token> List(bool include_revoked) const;
  // By id or name. NOT_FOUND when no live token has it.
  Result<Token> Revoke(std::string_view id_or_name);
  // The identity a bearer token proves. UNAUTHENTICATED for a malformed, unknown or revoked
  // token (the message never repeats the secret).
  Result<Identity> Verify(std::string_view bearer) const;
  size_t CountLive() const;
  struct AwsKey {
    Identity identity;
    std::string secret;
  };
  // The identity and secret of a live token's access key. UNAUTHENTICATED for an unknown key
  // or a revoked token.
  Result<AwsKey> FindAwsKey(std::string_view key_id) const;

 private:
  struct Stored {
    Token token;
    std::string secret_sha256;
    std::string aws_secret;
  };
  AccessTokens(std::unique_ptr<SqliteDb> db, const Clock& clock)
      : db_(std::move(db)), clock_(clock) {}
  Status Load();

  std::unique_ptr<SqliteDb> db_;  // guarded by write_mu_
  const Clock& clock_;
  std::mutex write_mu_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Stored, std::less<>> by_id_;  // guarded by mu_
  std::map<std::string, std::string, std::less<>> id_by_aws_key_;  // guarded by mu_
};

}  // namespace tailor::scheduler
