#include "cli/functions_command.h"

#include <iostream>

#include "cli/scheduler_connection.h"
#include "cli/table.h"
#include "common/bundle_archive.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "tailor/v1/registry.grpc.pb.h"

namespace tailor::cli {

int RunDeploy(const GlobalOptions& global, const DeployOptions& options) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Registry::NewStub(ConnectToScheduler(global, address));
  int failures = 0;
  for (const auto& path : options.paths) {
    Result<std::string> archive = IsBundleArchiveName(path) ? ReadFile(path) : PackBundle(path);
    if (!archive.ok()) {
      std::cerr << "error: " << path << ": " << archive.status().message() << "\n";
      ++failures;
      continue;
    }
    grpc::ClientContext ctx;
    SetDeadline(ctx, global, std::chrono::minutes(2));
    v1::DeployResponse response;
    auto writer = stub->Deploy(&ctx, &response);
    v1::DeployChunk chunk;
    chunk.mutable_header()->set_size_bytes(archive->size());
    chunk.mutable_header()->set_sha256(Sha256Hex(*archive));
    chunk.mutable_header()->set_tenant(options.tenant);
    bool sent = writer->Write(chunk);
    constexpr size_t kChunk = 1 << 20;
    for (size_t off = 0; sent && off < archive->size(); off += kChunk) {
      v1::DeployChunk data;
      data.set_data(archive->substr(off, kChunk));
      sent = writer->Write(data);
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) {
      std::cerr << "error: " << DescribeRpcError(status, address, "deploying " + path) << "\n";
      ++failures;
      continue;
    }
    const auto& f = response.function();
    if (global.output == "json") {
      std::cout << ToJson(response) << "\n";
    } else {
      std::cout << (response.unchanged() ? "unchanged " : "deployed ") << f.name() << " "
                << f.version() << " (sha256 " << f.digest().substr(0, 12) << ", "
                << FormatBytes(f.size_bytes()) << ")\n";
    }
  }
  return failures == 0 ? 0 : 1;
}

CLI::App* AddDeployCommand(CLI::App& app, DeployOptions& options) {
  auto* cmd = app.add_subcommand("deploy", "Upload function bundles (directories or .tar.gz)");
  cmd->add_option("paths", options.paths, "Bundle directories or .tar.gz files")->required();
  cmd->add_option("--tenant", options.tenant,
                  "Tenant to deploy into (default: your own; only an admin names another)");
  return cmd;
}

int RunFunctions(const GlobalOptions& global, const FunctionsOptions& options) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Registry::NewStub(ConnectToScheduler(global, address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  if (!options.callback_secret.empty()) {
    v1::GetCallbackSecretRequest request;
    request.set_function_name(options.callback_secret);
    v1::GetCallbackSecretResponse response;
    grpc::Status status = stub->GetCallbackSecret(&ctx, request, &response);
    if (!status.ok()) {
      std::cerr << "error: "
                << DescribeRpcError(status, address,
                                    "fetching the callback secret of " + options.callback_secret)
                << "\n";
      return 1;
    }
    std::cout << response.secret_hex() << "\n";
    return 0;
  }
  if (!options.remove.empty()) {
    v1::RemoveFunctionRequest request;
    request.set_name(options.remove);
    v1::RemoveFunctionResponse response;
    grpc::Status status = stub->RemoveFunction(&ctx, request, &response);
    if (!status.ok()) {
      std::cerr << "error: " << DescribeRpcError(status, address, "removing " + options.remove)
                << "\n";
      return 1;
    }
    std::cout << "removed " << options.remove << " (" << response.versions_removed()
              << " versions); its runs and profile are kept\n";
    return 0;
  }
  v1::ListFunctionsRequest request;
  request.set_include_removed(options.all);
  v1::ListFunctionsResponse response;
  grpc::Status status = stub->ListFunctions(&ctx, request, &response);
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "listing functions") << "\n";
    return 1;
  }
  if (global.output == "json") {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  const int64_t now_ms = ToUnixMillis(RealClock::Get().WallNow());
  Table table({"FUNCTION", "VERSION", "DEPLOYED", "SIZE", "TIMEOUT", "MEMORY HINT", "IDEMPOTENT",
               "DIGEST"});
  for (const auto& f : response.functions()) {
    table.AddRow({f.name(), f.version() + (f.removed() ? " (removed)" : ""),
                  FormatAgo(f.deployed_unix_ms(), now_ms), FormatBytes(f.size_bytes()),
                  std::to_string(f.timeout_ms() / 1000) + "s",
                  f.memory_hint_bytes() ? FormatBytes(f.memory_hint_bytes()) : "-",
                  f.idempotent() ? "yes" : "no", f.digest().substr(0, 12)});
  }
  table.Print(std::cout);
  if (response.functions_size() == 0) std::cout << "(no functions deployed; try tailorctl deploy)\n";
  return 0;
}

CLI::App* AddFunctionsCommand(CLI::App& app, FunctionsOptions& options) {
  auto* cmd = app.add_subcommand("functions", "List deployed functions, or remove one");
  cmd->add_flag("--all", options.all, "Include removed functions");
  auto* remove = cmd->add_subcommand("remove", "Remove a function (history is kept)");
  remove->add_option("name", options.remove, "Function name")->required();
  auto* secret = cmd->add_subcommand(
      "callback-secret", "Print the hex key the function's completion callbacks are signed with");
  secret->add_option("name", options.callback_secret, "Function name")->required();
  return cmd;
}

}  // namespace tailor::cli
