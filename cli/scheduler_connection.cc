#include "cli/scheduler_connection.h"

#include <cstdlib>

namespace tailor::cli {

std::string ResolveSchedulerAddress(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("TAILOR_SCHEDULER"); env != nullptr && *env != '\0') {
    return env;
  }
  return kDefaultSchedulerAddress;
}

std::shared_ptr<grpc::Channel> ConnectToScheduler(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

std::string DescribeRpcError(const grpc::Status& status, const std::string& address,
                             const std::string& what) {
  std::string msg = what + " failed: ";
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return msg + "cannot reach the scheduler at " + address + " (" + status.error_message() +
             "); is tailor-scheduler running? Point tailorctl at it with --scheduler HOST:PORT "
             "or the TAILOR_SCHEDULER environment variable";
    default:
      return msg + status.error_message();
  }
}

}  // namespace tailor::cli
