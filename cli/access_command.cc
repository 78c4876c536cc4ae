#include "cli/access_command.h"

#include <iostream>

#include "cli/scheduler_connection.h"
#include "cli/table.h"
#include "tailor/v1/access.grpc.pb.h"

namespace tailor::cli {
namespace {

int Failed(const grpc::Status& status, const std::string& address, const std::string& what) {
  std::cerr << "error: " << DescribeRpcError(status, address, what) << "\n";
  return 1;
}

int CreateToken(const GlobalOptions& global, v1::Access::Stub& stub, const std::string& address,
                const TokensOptions& options) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::CreateTokenRequest request;
  request.set_name(options.name);
  request.set_role(options.role);
  request.set_tenant(options.tenant);
  request.set_aws_access_key(options.aws_access_key);
  v1::CreateTokenResponse response;
  grpc::Status status = stub.CreateToken(&ctx, request, &response);
  if (!status.ok()) return Failed(status, address, "creating token " + options.name);
  if (global.output == "json") {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  // The token alone on stdout, so `tailorctl tokens create ... > file` keeps just it; with an
  // access key, the key follows as environment assignments (`eval` or `. file` takes them).
  std::cout << response.bearer() << "\n";
  if (options.aws_access_key) {
    std::cout << "AWS_ACCESS_KEY_ID=" << response.token().aws_access_key_id() << "\n"
              << "AWS_SECRET_ACCESS_KEY=" << response.aws_secret_access_key() << "\n";
  }
  std::cerr << "token " << response.token().name() << " (" << response.token().id() << "): role "
            << response.token().role() << ", tenant " << response.token().tenant()
            << "; shown once, keep it secret\n";
  return 0;
}

int ListTokens(const GlobalOptions& global, v1::Access::Stub& stub, const std::string& address,
               const TokensOptions& options) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::ListTokensRequest request;
  request.set_include_revoked(options.include_revoked);
  v1::ListTokensResponse response;
  grpc::Status status = stub.ListTokens(&ctx, request, &response);
  if (!status.ok()) return Failed(status, address, "listing tokens");
  if (global.output == "json") {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  Table table({"ID", "NAME", "ROLE", "TENANT", "STATE", "AWS KEY"});
  for (const auto& t : response.tokens()) {
    table.AddRow({t.id(), t.name(), t.role(), t.tenant(),
                  t.revoked_unix_ms() == 0 ? "live" : "revoked", t.aws_access_key_id()});
  }
  table.Print(std::cout);
  return 0;
}

int RevokeToken(const GlobalOptions& global, v1::Access::Stub& stub, const std::string& address,
                const TokensOptions& options) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::RevokeTokenRequest request;
  request.set_id_or_name(options.id_or_name);
  v1::RevokeTokenResponse response;
  grpc::Status status = stub.RevokeToken(&ctx, request, &response);
  if (!status.ok()) return Failed(status, address, "revoking token " + options.id_or_name);
  std::cout << "revoked " << response.token().name() << " (" << response.token().id() << ")\n";
  return 0;
}

}  // namespace

CLI::App* AddTokensCommand(CLI::App& app, TokensOptions& options) {
  auto* cmd = app.add_subcommand("tokens", "Create, list and revoke bearer tokens (admin)");
  cmd->require_subcommand(1);
  options.create = cmd->add_subcommand("create", "Make a token; it is printed once");
  options.create->add_option("name", options.name, "Unique name of the token")->required();
  options.create->add_option("--role", options.role, "admin, deployer, invoker, platform or reader")
      ->required();
  options.create->add_option("--tenant", options.tenant, "Tenant it acts in (default: default)");
  options.create->add_flag("--aws-access-key", options.aws_access_key,
                           "Also make an AWS access key for it (Lambda invoke API, AWS CLI/SDKs)");
  options.list = cmd->add_subcommand("list", "List tokens (never their secrets)");
  options.list->add_flag("--all", options.include_revoked, "Include revoked tokens");
  options.revoke = cmd->add_subcommand("revoke", "Revoke a token at once");
  options.revoke->add_option("token", options.id_or_name, "Token id or name")->required();
  return cmd;
}

int RunTokens(const GlobalOptions& global, const TokensOptions& options) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Access::NewStub(ConnectToScheduler(global, address));
  if (*options.create) return CreateToken(global, *stub, address, options);
  if (*options.list) return ListTokens(global, *stub, address, options);
  return RevokeToken(global, *stub, address, options);
}

CLI::App* AddWhoAmICommand(CLI::App& app) {
  return app.add_subcommand("whoami", "Show the identity the scheduler sees for your credentials");
}

int RunWhoAmI(const GlobalOptions& global) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Access::NewStub(ConnectToScheduler(global, address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::WhoAmIResponse response;
  grpc::Status status = stub->WhoAmI(&ctx, v1::WhoAmIRequest(), &response);
  if (!status.ok()) return Failed(status, address, "asking who you are");
  if (global.output == "json") {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  std::cout << response.kind() << (response.name().empty() ? "" : " " + response.name());
  if (!response.role().empty()) {
    std::cout << " (role " << response.role() << ", tenant " << response.tenant() << ")";
  }
  std::cout << (response.by_certificate() ? " by certificate" : "") << "\n";
  return 0;
}

}  // namespace tailor::cli
