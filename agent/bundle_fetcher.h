// BundleFetcher: downloads a function bundle from the scheduler's registry the first time the
// agent has to run it, checks its SHA-256 against the digest the scheduler named, and installs
// it in the local FunctionStore (which keeps it across restarts). Concurrent fetches of one
// digest download it once.
//
// Thread-safety: Fetch may be called concurrently.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "agent/runtime/function_store.h"
#include "tailor/v1/registry.grpc.pb.h"

namespace tailor::agent {

class BundleFetcher {
 public:
  BundleFetcher(std::shared_ptr<v1::Registry::StubInterface> registry, FunctionStore& store,
                uint64_t max_bundle_bytes = 256ull << 20)
      : registry_(std::move(registry)), store_(store), max_bytes_(max_bundle_bytes) {}

  // DATA_LOSS when the bytes do not hash to `digest`; the registry's error otherwise.
  Status Fetch(const std::string& digest);

 private:
  Status Download(const std::string& digest);

  std::shared_ptr<v1::Registry::StubInterface> registry_;
  FunctionStore& store_;
  const uint64_t max_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> in_flight_;
};

}  // namespace tailor::agent
