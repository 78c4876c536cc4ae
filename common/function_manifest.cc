#include "common/function_manifest.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <toml++/toml.h>

#include "common/file_util.h"

namespace tailor {
namespace {

bool ValidToken(std::string_view s, std::string_view extra) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

Status ValidateEntrypoint(std::string_view e) {
  if (e.empty()) return InvalidArgumentError("manifest: 'entrypoint' is required");
  if (e.front() == '/') {
    return InvalidArgumentError("manifest: 'entrypoint' must be relative to the bundle, got '" +
                                std::string(e) + "'");
  }
  for (std::string_view part : SplitString(e, '/')) {
    if (part == "..") {
      return InvalidArgumentError("manifest: 'entrypoint' escapes the bundle: '" +
                                  std::string(e) + "'");
    }
  }
  return OkStatus();
}

}  // namespace

Result<FunctionManifest> ParseManifest(std::string_view toml_text) {
  toml::table t;
  try {
    t = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError(std::string("manifest is not valid TOML: ") +
                                std::string(e.description()) + " at line " +
                                std::to_string(e.source().begin.line));
  }
  FunctionManifest m;
  auto name = t["name"].value<std::string>();
  if (!name || !ValidToken(*name, "._-")) {
    return InvalidArgumentError("manifest: 'name' must be 1..64 characters of [A-Za-z0-9._-]");
  }
  m.name = *name;
  auto version = t["version"].value<std::string>();
  if (!version || !ValidToken(*version, "._+-")) {
    return InvalidArgumentError(
        "manifest: 'version' must be 1..64 characters of [A-Za-z0-9._+-]");
  }
  m.version = *version;
  m.entrypoint = t["entrypoint"].value_or(std::string());
  TAILOR_RETURN_IF_ERROR(ValidateEntrypoint(m.entrypoint));

  if (auto* args = t["args"].as_array()) {
    for (const auto& a : *args) {
      auto s = a.value<std::string>();
      if (!s) return InvalidArgumentError("manifest: 'args' must be an array of strings");
      m.args.push_back(*s);
    }
  } else if (t.contains("args")) {
    return InvalidArgumentError("manifest: 'args' must be an array of strings");
  }
  if (auto* env = t["env"].as_table()) {
    for (const auto& [k, v] : *env) {
      auto s = v.value<std::string>();
      if (!s) return InvalidArgumentError("manifest: env." + std::string(k.str()) + " must be a string");
      m.env[std::string(k.str())] = *s;
    }
  } else if (t.contains("env")) {
    return InvalidArgumentError("manifest: 'env' must be a table");
  }
  if (t.contains("timeout_ms")) {
    auto v = t["timeout_ms"].value<int64_t>();
    if (!v || *v <= 0 || *v > 3'600'000) {
      return InvalidArgumentError("manifest: 'timeout_ms' must be 1..3600000");
    }
    m.timeout_ms = static_cast<uint32_t>(*v);
  }
  if (t.contains("memory_hint_bytes")) {
    auto v = t["memory_hint_bytes"].value<int64_t>();
    if (!v || *v < 0) return InvalidArgumentError("manifest: 'memory_hint_bytes' must be >= 0");
    m.memory_hint_bytes = static_cast<uint64_t>(*v);
  }
  if (t.contains("idempotent")) {
    auto v = t["idempotent"].value<bool>();
    if (!v) return InvalidArgumentError("manifest: 'idempotent' must be true or false");
    m.idempotent = *v;
  }
  if (t.contains("latency_target_ms")) {
    auto v = t["latency_target_ms"].value<int64_t>();
    if (!v || *v < 0 || *v > 3'600'000) {
      return InvalidArgumentError("manifest: 'latency_target_ms' must be 0..3600000");
    }
    m.latency_target_ms = static_cast<uint32_t>(*v);
  }
  return m;
}

Result<std::string> ResolveEntrypoint(const std::string& bundle_dir,
                                      const FunctionManifest& manifest) {
  TAILOR_RETURN_IF_ERROR(ValidateEntrypoint(manifest.entrypoint));
  char root_buf[PATH_MAX];
  char entry_buf[PATH_MAX];
  if (::realpath(bundle_dir.c_str(), root_buf) == nullptr) {
    return ErrnoToStatus(errno, "resolving bundle directory " + bundle_dir);
  }
  const std::string joined = JoinPath(bundle_dir, manifest.entrypoint);
  if (::realpath(joined.c_str(), entry_buf) == nullptr) {
    return ErrnoToStatus(errno, "resolving entrypoint " + manifest.entrypoint);
  }
  const std::string root = std::string(root_buf) + "/";
  const std::string entry = entry_buf;
  if (entry.compare(0, root.size(), root) != 0) {
    return InvalidArgumentError("entrypoint " + manifest.entrypoint +
                                " resolves outside the bundle (to " + entry + ")");
  }
  struct stat st;
  if (::stat(entry.c_str(), &st) != 0) return ErrnoToStatus(errno, "stat " + entry);
  if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
    return InvalidArgumentError("entrypoint " + manifest.entrypoint +
                                " is not an executable regular file");
  }
  return entry;
}

}  // namespace tailor
