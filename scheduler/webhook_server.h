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
//   POST /kube/v1/filter, /kube/v1/prioritize  (with an extender only) Kubernetes scheduler
//        extender verbs (kube_extender.h)
// Parsing and JSON live in http_api.h and kube_pod.h.
//
// A storage notification, a queue message or a form post becomes one durable invocation of
// the named function, exactly as `InvokeAsync` would queue it. Errors are JSON {"error": ...}.
//
// Access: both endpoints take `Authorization: Bearer <token>` (authorizer.h; 401 without a
// valid token, 403 without the invoker role, 404 for another tenant's function or
// invocation); /healthz takes none, and neither do the extender verbs (kube-scheduler sends
// no token; they only read: nothing is reserved, decided or changed). The endpoint is plain HTTP,
// so unless the scheduler runs with --insecure-allow-anyone it listens on loopback only (a TLS
// proxy serves it further).
//
// Thread-safety: Start/Stop from one thread; handlers run on httplib's thread pool.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "scheduler/gateway_service.h"
#include "scheduler/kube_extender.h"

namespace httplib {
class Server;
}

namespace tailor::scheduler {

inline constexpr uint64_t kMaxExtenderBodyBytes = 64ull << 20;

class WebhookServer {
 public:
  // `listen` is host:port (port 0: any free port). `extender` may be null (no extender
  // verbs); with one, bodies may be kMaxExtenderBodyBytes (a NodeList of thousands of nodes).
  static Result<std::unique_ptr<WebhookServer>> Start(const std::string& listen,
                                                      GatewayServiceImpl& gateway,
                                                      uint64_t max_body_bytes,
                                                      KubeExtender* extender = nullptr);
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
