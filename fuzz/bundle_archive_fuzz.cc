// A bundle archive from the network (Registry.Deploy, or an agent's fetch): any bytes must be
// unpacked safely into a new folder or refused, never crash, and never leave a file outside it.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "common/bundle_archive.h"
#include "fuzz/fuzz_input.h"

namespace {

std::string Scratch() {
  static const std::string dir = [] {
    char templ[] = "/tmp/tailor-bundle-fuzz-XXXXXX";
    return std::string(mkdtemp(templ));
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  tailor::BundleLimits limits;
  limits.max_unpacked_bytes = 1 << 20;
  limits.max_entries = 64;
  const std::string dest = Scratch() + "/unpacked";
  (void)tailor::ExtractBundle(tailor::fuzz::AsText(data, size), dest, limits);
  std::error_code ec;
  fs::remove_all(dest, ec);
  // Nothing may have been written beside the destination.
  if (fs::directory_iterator(Scratch(), ec) != fs::directory_iterator()) abort();
  return 0;
}
