#include "scheduler/webhook_server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/listen_thread.h"
#include "proto/grpc_server.h"
#include "proto/listen_address.h"
#include "scheduler/http_api.h"
#include "scheduler/lambda_api.h"
#include "scheduler/sigv4.h"

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

void Send(httplib::Response& res, const LambdaHttpAnswer& answer) {
  res.status = answer.status;
  for (const auto& [name, value] : answer.headers) res.set_header(name, value);
  res.set_content(answer.body, answer.content_type);
}

// Who sends a Lambda request: AWS Signature Version 4 with a token's access key, or a bearer
// token.
Result<Identity> LambdaCaller(GatewayServiceImpl& gateway, const httplib::Request& req) {
  const std::string authorization = req.get_header_value("Authorization");
  if (!IsSigV4Authorization(authorization)) {
    return gateway.authorizer().CheckHttp(authorization, Action::kInvoke);
  }
  SigV4Request signed_request{req.method, req.target, {}, req.body};
  for (const auto& [name, value] : req.headers) {
    // httplib adds these for its own bookkeeping; they were not sent.
    if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
        name == "LOCAL_PORT") {
      continue;
    }
    signed_request.headers.emplace_back(name, value);
  }
  return gateway.authorizer().CheckSigV4(signed_request, authorization, "lambda", Action::kInvoke);
}

LambdaHttpAnswer ServeLambdaInvoke(GatewayServiceImpl& gateway, const httplib::Request& req,
                                   uint64_t max_payload_bytes) {
  auto who = LambdaCaller(gateway, req);
  if (!who.ok()) return LambdaErrorFor(who.status());
  auto invoke = ParseLambdaInvoke(
      req.target,
      {req.get_header_value("X-Amz-Invocation-Type"), req.get_header_value("X-Amz-Log-Type")},
      req.body, max_payload_bytes);
  if (!invoke.ok()) return LambdaErrorFor(invoke.status());
  switch (invoke->type) {
    case LambdaInvocationType::kDryRun: {
      Status s = gateway.CheckInvocable(*who, invoke->request);
      if (!s.ok()) return LambdaErrorFor(s);
      return LambdaHttpAnswer{204, {}, "", "application/json"};
    }
    case LambdaInvocationType::kEvent: {
      auto id = gateway.Enqueue(*who, invoke->request);
      if (!id.ok()) return LambdaErrorFor(id.status());
      return LambdaHttpAnswer{202, {{"X-Amzn-RequestId", *id}}, "", "application/json"};
    }
    case LambdaInvocationType::kRequestResponse:
      break;
  }
  auto response = gateway.InvokeFor(*who, invoke->request);
  if (!response.ok()) return LambdaErrorFor(response.status());
  return LambdaAnswerFor(*response, invoke->tail);
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
                                                            uint64_t max_body_bytes,
                                                            KubeExtender* extender) {
  std::unique_ptr<WebhookServer> w(new WebhookServer());
  w->server_ = std::make_unique<httplib::Server>();
  auto& svr = *w->server_;
  // Invocation payloads are checked against their own limit (ParseInvokeAsync).
  svr.set_payload_max_length(extender ? std::max(max_body_bytes, kMaxExtenderBodyBytes)
                                      : max_body_bytes);
  if (extender != nullptr) ServeExtender(svr, *extender);

  // AWS Lambda's Invoke API (lambda_api.h).
  svr.Post(R"(/2015-03-31/functions/([^/]*)/invocations)",
           [&gateway, max_body_bytes](const httplib::Request& req, httplib::Response& res) {
             Send(res, ServeLambdaInvoke(gateway, req, max_body_bytes));
           });
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
  w->thread_ = ListenOnThread(svr);
  return w;
}

WebhookServer::~WebhookServer() { Stop(); }

void WebhookServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tailor::scheduler
