#include "cli/scheduler_connection.h"

#include <cstdlib>

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

std::shared_ptr<grpc::Channel> ConnectToScheduler(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

namespace {

// UNAVAILABLE and DEADLINE_EXCEEDED come both from gRPC itself, when the scheduler cannot be
// reached, and from the scheduler, when no node could run a function: only the first is about
// the address. gRPC's own messages say so in these words.
bool IsTransportFailure(const grpc::Status& status) {
  static constexpr const char* kTransport[] = {
      "failed to connect", "Connection refused", "connections to all backends failing",
      "DNS resolution failed", "Socket closed", "Connection reset", "Deadline Exceeded"};
  for (const char* words : kTransport) {
    if (status.error_message().find(words) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string DescribeRpcError(const grpc::Status& status, const std::string& address,
                             const std::string& what) {
  std::string msg = what + " failed: ";
  const bool reachability = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                            status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
  if (reachability && IsTransportFailure(status)) {
    return msg + "cannot reach the scheduler at " + address + " (" + status.error_message() +
           "); is tailor-scheduler running? Point tailorctl at it with --scheduler HOST:PORT "
           "or the TAILOR_SCHEDULER environment variable (or `scheduler = \"HOST:PORT\"` in "
           "~/.config/tailor/tailorctl.toml)";
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return msg + status.error_message() +
           " (the scheduler could not run it now; `tailorctl nodes` shows which nodes are "
           "healthy, and the agents' logs say why a run failed)";
  }
  return msg + status.error_message();
}

}  // namespace tailor::cli
