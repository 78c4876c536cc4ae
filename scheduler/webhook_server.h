// WebhookServer: HTTP endpoints that turn outside events into async invocations.
//
//   POST /v1/functions/{name}/invoke-async   body = payload (header Idempotency-Key optional)
//        202 {"id": "...", "status_url": "/v1/invocations/..."}
//        404 unknown function, 409 removed function, 413 payload too large, 400 bad request
//        (a bad name, version or key; "field" names it)
//   GET  /v1/invocations/{id}                200 {"id","function","state","attempts","error",
//        "outcome", and once it ran "node_id","exit_code","stderr_tail","output",
//        "wall_time_ms"}, 404 unknown id
//   GET  /healthz                            200 ok
// Parsing and JSON live in http_api.h.
//
// A storage notification, a queue message or a form post becomes one durable invocation of
// the named function, exactly as `InvokeAsync` would queue it. Errors are JSON {"error": ...}.
//
// Access: both endpoints take `Authorization: Bearer <token>` (authorizer.h; 401 without a
// valid token, 403 without the invoker role, 404 for another tenant's function or
// invocation); /healthz takes none. The endpoint is plain HTTP, so unless the scheduler runs
// with --insecure-allow-anyone it listens on loopback only (a TLS proxy serves it further).
//
// Thread-safety: Start/Stop from one thread; handlers run on httplib's thread pool.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "scheduler/async_queue.h"
#include "scheduler/gateway_service.h"

namespace httplib {
class Server;
}

namespace tailor::scheduler {

class WebhookServer {
 public:
  // `listen` is host:port (port 0: any free port).
  static Result<std::unique_ptr<WebhookServer>> Start(const std::string& listen,
                                                      GatewayServiceImpl& gateway,
                                                      AsyncQueue& queue,
                                                      uint64_t max_body_bytes);
  ~WebhookServer();
  void Stop();
  // host:port actually bound.
  const std::string& address() const { return address_; }

 private:
  WebhookServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string address_;
};

}  // namespace tailor::scheduler
