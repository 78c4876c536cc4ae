// The agent <-> run spawner messages: any bytes must decode or be refused, and whatever decodes
// must encode again to a message that decodes to the same request.
#include <cstdlib>

#include "agent/runtime/spawn_protocol.h"
#include "fuzz/fuzz_input.h"

namespace spawn = tailor::agent::spawn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = tailor::fuzz::AsText(data, size);
  (void)spawn::DecodeEvent(bytes);
  auto request = spawn::DecodeStartRequest(bytes);
  if (!request.ok()) return 0;
  auto encoded = spawn::EncodeStartRequest(*request);
  if (!encoded.ok()) std::abort();
  auto again = spawn::DecodeStartRequest(*encoded);
  if (!again.ok() || again->executable != request->executable || again->argv != request->argv ||
      again->env != request->env || again->join_files != request->join_files ||
      again->counters != request->counters || again->uid != request->uid ||
      again->sandbox != request->sandbox) {
    std::abort();
  }
  return 0;
}
