// Where tailorctl finds the scheduler: --scheduler, else $TAILOR_SCHEDULER, else the
// `scheduler` key of the config file, else 127.0.0.1:7400. And how it turns a failed RPC into
// a message a person can act on.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>

#include "cli/global_options.h"

namespace tailor::cli {

inline constexpr const char kDefaultSchedulerAddress[] = "127.0.0.1:7400";

// --scheduler, else $TAILOR_SCHEDULER, else the config file's `scheduler`, else the default.
std::string ResolveSchedulerAddress(const std::string& flag_value,
                                    const std::string& config_value = "");

// The config file tailorctl reads when --config is not given: $TAILOR_CONFIG, else
// $XDG_CONFIG_HOME/tailor/tailorctl.toml, else ~/.config/tailor/tailorctl.toml ("" when none
// of these can be formed). It is read only if it exists.
std::string DefaultConfigPath();

// Whether `flag` ("--scheduler") appears in argv, as "--scheduler X" or "--scheduler=X".
bool GivenOnCommandLine(int argc, const char* const* argv, std::string_view flag);

// A channel to the scheduler with the credentials resolved into `global.security`.
std::shared_ptr<grpc::Channel> ConnectToScheduler(const GlobalOptions& global,
                                                  const std::string& address);

// "<what> failed: cannot reach the scheduler at 127.0.0.1:7400 (...); is tailor-scheduler
// running? Point tailorctl at it with --scheduler HOST:PORT or TAILOR_SCHEDULER" when gRPC
// could not reach it (an UNAVAILABLE or DEADLINE_EXCEEDED without a Tailor server's status
// details); otherwise the scheduler's own message, with a hint for UNAVAILABLE.
std::string DescribeRpcError(const grpc::Status& status, const std::string& address,
                             const std::string& what);

}  // namespace tailor::cli
