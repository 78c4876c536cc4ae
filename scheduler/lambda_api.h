// LambdaApi: AWS Lambda's Invoke API (2015-03-31) as the scheduler's HTTP endpoint speaks it,
// apart from the server, so the parsing of untrusted requests is pure, unit-tested and fuzzed.
//
//   POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=Q]   body = the event
//     FunctionName: a name, "ACCOUNT:function:NAME" or an ARN
//       "arn:aws:lambda:REGION:ACCOUNT:function:NAME", each with an optional ":QUALIFIER"
//       (a version; "$LATEST" means the newest)
//     X-Amz-Invocation-Type: RequestResponse (default), Event (queued durably: 202), DryRun
//       (checks the caller may invoke it: 204)
//     X-Amz-Log-Type: Tail returns the last 4 KiB of the run's log in X-Amz-Log-Result (base64)
//
// The event must be JSON (an empty body is {}), as on Lambda. A RequestResponse answer is 200
// with the function's response; a run that did not succeed is 200 with X-Amz-Function-Error:
// Unhandled and Lambda's error JSON (the runtime's own, for Lambda functions), as Lambda does.
// Errors of the request itself are Lambda's: an HTTP status, x-amzn-ErrorType and a JSON body
// with the type and message (LambdaErrorFor).
//
// Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "tailor/v1/gateway.pb.h"

namespace tailor::scheduler {

enum class LambdaInvocationType { kRequestResponse, kEvent, kDryRun };

struct LambdaInvoke {
  LambdaInvocationType type = LambdaInvocationType::kRequestResponse;
  bool tail = false;
  v1::GatewayInvokeRequest request;  // function name, version and payload
};

struct LambdaHeaders {
  std::string_view invocation_type;  // X-Amz-Invocation-Type
  std::string_view log_type;         // X-Amz-Log-Type
};

// From the request target as sent ("/2015-03-31/functions/NAME/invocations?Qualifier=1").
Result<LambdaInvoke> ParseLambdaInvoke(std::string_view target, const LambdaHeaders& headers,
                                       std::string_view body, uint64_t max_payload_bytes);

struct LambdaHttpAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
};

// The answer to a RequestResponse invocation that ran (or was given up on by the gateway with
// an outcome).
LambdaHttpAnswer LambdaAnswerFor(const v1::GatewayInvokeResponse& response, bool tail);
// Lambda's error for a request that failed before a run: 400 InvalidParameterValueException
// (InvalidRequestContentException for an event that is not JSON, RequestTooLargeException 413
// for one too large), 403 for credentials (MissingAuthenticationTokenException,
// UnrecognizedClientException, InvalidSignatureException, IncompleteSignatureException,
// AccessDeniedException), 404 ResourceNotFoundException, 409 ResourceConflictException, 429
// TooManyRequestsException, 503/500 ServiceException.
LambdaHttpAnswer LambdaErrorFor(const Status& status);

}  // namespace tailor::scheduler
