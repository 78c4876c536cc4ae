// `tailorctl whoami`: the identity the scheduler sees for these credentials.
// `tailorctl tokens create NAME --role ROLE [--tenant T]`: a new bearer token, printed once
//   (admin only; see docs/security.md for the roles).
// `tailorctl tokens list [--all]` / `tailorctl tokens revoke ID|NAME`: revocation takes effect
//   for the scheduler's next call.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/global_options.h"

namespace tailor::cli {

struct TokensOptions {
  std::string name;
  std::string role;
  std::string tenant;
  std::string id_or_name;
  bool include_revoked = false;
  bool aws_access_key = false;
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* revoke = nullptr;
};

CLI::App* AddTokensCommand(CLI::App& app, TokensOptions& options);
int RunTokens(const GlobalOptions& global, const TokensOptions& options);

CLI::App* AddWhoAmICommand(CLI::App& app);
int RunWhoAmI(const GlobalOptions& global);

}  // namespace tailor::cli
