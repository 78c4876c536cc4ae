// GrpcServer: starts a gRPC server on an address (port 0 picks a free port) with the standard
// health service and server reflection, and reports the port it bound. Starting one turns off
// absl's lock-order cycle detection for the whole process (a debug check that costs every gRPC
// call; grpc_server.cc).
//
// Thread-safety: Start/Shutdown from one thread; the services run on gRPC's threads.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace tailor {

class GrpcServer {
 public:
  // `services` must outlive the server. `credentials`: tls_credentials.h.
  static Result<std::unique_ptr<GrpcServer>> Start(
      const std::string& listen_address, const std::vector<grpc::Service*>& services,
      std::shared_ptr<grpc::ServerCredentials> credentials);
  ~GrpcServer();

  int port() const { return port_; }
  // "127.0.0.1:41234": the listen host with the bound port.
  const std::string& address() const { return address_; }

  // Marks the health service NOT_SERVING and stops accepting calls; waits up to `grace`.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  void Wait();
  grpc::Server* server() { return server_.get(); }

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::string address)
      : server_(std::move(server)), port_(port), address_(std::move(address)) {}
  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::string address_;
  bool shut_down_ = false;
};

// The host part of "host:port" ("[::1]:80" -> "[::1]").
std::string HostOfAddress(const std::string& address);

}  // namespace tailor
