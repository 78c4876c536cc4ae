#include "scheduler/http_api.h"

#include <nlohmann/json.hpp>

#include "common/names.h"
#include "proto/async_state_name.h"
#include "proto/run_outcome_name.h"
#include "proto/validation.h"

namespace tailor::scheduler {
namespace {

constexpr std::string_view kFunctionsPrefix = "/v1/functions/";
constexpr std::string_view kInvokeAsyncSuffix = "/invoke-async";
constexpr std::string_view kInvocationsPrefix = "/v1/invocations/";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads the query's parameters: `version` and `callback_url`.
Status ReadQuery(std::string_view query, v1::GatewayInvokeRequest& request) {
  return ForEachQueryParameter(query, [&](std::string key, std::string value) -> Status {
    if (key == "version") {
      request.set_function_version(std::move(value));
    } else if (key == "callback_url") {
      request.set_callback_url(std::move(value));
    } else {
      return InvalidArgumentError("unknown query parameter " + Excerpt(key) +
                                  " (known: 'version', 'callback_url')")
          .WithField("query");
    }
    return OkStatus();
  });
}

}  // namespace

Result<std::string> PercentDecode(std::string_view s, std::string_view field) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return InvalidArgumentError(std::string(field) + " has a broken %-escape")
          .WithField(std::string(field));
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Status ForEachQueryParameter(
    std::string_view query,
    const std::function<Status(std::string name, std::string value)>& each) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    TAILOR_ASSIGN_OR_RETURN(std::string name, PercentDecode(pair.substr(0, eq), "query"));
    const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    TAILOR_ASSIGN_OR_RETURN(std::string value, PercentDecode(raw, name));
    TAILOR_RETURN_IF_ERROR(each(std::move(name), std::move(value)));
  }
  return OkStatus();
}

Result<v1::GatewayInvokeRequest> ParseInvokeAsync(std::string_view target, std::string_view body,
                                                  std::string_view idempotency_key) {
  const size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (!path.starts_with(kFunctionsPrefix) || !path.ends_with(kInvokeAsyncSuffix) ||
      path.size() < kFunctionsPrefix.size() + kInvokeAsyncSuffix.size()) {
    return NotFoundError("no such endpoint: " + Excerpt(path, 64));
  }
  path.remove_prefix(kFunctionsPrefix.size());
  path.remove_suffix(kInvokeAsyncSuffix.size());
  TAILOR_ASSIGN_OR_RETURN(std::string name, PercentDecode(path, "function"));
  v1::GatewayInvokeRequest request;
  request.set_function_name(std::move(name));
  if (question != std::string_view::npos) {
    TAILOR_RETURN_IF_ERROR(ReadQuery(target.substr(question + 1), request));
  }
  request.set_payload(std::string(body));
  request.set_idempotency_key(std::string(idempotency_key));
  TAILOR_RETURN_IF_ERROR(ValidateGatewayInvokeRequest(request));
  return request;
}

Result<std::string> ParseResultTarget(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (!path.starts_with(kInvocationsPrefix)) {
    return NotFoundError("no such endpoint: " + Excerpt(path, 64));
  }
  path.remove_prefix(kInvocationsPrefix.size());
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kId, path, "id"));
  return std::string(path);
}

std::string AcceptedJson(const std::string& id) {
  return nlohmann::json{{"id", id}, {"status_url", std::string(kInvocationsPrefix) + id}}.dump();
}

std::string AsyncResultJson(const v1::AsyncResult& r) {
  nlohmann::json j = {{"id", r.id()},
                      {"function", r.function_name()},
                      {"state", AsyncStateName(r.state())},
                      {"attempts", r.attempts()},
                      {"error", r.error()},
                      {"outcome", r.outcome() == v1::RUN_OUTCOME_UNSPECIFIED
                                      ? std::string()
                                      : RunOutcomeName(r.outcome())}};
  if (r.has_response()) {
    j["node_id"] = r.node_id();
    j["exit_code"] = r.exit_code();
    j["stderr_tail"] = r.stderr_tail();
    j["output"] = r.response().output();
    j["wall_time_ms"] = r.response().report().wall_time_us() / 1000.0;
  }
  if (r.has_callback()) {
    j["callback"] = {{"url", r.callback().url()},
                     {"state", CallbackStateName(r.callback().state())},
                     {"attempts", r.callback().attempts()},
                     {"last_error", r.callback().last_error()}};
  }
  // Output and stderr are bytes: invalid UTF-8 becomes U+FFFD rather than failing the answer.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ErrorJson(const Status& s) {
  nlohmann::json j = {{"error", std::string(s.message())},
                      {"code", std::string(StatusCodeName(s.code()))}};
  if (!s.field().empty()) j["field"] = s.field();
  if (s.retry_after().count() > 0) j["retry_after_ms"] = s.retry_after().count();
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int64_t RetryAfterSeconds(const Status& s) {
  const int64_t ms = s.retry_after().count();
  return ms <= 0 ? 0 : (ms + 999) / 1000;
}

int HttpStatusFor(const Status& s) {
  if (s.reason() == ErrorReason::kStorageFull) return 507;  // Insufficient Storage
  switch (s.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

}  // namespace tailor::scheduler
