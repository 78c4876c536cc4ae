// tailor.toml from a bundle: any bytes must parse or be refused, never crash, and anything
// accepted must hold names of the grammar and limits in range.
#include <cstdlib>

#include "common/function_manifest.h"
#include "common/names.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = tailor::ParseManifest(tailor::fuzz::AsText(data, size));
  if (!m.ok()) return 0;
  if (!tailor::IsValidName(tailor::NameKind::kFunction, m->name) ||
      !tailor::IsValidName(tailor::NameKind::kVersion, m->version) ||
      m->max_output_bytes > tailor::kMaxOutputBytesCeiling || m->timeout_ms == 0 ||
      m->timeout_ms > tailor::kMaxTimeoutMs) {
    std::abort();
  }
  return 0;
}
