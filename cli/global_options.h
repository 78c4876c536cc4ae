// Options every tailorctl command shares, and helpers to call the scheduler with them.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace tailor::cli {

struct GlobalOptions {
  std::string scheduler;         // --scheduler as given on the command line, else empty
  std::string config_scheduler;  // `scheduler` from the config file, else empty
  std::string output = "table";
  int64_t timeout_ms = 5000;
};

// A client context with the global deadline (or `timeout` when longer).
void SetDeadline(grpc::ClientContext& ctx, const GlobalOptions& global,
                 std::chrono::milliseconds at_least = std::chrono::milliseconds(0));

// The message as JSON with proto field names: indented, or on one line (no trailing newline).
std::string ToJson(const google::protobuf::Message& message, bool pretty = true);

}  // namespace tailor::cli
