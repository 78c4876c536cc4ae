// Names: the one grammar for every identifier that Tailor turns into a database key, a path
// on disk, a cgroup directory or a metric label. Checked where it enters (a manifest, every RPC
// and HTTP request) and again where a name becomes a path (the agent's function store).
//
//   function name   1..64 characters of [A-Za-z0-9._-], starting with a letter or digit
//   version         1..64 characters of [A-Za-z0-9._+-], starting with a letter or digit
//   node id         1..128 characters of [A-Za-z0-9._-], starting with a letter or digit
//   invocation id, decision id, idempotency key, token and certificate names
//                   1..128 characters of [A-Za-z0-9._-], starting with a letter or digit
//   tenant          1..63 characters of [a-z0-9-], starting with a letter or digit (a DNS
//                   label, as Kubernetes namespaces are)
//
// Starting with a letter or digit rules out ".", "..", hidden files and names a command line
// would read as an option ("-rf").
//
// Messages name the field and quote at most a short, escaped excerpt of a bad value: a
// megabyte of input never comes back in an error.
//
// Thread-safety: stateless.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tailor {

enum class NameKind { kFunction, kVersion, kNodeId, kId, kTenant };

// The longest name of a kind.
size_t MaxNameLength(NameKind kind);

bool IsValidName(NameKind kind, std::string_view value);

// INVALID_ARGUMENT naming `field` ("report.node_id: ...") when `value` breaks the grammar.
Status CheckName(NameKind kind, std::string_view value, std::string_view field);

// A CPU feature as agents report it: 1..32 characters of [a-z0-9_] ("aes", "sha_ni").
bool IsFeatureName(std::string_view value);

// A value as it may appear in a message: quoted, non-printable bytes as \xNN, at most
// `max_chars` characters followed by "... (N bytes)" when longer.
std::string Excerpt(std::string_view value, size_t max_chars = 32);

}  // namespace tailor
