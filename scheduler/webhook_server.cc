#include "scheduler/webhook_server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "proto/grpc_server.h"
#include "proto/listen_address.h"
#include "scheduler/http_api.h"

namespace tailor::scheduler {
namespace {

void SendError(httplib::Response& res, const Status& s) {
  res.status = HttpStatusFor(s);
  if (const int64_t seconds = RetryAfterSeconds(s); seconds > 0) {
    res.set_header("Retry-After", std::to_string(seconds));
  }
  res.set_content(ErrorJson(s), "application/json");
}

void Send(httplib::Response& res, const KubeExtender::Answer& answer) {
  res.status = answer.http_status;
  res.set_content(answer.body, "application/json");
}

void ServeExtender(httplib::Server& svr, KubeExtender& extender) {
  svr.Post("/kube/v1/filter", [&extender](const httplib::Request& req, httplib::Response& res) {
    Send(res, extender.Filter(req.body));
  });
  svr.Post("/kube/v1/prioritize", [&extender](const httplib::Request& req, httplib::Response& res) {
    Send(res, extender.Prioritize(req.body));
  });
}

}  // namespace

Result<std::unique_ptr<WebhookServer>> WebhookServer::Start(const std::string& listen,
                                                            GatewayServiceImpl& gateway,
                                                            AsyncQueue& queue,
                                                            uint64_t max_body_bytes,
                                                            KubeExtender* extender) {
  std::unique_ptr<WebhookServer> w(new WebhookServer());
  w->server_ = std::make_unique<httplib::Server>();
  auto& svr = *w->server_;
  // Invocation payloads are checked against their own limit (ParseInvokeAsync).
  svr.set_payload_max_length(extender ? std::max(max_body_bytes, kMaxExtenderBodyBytes)
                                      : max_body_bytes);
  if (extender != nullptr) ServeExtender(svr, *extender);

  // Routes match loosely; ParseInvokeAsync and ParseResultTarget check names and ids.
  svr.Post(R"(/v1/functions/([^/]*)/invoke-async)",
           [&gateway](const httplib::Request& req, httplib::Response& res) {
             auto who = gateway.authorizer().CheckHttp(req.get_header_value("Authorization"),
                                                       Action::kInvoke);
             if (!who.ok()) return SendError(res, who.status());
             auto request = ParseInvokeAsync(req.target, req.body,
                                             req.get_header_value("Idempotency-Key"));
             if (!request.ok()) return SendError(res, request.status());
             auto id = gateway.Enqueue(*who, *request);
             if (!id.ok()) return SendError(res, id.status());
             res.status = 202;
             res.set_content(AcceptedJson(*id), "application/json");
           });
  svr.Get(R"(/v1/invocations/([^/]*))",
          [&gateway](const httplib::Request& req, httplib::Response& res) {
            auto who = gateway.authorizer().CheckHttp(req.get_header_value("Authorization"),
                                                      Action::kReadResults);
            if (!who.ok()) return SendError(res, who.status());
            auto id = ParseResultTarget(req.target);
            if (!id.ok()) return SendError(res, id.status());
            auto r = gateway.ReadResult(*who, *id);
            if (!r.ok()) return SendError(res, r.status());
            res.set_content(AsyncResultJson(*r), "application/json");
          });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(nlohmann::json{{"error", "HTTP " + std::to_string(res.status)}}.dump(),
                      "application/json");
    }
  });

  const std::string host = HostOfAddress(listen);
  TAILOR_RETURN_IF_ERROR(
      CheckPlaintextListen("the webhook endpoint (plain HTTP; a TLS proxy can "
                           "serve it further)",
                           listen, gateway.authorizer().insecure()));
  const int port = std::stoi(listen.substr(listen.rfind(':') + 1));
  const int bound = port == 0 ? svr.bind_to_any_port(host) : (svr.bind_to_port(host, port) ? port : -1);
  if (bound < 0) return UnavailableError("cannot listen for webhooks on " + listen);
  w->address_ = host + ":" + std::to_string(bound);
  w->thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  return w;
}

WebhookServer::~WebhookServer() { Stop(); }

void WebhookServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tailor::scheduler
