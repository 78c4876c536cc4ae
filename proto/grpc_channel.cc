#include "proto/grpc_channel.h"

#include "common/limits.h"

namespace tailor {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TransportSecurity& security,
                                           std::string_view server_name) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxGrpcMessageBytes);
  args.SetMaxSendMessageSize(kMaxGrpcMessageBytes);
  args.SetInt(GRPC_ARG_TSI_MAX_FRAME_SIZE, kTlsMaxFrameBytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also takes it as the shortest time a connection
  // attempt may take, and 100 ms fails handshakes on a busy host.
  if (!security.insecure) args.SetSslTargetNameOverride(std::string(server_name));
  return grpc::CreateCustomChannel(address, MakeChannelCredentials(security), args);
}

}  // namespace tailor
