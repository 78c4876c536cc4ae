// A bundle archive from the network (Registry.Deploy, or an agent's fetch): any bytes must be
// unpacked safely into a new folder or refused, never crash, and never leave a file outside it.
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/bundle_archive.h"
#include "fuzz/fuzz_input.h"

namespace {

// Made once per process and removed when it exits, so that fuzzing leaves nothing in /tmp.
std::string Scratch() {
  static const std::string dir = [] {
    static char templ[] = "/tmp/tailor-bundle-fuzz-XXXXXX";
    const std::string made(mkdtemp(templ));
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(templ, ec);
    });
    return made;
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
