#include "proto/grpc_server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "common/limits.h"
#include "proto/tls_credentials.h"

namespace tailor {
namespace {

constexpr int kStreamWindowBytes = 64 * 1024;

}  // namespace

std::string HostOfAddress(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return address;
  return address.substr(0, colon);
}

Result<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const std::string& listen_address, const std::vector<grpc::Service*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  // gRPC locks absl mutexes on every call. Debian's absl is built with its debug checks on,
  // and its lock-order cycle detection then updates one process-wide lock graph under a global
  // lock at every acquire and mutex destruction (about 2.5% of a placement's CPU under load,
  // bench/place_load; docs/benchmarks.md). Tailor's own locks are std::mutex: it loses nothing.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen_address, std::move(credentials), &port);
  builder.SetMaxReceiveMessageSize(kMaxGrpcMessageBytes);
  builder.SetMaxSendMessageSize(kMaxGrpcMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_TSI_MAX_FRAME_SIZE, kTlsMaxFrameBytes);
  // A stream may have only kStreamWindowBytes unread on its way, and the window does not grow
  // with the measured bandwidth (BDP probing): the threads that poll every connection then
  // take a deploy's 60 MiB in small bites between placements instead of megabytes at a time
  // (bench/place_load: Place p99 under back-to-back 60 MiB deploys about halved, deploys as
  // fast; docs/benchmarks.md).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, kStreamWindowBytes);
  for (grpc::Service* s : services) builder.RegisterService(s);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return UnavailableError("cannot listen on " + listen_address + " (address in use or invalid)");
  }
  std::string address = HostOfAddress(listen_address) + ":" + std::to_string(port);
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), port, std::move(address)));
}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::milliseconds(0)); }

void GrpcServer::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
}

void GrpcServer::Wait() { server_->Wait(); }

}  // namespace tailor
