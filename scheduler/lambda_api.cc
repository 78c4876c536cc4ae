#include "scheduler/lambda_api.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "common/names.h"
#include "scheduler/http_api.h"

namespace tailor::scheduler {
namespace {

constexpr std::string_view kPrefix = "/2015-03-31/functions/";
constexpr std::string_view kSuffix = "/invocations";
constexpr size_t kLogResultBytes = 4096;

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Status BadParameter(std::string message, std::string field) {
  return InvalidArgumentError(std::move(message)).WithField(std::move(field));
}

// NAME, ACCOUNT:function:NAME or arn:aws:lambda:REGION:ACCOUNT:function:NAME, each with an
// optional :QUALIFIER. Sets the request's name and version.
Status ReadFunctionName(std::string_view given, v1::GatewayInvokeRequest& request) {
  std::vector<std::string_view> parts;
  for (size_t start = 0; start <= given.size();) {
    size_t end = given.find(':', start);
    if (end == std::string_view::npos) end = given.size();
    parts.push_back(given.substr(start, end - start));
    start = end + 1;
  }
  size_t name_at = 0;
  if (parts.size() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function") {
    name_at = 6;
  } else if (parts.size() >= 3 && parts[1] == "function") {
    name_at = 2;
  }
  if (parts.size() > name_at + 2) {
    return BadParameter("FunctionName " + Excerpt(given, 140) + " is not a name or an ARN",
                        "FunctionName");
  }
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kFunction, parts[name_at], "FunctionName"));
  request.set_function_name(std::string(parts[name_at]));
  if (parts.size() == name_at + 2) request.set_function_version(std::string(parts[name_at + 1]));
  return OkStatus();
}

Status ReadQualifier(std::string_view query, v1::GatewayInvokeRequest& request) {
  TAILOR_RETURN_IF_ERROR(
      ForEachQueryParameter(query, [&](std::string key, std::string value) -> Status {
        if (key != "Qualifier") {
          return BadParameter("unknown query parameter " + Excerpt(key) + " (known: 'Qualifier')",
                              "query");
        }
        if (!request.function_version().empty() && request.function_version() != value) {
          return BadParameter("the qualifier in FunctionName and Qualifier differ", "Qualifier");
        }
        request.set_function_version(std::move(value));
        return OkStatus();
      }));
  if (request.function_version() == "$LATEST") request.clear_function_version();
  if (!request.function_version().empty()) {
    TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kVersion, request.function_version(), "Qualifier"));
  }
  return OkStatus();
}

Result<LambdaInvocationType> ReadInvocationType(std::string_view value) {
  if (value.empty() || value == "RequestResponse") return LambdaInvocationType::kRequestResponse;
  if (value == "Event") return LambdaInvocationType::kEvent;
  if (value == "DryRun") return LambdaInvocationType::kDryRun;
  return BadParameter(
      "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, not " + Excerpt(value, 40),
      "X-Amz-Invocation-Type");
}

std::string ErrorBody(std::string_view type, std::string_view message) {
  return nlohmann::json{{"errorType", type}, {"errorMessage", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The body of a run that did not succeed: the function's own error JSON when it wrote one
// (Lambda runtimes always do), else Lambda's for the outcome.
std::string FunctionErrorBody(const v1::GatewayInvokeResponse& r) {
  const auto& out = r.output();
  if (r.outcome() == v1::RUN_OUTCOME_FUNCTION_ERROR || r.outcome() == v1::RUN_OUTCOME_TIMED_OUT ||
      r.outcome() == v1::RUN_OUTCOME_OOM_KILLED) {
    if (!out.empty() && nlohmann::json::accept(out)) return out;
  }
  switch (r.outcome()) {
    case v1::RUN_OUTCOME_TIMED_OUT:
      return ErrorBody("Sandbox.Timedout", "Task timed out: " + r.error());
    case v1::RUN_OUTCOME_OOM_KILLED:
      return ErrorBody("Runtime.OutOfMemory", r.error());
    case v1::RUN_OUTCOME_OUTPUT_TOO_LARGE:
      return ErrorBody("Function.ResponseSizeTooLarge", r.error());
    case v1::RUN_OUTCOME_START_FAILED:
      return ErrorBody("Runtime.StartFailed", r.error());
    case v1::RUN_OUTCOME_AGENT_LOST:
      return ErrorBody("Tailor.AgentLost", r.error());
    case v1::RUN_OUTCOME_CANCELLED:
      return ErrorBody("Tailor.Cancelled", r.error());
    default:
      return ErrorBody("Runtime.ExitError", r.error());
  }
}

std::string_view LambdaErrorType(const Status& s, int* http_status) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      if (s.field() == "Authorization") return *http_status = 403, "IncompleteSignatureException";
      if (s.field() == "payload") return *http_status = 413, "RequestTooLargeException";
      if (s.field() == "event") return *http_status = 400, "InvalidRequestContentException";
      return *http_status = 400, "InvalidParameterValueException";
    case StatusCode::kUnauthenticated:
      if (s.reason() == ErrorReason::kUnknownCredential) {
        return *http_status = 403, "UnrecognizedClientException";
      }
      if (s.reason() == ErrorReason::kBadSignature) {
        return *http_status = 403, "InvalidSignatureException";
      }
      return *http_status = 403, "MissingAuthenticationTokenException";
    case StatusCode::kPermissionDenied:
      return *http_status = 403, "AccessDeniedException";
    case StatusCode::kNotFound:
      return *http_status = 404, "ResourceNotFoundException";
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
      if (s.reason() == ErrorReason::kFunctionRemoved) {
        return *http_status = 404, "ResourceNotFoundException";
      }
      return *http_status = 409, "ResourceConflictException";
    case StatusCode::kResourceExhausted:
      return *http_status = 429, "TooManyRequestsException";
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return *http_status = 503, "ServiceException";
    default:
      return *http_status = 500, "ServiceException";
  }
}

}  // namespace

