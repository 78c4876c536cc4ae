#include "scheduler/webhook_server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "proto/grpc_server.h"
#include "proto/async_state_name.h"

namespace tailor::scheduler {
namespace {

void SendError(httplib::Response& res, const Status& s) {
  res.status = HttpStatusFor(s);
  res.set_content(nlohmann::json{{"error", std::string(s.message())},
                                 {"code", std::string(StatusCodeName(s.code()))}}
                      .dump(),
                  "application/json");
}


}  // namespace

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kResourceExhausted: return 413;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

Result<std::unique_ptr<WebhookServer>> WebhookServer::Start(const std::string& listen,
                                                            GatewayServiceImpl& gateway,
                                                            AsyncQueue& queue,
                                                            uint64_t max_body_bytes) {
  std::unique_ptr<WebhookServer> w(new WebhookServer());
  w->server_ = std::make_unique<httplib::Server>();
  auto& svr = *w->server_;
  svr.set_payload_max_length(max_body_bytes);

  svr.Post(R"(/v1/functions/([A-Za-z0-9._-]{1,64})/invoke-async)",
           [&gateway](const httplib::Request& req, httplib::Response& res) {
             v1::GatewayInvokeRequest request;
             request.set_function_name(req.matches[1]);
             request.set_payload(req.body);
             if (req.has_param("version")) request.set_function_version(req.get_param_value("version"));
             auto id = gateway.Enqueue(request);
             if (!id.ok()) return SendError(res, id.status());
             res.status = 202;
             res.set_content(nlohmann::json{{"id", *id}, {"status_url", "/v1/invocations/" + *id}}
                                 .dump(),
                             "application/json");
           });
  svr.Get(R"(/v1/invocations/([0-9a-f]{1,64}))",
          [&queue](const httplib::Request& req, httplib::Response& res) {
            auto r = queue.Get(req.matches[1]);
            if (!r.ok()) return SendError(res, r.status());
            nlohmann::json j = {{"id", r->id()},
                                {"function", r->function_name()},
                                {"state", AsyncStateName(r->state())},
                                {"attempts", r->attempts()},
                                {"error", r->error()}};
            if (r->state() == v1::ASYNC_STATE_SUCCEEDED) {
              j["node_id"] = r->response().node_id();
              j["output"] = r->response().output();
              j["exit_code"] = r->response().report().exit_code();
              j["wall_time_ms"] = r->response().report().wall_time_us() / 1000.0;
            }
            res.set_content(j.dump(), "application/json");
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
