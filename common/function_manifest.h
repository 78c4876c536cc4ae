// FunctionManifest: what a function bundle declares about itself, read from `tailor.toml` at
// the bundle's root.
//
//   name = "aes-gcm"                 # [A-Za-z0-9._-], 1..64
//   version = "1.0.0"                # [A-Za-z0-9._+-], 1..64
//   entrypoint = "bin/aes_gcm"       # relative to the bundle; must stay inside it
//   args = ["--quiet"]               # optional
//   timeout_ms = 30000               # optional default wall-clock timeout (default 30000)
//   memory_hint_bytes = 67108864     # optional first guess at the memory it needs
//   idempotent = false               # optional: may the gateway retry it after it started?
//   latency_target_ms = 200          # optional p95 target for the efficiency policy
//   [env]                            # optional extra environment
//   LEVEL = "6"
//
// Parsing is pure (text in, struct out); ValidateBundle checks the entrypoint on disk.
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tailor {

inline constexpr const char kManifestFileName[] = "tailor.toml";

struct FunctionManifest {
  std::string name;
  std::string version;
  std::string entrypoint;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  uint32_t timeout_ms = 30'000;
  uint64_t memory_hint_bytes = 0;
  bool idempotent = false;
  uint32_t latency_target_ms = 0;  // 0: none
};

// INVALID_ARGUMENT naming the offending key for malformed or missing fields, and for an
// entrypoint that is absolute or climbs out of the bundle with "..".
Result<FunctionManifest> ParseManifest(std::string_view toml_text);

// Checks that <bundle_dir>/<entrypoint> exists, is a regular executable file, and resolves
// (after symlinks) inside bundle_dir. Returns the resolved path.
Result<std::string> ResolveEntrypoint(const std::string& bundle_dir,
                                      const FunctionManifest& manifest);

}  // namespace tailor
