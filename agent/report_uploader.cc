#include "agent/report_uploader.h"

#include <grpcpp/grpcpp.h>

#include "common/logging.h"
#include "proto/grpc_channel.h"
#include "proto/grpc_status.h"

namespace tailor::agent {

ReportUploader::ReportUploader(Options options, ReportSpool& spool)
    : options_(std::move(options)), spool_(spool) {
  stub_ = internal::v1::RunIngest::NewStub(options_.channel);
}

ReportUploader::~ReportUploader() { Stop(); }

void ReportUploader::Start() { thread_ = std::thread([this] { Run(); }); }

void ReportUploader::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReportUploader::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

Result<size_t> ReportUploader::UploadBatch() {
  TAILOR_ASSIGN_OR_RETURN(auto reports, spool_.Peek(options_.batch_size));
  if (reports.empty()) return size_t{0};
  internal::v1::SubmitRunReportsRequest req;
  req.set_node_id(options_.node_id);
  for (auto& r : reports) *req.add_reports() = std::move(r);
  internal::v1::SubmitRunReportsResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
  TAILOR_RETURN_IF_ERROR(FromGrpcStatus(stub_->SubmitRunReports(&ctx, req, &resp)));
  std::vector<std::string> done(resp.acknowledged_invocation_ids().begin(),
                                resp.acknowledged_invocation_ids().end());
  for (const auto& rejected : resp.rejected()) {
    log::Warn("the scheduler rejected a run report; dropping it",
              {{"invocation", rejected.invocation_id()}, {"field", rejected.field()},
               {"reason", rejected.reason()}});
    done.push_back(rejected.invocation_id());
  }
  TAILOR_RETURN_IF_ERROR(spool_.Ack(done));
  uploaded_.fetch_add(static_cast<uint64_t>(resp.acknowledged_invocation_ids_size()));
  rejected_.fetch_add(static_cast<uint64_t>(resp.rejected_size()));
  if (options_.after_batch) options_.after_batch(static_cast<uint64_t>(resp.rejected_size()));
  return done.size();
}

void ReportUploader::Run() {
  ExponentialBackoff backoff(options_.backoff, std::hash<std::string>{}(options_.node_id) + 1);
  bool failing = false;
  while (true) {
    auto sent = UploadBatch();
    std::chrono::milliseconds wait = options_.idle_poll;
    if (!sent.ok()) {
      wait = backoff.NextDelay();
      if (!failing) {
        log::Warn("cannot upload run reports; keeping them spooled",
                  {{"error", sent.status()}, {"spooled", spool_.depth()}});
        failing = true;
      }
    } else {
      if (failing) log::Info("run report upload resumed", {{"spooled", spool_.depth()}});
      failing = false;
      backoff.Reset();
      if (*sent > 0) continue;  // more may be waiting
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this, &failing] { return stopping_ || (woken_ && !failing); });
    woken_ = false;
    if (stopping_) {
      lock.unlock();
      (void)UploadBatch();  // a last attempt; whatever fails stays spooled
      return;
    }
  }
}

}  // namespace tailor::agent
