// MakeChannel: every gRPC channel Tailor opens (agents to the scheduler, the scheduler to
// agents, tailorctl to the scheduler) is made here, so all of them agree with the servers on
// the largest message (common/limits.h) and reconnect on the same, short schedule.
//
// Reconnection: gRPC's own backoff grows to two minutes by default, which left agents up to
// half a minute without a scheduler that was back; these channels retry every 100 ms at first
// and never wait more than a second.
//
// Security: channels are TLS with the cluster CA (tls_credentials.h) unless `security` is
// insecure. `server_name` is the name the server's certificate must hold (cluster_identity.h:
// "scheduler.tailor", "<node id>.node.tailor"), whatever address is dialled.
//
// Thread-safety: stateless.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>

#include "proto/tls_credentials.h"

namespace tailor {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TransportSecurity& security,
                                           std::string_view server_name);

}  // namespace tailor
