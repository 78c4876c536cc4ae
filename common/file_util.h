// Small file helpers that return Status instead of throwing or setting errno.
//
// Thread-safety: stateless free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tailor {

// Whole file as a string. NOT_FOUND if it does not exist.
Result<std::string> ReadFile(const std::string& path);

// First line of the file without the trailing newline (sysfs and procfs single-value files).
Result<std::string> ReadFirstLine(const std::string& path);

// Writes the file in place (O_TRUNC), creating it if missing: for kernel control files, which
// always exist, and for the fake kernel trees tests build.
Status WriteFile(const std::string& path, std::string_view contents);

// Who may read a file written here: everyone (0644), or only its owner (0600: keys, tokens).
enum class FileAccess { kShared, kOwnerOnly };

// Writes to a temporary sibling and renames it over `path`, so readers never see a half file.
Status WriteFileAtomically(const std::string& path, std::string_view contents,
                           FileAccess access = FileAccess::kShared);

bool PathExists(const std::string& path);

// Names of the entries of a directory, sorted, without "." and "..".
Result<std::vector<std::string>> ListDirectory(const std::string& path);

// mkdir -p.
Status MakeDirectories(const std::string& path);

// rm -rf of `path`, but only when it lies strictly inside `root` once both are resolved
// (symlinks followed, "." and ".." folded): never `root` itself, never anything outside it.
// FAILED_PRECONDITION, with nothing removed, otherwise. OK when `path` does not exist.
Status RemoveTreeInside(const std::string& root, const std::string& path);

// Joins path parts with exactly one '/' between them.
std::string JoinPath(std::string_view a, std::string_view b);

// Trims ASCII whitespace at both ends.
std::string_view TrimWhitespace(std::string_view s);

// Splits on a delimiter; empty fields are kept.
std::vector<std::string_view> SplitString(std::string_view s, char delimiter);

// Splits on runs of whitespace; no empty fields.
std::vector<std::string_view> SplitWhitespace(std::string_view s);

// Parses a whole decimal integer or floating number; INVALID_ARGUMENT otherwise.
Result<int64_t> ParseInt64(std::string_view s);
Result<uint64_t> ParseUint64(std::string_view s);
Result<double> ParseDouble(std::string_view s);

}  // namespace tailor
