#include "agent/bundle_fetcher.h"

#include <grpcpp/grpcpp.h>

#include "common/bundle_archive.h"
#include "common/logging.h"
#include "proto/grpc_status.h"

namespace tailor::agent {

Status BundleFetcher::Fetch(const std::string& digest) {
  {
    std::unique_lock lock(mu_);
    if (in_flight_.contains(digest)) {
      // Another run is fetching it: wait, then let the caller look the function up again.
      cv_.wait(lock, [&] { return !in_flight_.contains(digest); });
      return OkStatus();
    }
    in_flight_.insert(digest);
  }
  Status s = Download(digest);
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(digest);
  }
  cv_.notify_all();
  return s;
}

Status BundleFetcher::Download(const std::string& digest) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  v1::FetchBundleRequest request;
  request.set_digest(digest);
  auto reader = registry_->FetchBundle(&ctx, request);
  std::string bytes;
  v1::BundleChunk chunk;
  while (reader->Read(&chunk)) {
    if (bytes.size() + chunk.data().size() > max_bytes_) {
      ctx.TryCancel();
      reader->Finish();
      return ResourceExhaustedError("bundle " + digest + " is larger than " +
                                    std::to_string(max_bytes_) + " bytes");
    }
    bytes += chunk.data();
  }
  TAILOR_RETURN_IF_ERROR(FromGrpcStatus(reader->Finish()));
  const std::string actual = Sha256Hex(bytes);
  if (actual != digest) {
    return DataLossError("bundle from the registry hashes to " + actual + ", expected " + digest);
  }
  TAILOR_ASSIGN_OR_RETURN(InstalledFunction fn, store_.InstallArchive(bytes));
  log::Info("fetched function bundle", {{"function", fn.manifest.name},
                                        {"version", fn.manifest.version},
                                        {"digest", digest}});
  return OkStatus();
}

}  // namespace tailor::agent
