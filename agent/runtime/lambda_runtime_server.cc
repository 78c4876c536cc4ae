#include "agent/runtime/lambda_runtime_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <nlohmann/json.hpp>

#include "common/limits.h"
#include "common/listen_thread.h"
#include "common/logging.h"
#include "common/unique_fd.h"

namespace tailor::agent {
namespace {

constexpr size_t kServingThreads = 3;
constexpr char kPrefix[] = "/2018-06-01/runtime";

// A few threads for one instance's runtime; a connection beyond them is served by the
// accepting thread itself, so a runtime that opens many only slows its own instance down.
class SmallPool final : public httplib::TaskQueue {
 public:
  SmallPool() {
    for (size_t i = 0; i < kServingThreads; ++i) threads_.emplace_back([this] { Work(); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::unique_lock lock(mu_);
      if (jobs_.size() + busy_ < threads_.size()) {
        jobs_.push_back(std::move(fn));
        cv_.notify_one();
        return;
      }
    }
    fn();  // every thread is busy: serve it here (the kernel's backlog holds the rest)
  }
  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void Work() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      ++busy_;
      lock.unlock();
      fn();
      lock.lock();
      --busy_;
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

void SendLambdaError(httplib::Response& res, int status, const std::string& type,
                     const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"errorType", type}, {"errorMessage", message}}.dump(),
                  "application/json");
}

void SendAccepted(httplib::Response& res) {
  res.status = 202;
  res.set_content(R"({"status":"OK"})", "application/json");
}

void SendFinishError(httplib::Response& res, const Status& s) {
  if (s.code() == StatusCode::kResourceExhausted) {
    return SendLambdaError(res, 413, "RequestEntityTooLarge", s.message());
  }
  SendLambdaError(res, 400, "InvalidRequestID", "Invalid request ID");
}

void ServeNext(LambdaMailbox& mailbox, httplib::Response& res) {
  // The wait is long; a closed mailbox (the instance is stopping) ends it.
  while (true) {
    std::optional<LambdaEvent> event = mailbox.Next(std::chrono::seconds(1));
    if (event) {
      res.set_header("Lambda-Runtime-Aws-Request-Id", event->request_id);
      res.set_header("Lambda-Runtime-Deadline-Ms", std::to_string(event->deadline_unix_ms));
      res.set_header("Lambda-Runtime-Invoked-Function-Arn", event->function_arn);
      res.set_header("Lambda-Runtime-Trace-Id", event->trace_id);
      res.set_content(std::move(event->payload), "application/json");
      return;
    }
    if (mailbox.closed()) {
      return SendLambdaError(res, 500, "Runtime.Shutdown", "the instance is stopping");
    }
  }
}

void Route(httplib::Server& svr, LambdaMailbox& mailbox) {
  const std::string p = kPrefix;
  svr.Get(p + "/invocation/next",
          [&mailbox](const httplib::Request&, httplib::Response& res) { ServeNext(mailbox, res); });
  svr.Post(p + R"(/invocation/([^/]{1,128})/response)",
           [&mailbox](const httplib::Request& req, httplib::Response& res) {
             Status s = mailbox.Respond(req.matches[1], req.body);
             s.ok() ? SendAccepted(res) : SendFinishError(res, s);
           });
  svr.Post(p + R"(/invocation/([^/]{1,128})/error)",
           [&mailbox](const httplib::Request& req, httplib::Response& res) {
             Status s = mailbox.Fail(req.matches[1], req.body,
                                     req.get_header_value("Lambda-Runtime-Function-Error-Type"));
             s.ok() ? SendAccepted(res) : SendFinishError(res, s);
           });
  svr.Post(p + "/init/error", [&mailbox](const httplib::Request& req, httplib::Response& res) {
    Status s =
        mailbox.InitFailed(req.body, req.get_header_value("Lambda-Runtime-Function-Error-Type"));
    if (!s.ok()) return SendLambdaError(res, 403, "InvalidStateTransition", s.message());
    SendAccepted(res);
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      SendLambdaError(res, res.status, res.status == 404 ? "NotFound" : "InvalidRequest",
                      "HTTP " + std::to_string(res.status));
    }
  });
}

// Binds in `netns_fd`'s namespace by entering it on this thread for the call only.
bool BindInNamespace(httplib::Server& svr, int netns_fd) {
  UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (own.fd < 0 || ::setns(netns_fd, CLONE_NEWNET) != 0) return false;
  const bool bound = svr.bind_to_port("127.0.0.1", kLambdaRuntimeApiPort);
  if (::setns(own.fd, CLONE_NEWNET) != 0) {
    // This thread would serve gRPC from inside a run's namespace: nothing safe is left to do.
    log::Error("cannot return to the agent's network namespace", {});
    std::abort();
  }
  return bound;
}

}  // namespace

Result<std::unique_ptr<LambdaRuntimeServer>> LambdaRuntimeServer::Start(LambdaMailbox& mailbox,
                                                                        int netns_fd) {
  std::unique_ptr<LambdaRuntimeServer> s(new LambdaRuntimeServer());
  s->server_ = std::make_unique<httplib::Server>();
  auto& svr = *s->server_;
  svr.new_task_queue = [] { return new SmallPool(); };
  svr.set_payload_max_length(kMaxOutputBytesCeiling + (64 << 10));
  svr.set_keep_alive_max_count(1000);
  // An answer's header and body go in separate writes: without this, Nagle's algorithm holds
  // the body until the runtime's delayed ACK (40 ms).
  svr.set_tcp_nodelay(true);
  Route(svr, mailbox);
  if (netns_fd >= 0) {
    if (!BindInNamespace(svr, netns_fd)) {
      return ErrnoToStatus(errno, "listening for the Lambda runtime API in the run's namespace");
    }
    s->address_ = "127.0.0.1:" + std::to_string(kLambdaRuntimeApiPort);
  } else {
    const int port = svr.bind_to_any_port("127.0.0.1");
    if (port < 0) return ErrnoToStatus(errno, "listening for the Lambda runtime API");
    s->address_ = "127.0.0.1:" + std::to_string(port);
  }
  s->thread_ = ListenOnThread(svr);
  return s;
}

LambdaRuntimeServer::~LambdaRuntimeServer() { Stop(); }

void LambdaRuntimeServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tailor::agent
