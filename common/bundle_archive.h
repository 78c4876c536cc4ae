// Bundle archives: a function bundle travels as a gzip-compressed tar (`.tar.gz`).
//
// PackBundle turns a bundle directory into archive bytes that depend only on the files'
// names, contents, modes and symlink targets (no timestamps, owners or ordering noise), so the
// same bundle always has the same SHA-256 and the registry can store it content-addressed.
//
// ExtractBundle unpacks archive bytes into a new directory, refusing anything that could write
// outside it or surprise the agent: absolute paths, ".." components, hard links, device files,
// FIFOs, symlinks whose target leaves the bundle, more than `max_entries` entries or more than
// `max_unpacked_bytes` in all. A bundle may sit at the archive's root or inside one top-level
// folder (as `tar czf x.tar.gz mydir/` makes); the returned path is the folder that holds
// tailor.toml.
//
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tailor {

struct BundleLimits {
  uint64_t max_unpacked_bytes = 256ull << 20;
  uint32_t max_entries = 10'000;
};

// Archive bytes of the bundle rooted at `dir`. INVALID_ARGUMENT for special files.
Result<std::string> PackBundle(const std::string& dir);

// Unpacks into `dest_dir` (created; must not exist yet). Returns the bundle root inside it.
// INVALID_ARGUMENT (naming the entry) for unsafe or oversize content or a corrupt archive.
Result<std::string> ExtractBundle(std::string_view archive_bytes, const std::string& dest_dir,
                                  const BundleLimits& limits = {});

// True for names ending in .tar.gz or .tgz.
bool IsBundleArchiveName(std::string_view path);

// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);
// Whether `s` is what Sha256Hex returns: 64 lower-case hex digits.
bool IsSha256Hex(std::string_view s);

}  // namespace tailor