Result<LambdaInvoke> ParseLambdaInvoke(std::string_view target, const LambdaHeaders& headers,
                                       std::string_view body, uint64_t max_payload_bytes) {
  const size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix) ||
      path.size() <= kPrefix.size() + kSuffix.size()) {
    return NotFoundError("no such endpoint: " + Excerpt(path, 64));
  }
  path.remove_prefix(kPrefix.size());
  path.remove_suffix(kSuffix.size());
  if (path.size() > 256)
    return BadParameter("FunctionName is longer than 256 bytes", "FunctionName");
  LambdaInvoke out;
  TAILOR_ASSIGN_OR_RETURN(const std::string name, PercentDecode(path, "FunctionName"));
  TAILOR_RETURN_IF_ERROR(ReadFunctionName(name, out.request));
  TAILOR_RETURN_IF_ERROR(ReadQualifier(
      question == std::string_view::npos ? "" : target.substr(question + 1), out.request));
  TAILOR_ASSIGN_OR_RETURN(out.type, ReadInvocationType(headers.invocation_type));
  if (!headers.log_type.empty() && headers.log_type != "None" && headers.log_type != "Tail") {
    return BadParameter("X-Amz-Log-Type must be None or Tail", "X-Amz-Log-Type");
  }
  out.tail = headers.log_type == "Tail";
  if (body.size() > max_payload_bytes) {
    return BadParameter("the event is " + std::to_string(body.size()) + " bytes; the limit is " +
                            std::to_string(max_payload_bytes),
                        "payload");
  }
  if (body.empty()) body = "{}";
  if (!nlohmann::json::accept(body)) {
    return BadParameter("Could not parse request body into json: the event must be JSON", "event");
  }
  out.request.set_payload(std::string(body));
  return out;
}

LambdaHttpAnswer LambdaAnswerFor(const v1::GatewayInvokeResponse& r, bool tail) {
  LambdaHttpAnswer a;
  a.status = 200;
  const std::string& version = r.report().function_version();
  a.headers.emplace_back("X-Amz-Executed-Version", version.empty() ? "$LATEST" : version);
  if (!r.report().invocation_id().empty()) {
    a.headers.emplace_back("X-Amzn-RequestId", r.report().invocation_id());
  }
  if (r.outcome() == v1::RUN_OUTCOME_SUCCEEDED) {
    a.body = r.output();
  } else {
    a.headers.emplace_back("X-Amz-Function-Error", "Unhandled");
    a.body = FunctionErrorBody(r);
  }
  if (tail) {
    const std::string& log = r.stderr_tail();
    a.headers.emplace_back("X-Amz-Log-Result",
                           Base64(std::string_view(log).substr(
                               log.size() > kLogResultBytes ? log.size() - kLogResultBytes : 0)));
  }
  return a;
}

LambdaHttpAnswer LambdaErrorFor(const Status& status) {
  LambdaHttpAnswer a;
  const std::string_view type = LambdaErrorType(status, &a.status);
  a.headers.emplace_back("x-amzn-ErrorType", std::string(type));
  if (const int64_t seconds = RetryAfterSeconds(status); seconds > 0) {
    a.headers.emplace_back("Retry-After", std::to_string(seconds));
  }
  a.body = nlohmann::json{{"Type", a.status >= 500 ? "Service" : "User"},
                          {"__type", type},
                          {"message", status.message()}}
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return a;
}

}  // namespace tailor::scheduler
