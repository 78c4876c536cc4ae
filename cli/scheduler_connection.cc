#include "cli/scheduler_connection.h"

#include <cstdlib>

#include "common/cluster_identity.h"
#include "proto/grpc_channel.h"
#include "proto/grpc_status.h"

namespace tailor::cli {

std::string ResolveSchedulerAddress(const std::string& flag_value,
                                    const std::string& config_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("TAILOR_SCHEDULER"); env != nullptr && *env != '\0') {
    return env;
  }
  if (!config_value.empty()) return config_value;
  return kDefaultSchedulerAddress;
}

std::string DefaultConfigPath() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? "" : v;
  };
  if (std::string explicit_path = env("TAILOR_CONFIG"); !explicit_path.empty()) {
    return explicit_path;
  }
  if (std::string xdg = env("XDG_CONFIG_HOME"); !xdg.empty()) return xdg + "/tailor/tailorctl.toml";
  if (std::string home = env("HOME"); !home.empty()) return home + "/.config/tailor/tailorctl.toml";
  return "";
}

bool GivenOnCommandLine(int argc, const char* const* argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == flag || (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
                        arg[flag.size()] == '=')) {
      return true;
    }
  }
  return false;
}

std::shared_ptr<grpc::Channel> ConnectToScheduler(const GlobalOptions& global,
                                                  const std::string& address) {
  return MakeChannel(address, global.security, kSchedulerServerName);
}

std::string DescribeRpcError(const grpc::Status& status, const std::string& address,
                             const std::string& what) {
  std::string msg = what + " failed: ";
  // A Tailor server's errors carry its status details; gRPC's own (no connection, deadline)
  // do not.
  const bool reachability = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                            status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
  if (reachability && !AnsweredByTailorServer(status)) {
    return msg + "cannot reach the scheduler at " + address + " (" + status.error_message() +
           "); is tailor-scheduler running? Point tailorctl at it with --scheduler HOST:PORT "
           "or the TAILOR_SCHEDULER environment variable (or `scheduler = \"HOST:PORT\"` in "
           "~/.config/tailor/tailorctl.toml)";
  }
  const auto retry_after = FromGrpcStatus(status).retry_after();
  if (retry_after.count() > 0) {
    return msg + status.error_message() + "; try again in " +
           std::to_string((retry_after.count() + 999) / 1000) + " s";
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return msg + status.error_message() +
           " (the scheduler could not run it now; `tailorctl nodes` shows which nodes are "
           "healthy, and the agents' logs say why a run failed)";
  }
  return msg + status.error_message();
}

}  // namespace tailor::cli
