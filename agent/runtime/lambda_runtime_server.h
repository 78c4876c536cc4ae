// LambdaRuntimeServer: AWS Lambda's Runtime API (2018-06-01) for one warm instance, served by
// the agent over HTTP to that instance alone:
//
//   GET  /2018-06-01/runtime/invocation/next             200, the event as the body, with
//        Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id
//   POST /2018-06-01/runtime/invocation/{id}/response    202 {"status":"OK"}
//   POST /2018-06-01/runtime/invocation/{id}/error       202 (Lambda-Runtime-Function-Error-Type)
//   POST /2018-06-01/runtime/init/error                  202, before the first /next only
//
// An unknown request id is 400 InvalidRequestID, a response over the function's
// max_output_bytes 413 RequestEntityTooLarge, an init error after init 403
// InvalidStateTransition, each with Lambda's error JSON. Bodies beyond the output ceiling are
// refused by the HTTP layer (413).
//
// Where it listens: in a sandboxed run's own network namespace, at 127.0.0.1:9001 as on Lambda
// (the socket is made by a thread that enters that namespace for a moment: a socket belongs to
// the namespace it was made in, whatever thread serves it later); without one, at 127.0.0.1 on
// a free port of the host. Either way AWS_LAMBDA_RUNTIME_API is address().
//
// The runtime is untrusted code: at most a few connections are served at once (more wait in
// the kernel's backlog), bodies are bounded, and nothing it sends is a path or a command.
//
// Thread-safety: Start and Stop from one thread; handlers run on the server's own threads.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "agent/runtime/lambda_mailbox.h"
#include "common/status.h"

namespace httplib {
class Server;
}

namespace tailor::agent {

inline constexpr int kLambdaRuntimeApiPort = 9001;

class LambdaRuntimeServer {
 public:
  // `netns_fd` < 0: the host's namespace, any free loopback port.
  static Result<std::unique_ptr<LambdaRuntimeServer>> Start(LambdaMailbox& mailbox, int netns_fd);
  ~LambdaRuntimeServer();
  // Closes nothing of the mailbox; call LambdaMailbox::Close first so a waiting /next returns.
  void Stop();
  const std::string& address() const { return address_; }  // host:port, as the runtime sees it

 private:
  LambdaRuntimeServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string address_;
};

}  // namespace tailor::agent
