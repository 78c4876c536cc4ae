// ReportUploader: sends spooled run reports to the scheduler in order, in batches, and deletes
// them from the spool once acknowledged, or once rejected (the scheduler refused them for good:
// each is logged with its reason and counted, so one bad report never blocks the rest). While
// the scheduler is away it backs off and keeps the reports; after it returns, everything
// unacknowledged is sent again (the scheduler stores idempotently by invocation id, so a
// resend never duplicates).
//
// Thread-safety: Start/Stop from the owner; Wake() from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/report_spool.h"
#include "common/backoff.h"
#include "tailor/internal/v1/ingest.grpc.pb.h"

namespace tailor::agent {

class ReportUploader {
 public:
  struct Options {
    std::string scheduler_address;           // for logs
    std::shared_ptr<grpc::Channel> channel;  // to the scheduler (proto/grpc_channel.h)
    std::string node_id;
    size_t batch_size = 256;
    std::chrono::milliseconds idle_poll{500};
    std::chrono::milliseconds rpc_timeout{5000};
    ExponentialBackoff::Options backoff;
    // Called on the uploader's thread after each batch the scheduler answered, with how many
    // reports were rejected (0 or more); may be null.
    std::function<void(uint64_t rejected)> after_batch;
  };

  ReportUploader(Options options, ReportSpool& spool);
  ~ReportUploader();
  void Start();
  void Stop();
  // Asks for an upload now (called after a run appends a report).
  void Wake();
  uint64_t uploaded_total() const { return uploaded_.load(); }
  uint64_t rejected_total() const { return rejected_.load(); }

 private:
  void Run();
  // Sends one batch; returns how many were acknowledged.
  Result<size_t> UploadBatch();

  const Options options_;
  ReportSpool& spool_;
  std::unique_ptr<internal::v1::RunIngest::Stub> stub_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::atomic<uint64_t> uploaded_{0};
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace tailor::agent
