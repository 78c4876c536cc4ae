// FunctionManifest: what a function bundle declares about itself, read from `tailor.toml` at
// the bundle's root. docs/functions.md documents every key; in short:
//
//   name = "aes-gcm"                 # required; see common/names.h
//   version = "1.0.0"                # required; see common/names.h
//   entrypoint = "bin/aes_gcm"       # required; relative, inside the bundle, executable
//   args = ["--quiet"]               # optional
//   timeout_ms = 30000               # optional wall-clock timeout, 1..3600000 (30000)
//   memory_hint_bytes = 67108864     # optional first guess at the memory it needs (256 MiB)
//   max_memory_bytes = 4294967296    # optional: never give it more (and OOM growth stops here)
//   max_output_bytes = 6291456       # optional stdout limit, 1..32 MiB (6 MiB)
//   idempotent = false               # optional: may it run again after it may have started?
//   latency_target_ms = 200          # optional p95 target for the efficiency policy
//   network = "none"                 # optional: "none" (loopback only) or "outbound" (the
//                                    # host's network, where the agent allows it)
//   prefers = ["aes"]                # optional CPU features it runs faster with (a placement
//                                    # hint until it has run on hosts without them)
//   runtime = "process"              # optional: "process" (a new process per call reading
//                                    # stdin) or "lambda" (a warm runtime speaking AWS
//                                    # Lambda's Runtime API; entrypoint defaults to
//                                    # "bootstrap"; docs/lambda.md)
//   handler = "main.handler"         # optional, lambda only: the runtime's _HANDLER
//   [env]                            # optional extra environment
//   LEVEL = "6"
//
// An unknown key is an error naming the nearest known one, so a typo never passes silently.
// Parsing is pure (text in, struct out); ResolveEntrypoint checks the entrypoint on disk.
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/limits.h"
#include "common/status.h"

namespace tailor {

inline constexpr const char kManifestFileName[] = "tailor.toml";
// The largest tailor.toml read.
inline constexpr uint64_t kMaxManifestBytes = 64 << 10;

enum class FunctionNetwork { kNone, kOutbound };
enum class FunctionRuntime { kProcess, kLambda };
inline constexpr size_t kMaxHandlerBytes = 128;

struct FunctionManifest {
  std::string name;
  std::string version;
  std::string entrypoint;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  uint32_t timeout_ms = 30'000;
  uint64_t memory_hint_bytes = 0;  // 0: none
  uint64_t max_memory_bytes = 0;   // 0: no limit but the node's
  uint64_t max_output_bytes = kDefaultMaxOutputBytes;
  bool idempotent = false;
  uint32_t latency_target_ms = 0;  // 0: none
  FunctionNetwork network = FunctionNetwork::kNone;
  std::vector<std::string> prefers;  // CPU feature names, sorted, unique (at most 16)
  FunctionRuntime runtime = FunctionRuntime::kProcess;
  std::string handler;  // lambda only; may be empty
};

// INVALID_ARGUMENT naming the offending key for malformed, missing or unknown keys, and for an
// entrypoint that is absolute or climbs out of the bundle with "..".
Result<FunctionManifest> ParseManifest(std::string_view toml_text);

// Checks that <bundle_dir>/<entrypoint> resolves (after symlinks) inside bundle_dir to a
// regular file that a user who does not own the bundle may run: executable by others (and
// readable by others when it is a script, which its interpreter must read), in directories
// others may enter. Returns the resolved path. INVALID_ARGUMENT otherwise.
Result<std::string> ResolveEntrypoint(const std::string& bundle_dir,
                                      const FunctionManifest& manifest);

}  // namespace tailor
