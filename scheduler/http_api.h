// HttpApi: what the scheduler's HTTP endpoint reads from a request and writes in a response,
// apart from the HTTP server (WebhookServer, on cpp-httplib), so that the parsing of untrusted
// requests is pure, unit-tested and fuzzed (fuzz/http_api_fuzz.cc).
//
//   POST /v1/functions/{name}/invoke-async[?version=V]   body = payload
//        header Idempotency-Key: K (optional; see GatewayInvokeRequest.idempotency_key)
//   GET  /v1/invocations/{id}
//
// Names and ids are checked against the grammar (common/names.h); a bad one is a 400 naming
// it, never a path. Query values are percent-decoded ('+' stays '+'); unknown parameters are
// a 400.
//
// Thread-safety: stateless.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "tailor/v1/gateway.pb.h"

namespace tailor::scheduler {

// `s` with its %-escapes decoded ('+' stays '+'); INVALID_ARGUMENT naming `field` for a broken
// escape.
Result<std::string> PercentDecode(std::string_view s, std::string_view field);
// Calls `each` with every parameter of a query string ("a=1&b=2", no '?'), name and value
// %-decoded, in order; empty pairs are skipped, a missing value is "". The first error (a
// broken escape, or `each`'s) is returned.
Status ForEachQueryParameter(
    std::string_view query, const std::function<Status(std::string name, std::string value)>& each);

// The request to queue, from the request target as sent ("/v1/functions/f/invoke-async?...").
Result<v1::GatewayInvokeRequest> ParseInvokeAsync(std::string_view target, std::string_view body,
                                                  std::string_view idempotency_key);
// The id in "/v1/invocations/{id}".
Result<std::string> ParseResultTarget(std::string_view target);

// {"id", "status_url"} for an accepted invocation.
std::string AcceptedJson(const std::string& id);
// {"id", "function", "state", "attempts", "error", "outcome", and, when it ran: "node_id",
// "exit_code", "output", "stderr_tail", "wall_time_ms"; with a callback: "callback": {"url",
// "state", "attempts", "last_error"}}.
std::string AsyncResultJson(const v1::AsyncResult& result);
// {"error", "code", and "field" when one is at fault, "retry_after_ms" when there is a hint}.
std::string ErrorJson(const Status& status);

// 400 INVALID_ARGUMENT, 404 NOT_FOUND, 409 ALREADY_EXISTS / FAILED_PRECONDITION,
// 429 RESOURCE_EXHAUSTED, 403, 503 UNAVAILABLE, 504, 507 for a full disk (any code with
// ErrorReason::kStorageFull), else 500.
int HttpStatusFor(const Status& status);
// The Retry-After header's value (whole seconds, rounded up) for an error with a retry hint;
// 0 when it has none.
int64_t RetryAfterSeconds(const Status& status);

}  // namespace tailor::scheduler
