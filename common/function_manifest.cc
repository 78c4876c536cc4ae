#include "common/function_manifest.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <toml++/toml.h>

#include "common/file_util.h"
#include "common/names.h"

namespace tailor {
namespace {

constexpr std::array<std::string_view, 15> kKnownKeys = {"name",
                                                         "version",
                                                         "entrypoint",
                                                         "args",
                                                         "env",
                                                         "timeout_ms",
                                                         "memory_hint_bytes",
                                                         "max_memory_bytes",
                                                         "max_output_bytes",
                                                         "idempotent",
                                                         "latency_target_ms",
                                                         "network",
                                                         "prefers",
                                                         "runtime",
                                                         "handler"};

constexpr size_t kMaxArgs = 256;
constexpr size_t kMaxPreferredFeatures = 16;
constexpr size_t kMaxEnv = 256;
constexpr size_t kMaxStringBytes = 4096;
// Far more than any host has; a larger number is a typo.
constexpr int64_t kMaxMemoryBytes = int64_t{1} << 50;

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

Status UnknownKeyError(std::string_view key) {
  std::string_view nearest;
  size_t best = SIZE_MAX;
  for (std::string_view known : kKnownKeys) {
    const size_t d = known.starts_with(key.substr(0, std::min<size_t>(key.size(), 64)))
                         ? 1
                         : EditDistance(key.substr(0, 64), known);
    if (d < best) best = d, nearest = known;
  }
  std::string message = "manifest: unknown key " + Excerpt(key);
  if (best <= 3) message += " (did you mean '" + std::string(nearest) + "'?)";
  return InvalidArgumentError(std::move(message)).WithField(std::string(key.substr(0, 64)));
}

Status KeyError(std::string_view key, std::string message) {
  return InvalidArgumentError("manifest: '" + std::string(key) + "' " + message)
      .WithField(std::string(key));
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

bool ValidEnvName(std::string_view k) {
  if (k.empty() || k.size() > 128 || (k.front() >= '0' && k.front() <= '9')) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Status ValidateEntrypoint(std::string_view e) {
  if (e.empty()) return KeyError("entrypoint", "is required");
  if (e.size() > kMaxStringBytes || HasNul(e)) return KeyError("entrypoint", "is not a usable path");
  if (e.front() == '/') {
    return KeyError("entrypoint", "must be relative to the bundle, got " + Excerpt(e));
  }
  for (std::string_view part : SplitString(e, '/')) {
    if (part == "..") return KeyError("entrypoint", "escapes the bundle: " + Excerpt(e));
  }
  return OkStatus();
}

// An integer key in [lo, hi], if present. Only an integer node is read: toml++'s value<int64_t>()
// would also convert a float, without a range check (3e68 is undefined behaviour there).
template <typename T>
Status ReadInt(const toml::table& t, std::string_view key, int64_t lo, int64_t hi, T* out) {
  if (!t.contains(key)) return OkStatus();
  const auto* integer = t[key].as_integer();
  const std::optional<int64_t> v =
      integer != nullptr ? std::optional<int64_t>(integer->get()) : std::nullopt;
  if (!v || *v < lo || *v > hi) {
    return KeyError(key, "must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  *out = static_cast<T>(*v);
  return OkStatus();
}

Status ReadPrefers(const toml::table& t, FunctionManifest& m) {
  if (!t.contains("prefers")) return OkStatus();
  const auto* features = t["prefers"].as_array();
  if (features == nullptr || features->size() > kMaxPreferredFeatures) {
    return KeyError("prefers", "must be an array of at most 16 CPU feature names");
  }
  for (const auto& f : *features) {
    auto s = f.value<std::string>();
    if (!s || !IsFeatureName(*s)) {
      return KeyError("prefers",
                      "must hold CPU feature names as agents report them, or large_l3 or "
                      "memory_bandwidth (lower case, digits, '_'; e.g. \"aes\"), not " +
                          Excerpt(s.value_or("a non-string")));
    }
    m.prefers.push_back(*s);
  }
  std::sort(m.prefers.begin(), m.prefers.end());
  m.prefers.erase(std::unique(m.prefers.begin(), m.prefers.end()), m.prefers.end());
  return OkStatus();
}

Status ReadArgs(const toml::table& t, FunctionManifest& m) {
  if (!t.contains("args")) return OkStatus();
  const auto* args = t["args"].as_array();
  if (args == nullptr || args->size() > kMaxArgs) {
    return KeyError("args", "must be an array of at most 256 strings");
  }
  for (const auto& a : *args) {
    auto s = a.value<std::string>();
    if (!s || s->size() > kMaxStringBytes || HasNul(*s)) {
      return KeyError("args", "must hold strings of at most 4096 bytes without NUL");
    }
    m.args.push_back(*s);
  }
  return OkStatus();
}

Status ReadEnv(const toml::table& t, FunctionManifest& m) {
  if (!t.contains("env")) return OkStatus();
  const auto* env = t["env"].as_table();
  if (env == nullptr || env->size() > kMaxEnv) {
    return KeyError("env", "must be a table of at most 256 variables");
  }
  for (const auto& [k, v] : *env) {
    const std::string_view key = k.str();
    if (!ValidEnvName(key) || key.starts_with("TAILOR_")) {
      return KeyError("env", "has a variable name that is not [A-Za-z_][A-Za-z0-9_]* or is "
                             "reserved (TAILOR_*): " + Excerpt(key));
    }
    auto s = v.value<std::string>();
    if (!s || s->size() > kMaxStringBytes || HasNul(*s)) {
      return KeyError("env", "." + std::string(key) + " must be a string of at most 4096 bytes");
    }
    m.env[std::string(key)] = *s;
  }
  return OkStatus();
}

// `runtime` and `handler`; a Lambda function's entrypoint defaults to "bootstrap", as a
// custom runtime's does on Lambda.
Status ReadRuntime(const toml::table& t, FunctionManifest& m) {
  if (t.contains("runtime")) {
    auto v = t["runtime"].value<std::string>();
    if (!v || (*v != "process" && *v != "lambda")) {
      return KeyError("runtime", "must be \"process\" or \"lambda\"");
    }
    m.runtime = *v == "lambda" ? FunctionRuntime::kLambda : FunctionRuntime::kProcess;
  }
  if (t.contains("handler")) {
    auto v = t["handler"].value<std::string>();
    const bool printable =
        v && std::all_of(v->begin(), v->end(), [](char c) { return c > ' ' && c < 0x7f; });
    if (!v || v->empty() || v->size() > kMaxHandlerBytes || !printable) {
      return KeyError("handler", "must be 1..128 printable ASCII characters without spaces");
    }
    if (m.runtime != FunctionRuntime::kLambda) {
      return KeyError("handler", "is only for runtime = \"lambda\"");
    }
    m.handler = *v;
  }
  if (m.runtime == FunctionRuntime::kLambda && !t.contains("entrypoint")) {
    m.entrypoint = "bootstrap";
  }
  return OkStatus();
}

Status ReadNames(const toml::table& t, FunctionManifest& m) {
  auto name = t["name"].value<std::string>();
  if (!name) return KeyError("name", "is required");
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kFunction, *name, "manifest: 'name'"));
  m.name = *name;
  auto version = t["version"].value<std::string>();
  if (!version) return KeyError("version", "is required");
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kVersion, *version, "manifest: 'version'"));
  m.version = *version;
  return OkStatus();
}

Status ReadLimits(const toml::table& t, FunctionManifest& m) {
  TAILOR_RETURN_IF_ERROR(ReadInt(t, "timeout_ms", 1, kMaxTimeoutMs, &m.timeout_ms));
  TAILOR_RETURN_IF_ERROR(
      ReadInt(t, "memory_hint_bytes", 0, kMaxMemoryBytes, &m.memory_hint_bytes));
  TAILOR_RETURN_IF_ERROR(ReadInt(t, "max_memory_bytes", 0, kMaxMemoryBytes, &m.max_memory_bytes));
  TAILOR_RETURN_IF_ERROR(ReadInt(t, "max_output_bytes", 1,
                                 static_cast<int64_t>(kMaxOutputBytesCeiling),
                                 &m.max_output_bytes));
  TAILOR_RETURN_IF_ERROR(ReadInt(t, "latency_target_ms", 0, kMaxTimeoutMs, &m.latency_target_ms));
  if (m.max_memory_bytes > 0 && m.memory_hint_bytes > m.max_memory_bytes) {
    return KeyError("memory_hint_bytes", "is larger than max_memory_bytes");
  }
  if (t.contains("idempotent")) {
    auto v = t["idempotent"].value<bool>();
    if (!v) return KeyError("idempotent", "must be true or false");
    m.idempotent = *v;
  }
  if (t.contains("network")) {
    auto v = t["network"].value<std::string>();
    if (!v || (*v != "none" && *v != "outbound")) {
      return KeyError("network", "must be \"none\" or \"outbound\"");
    }
    m.network = *v == "outbound" ? FunctionNetwork::kOutbound : FunctionNetwork::kNone;
  }
  return OkStatus();
}

}  // namespace

Result<FunctionManifest> ParseManifest(std::string_view toml_text) {
  if (toml_text.size() > kMaxManifestBytes) {
    return InvalidArgumentError("manifest is " + std::to_string(toml_text.size()) +
                                " bytes; the limit is " + std::to_string(kMaxManifestBytes));
  }
  toml::table t;
  try {
    t = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError(std::string("manifest is not valid TOML: ") +
                                Excerpt(e.description(), 120) + " at line " +
                                std::to_string(e.source().begin.line));
  }
  for (const auto& [key, value] : t) {
    if (std::find(kKnownKeys.begin(), kKnownKeys.end(), key.str()) == kKnownKeys.end()) {
      return UnknownKeyError(key.str());
    }
  }
  FunctionManifest m;
  TAILOR_RETURN_IF_ERROR(ReadNames(t, m));
  m.entrypoint = t["entrypoint"].value_or(std::string());
  TAILOR_RETURN_IF_ERROR(ReadRuntime(t, m));
  TAILOR_RETURN_IF_ERROR(ValidateEntrypoint(m.entrypoint));
  TAILOR_RETURN_IF_ERROR(ReadArgs(t, m));
  TAILOR_RETURN_IF_ERROR(ReadEnv(t, m));
  TAILOR_RETURN_IF_ERROR(ReadLimits(t, m));
  TAILOR_RETURN_IF_ERROR(ReadPrefers(t, m));
  return m;
}

namespace {

// Whether a file starts with "#!" (then its interpreter must read it).
bool IsScript(const std::string& path) {
  auto head = ReadFirstLine(path);
  return head.ok() && head->starts_with("#!");
}

// Every directory from `root` (exclusive) down to `entry`'s folder must let others in.
Status CheckDirectoriesEnterable(const std::string& root, const std::string& entry,
                                 const std::string& shown) {
  for (std::string dir = entry.substr(0, entry.rfind('/')); dir.size() > root.size();
       dir = dir.substr(0, dir.rfind('/'))) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return ErrnoToStatus(errno, "stat " + dir);
    if ((st.st_mode & S_IXOTH) == 0) {
      return KeyError("entrypoint", shown + " is in a folder the run user cannot enter (" +
                                        dir.substr(root.size()) + " lacks o+x)");
    }
  }
  return OkStatus();
}

}  // namespace

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
    return ErrnoToStatus(errno, "resolving entrypoint " + manifest.entrypoint)
        .WithField("entrypoint");
  }
  const std::string root = std::string(root_buf) + "/";
  const std::string entry = entry_buf;
  const std::string shown = Excerpt(manifest.entrypoint, 128);
  if (entry.compare(0, root.size(), root) != 0) {
    return KeyError("entrypoint", shown + " resolves outside the bundle");
  }
  struct stat st;
  if (::stat(entry.c_str(), &st) != 0) return ErrnoToStatus(errno, "stat " + entry);
  if (!S_ISREG(st.st_mode)) return KeyError("entrypoint", shown + " is not a regular file");
  // Functions run as a user that does not own the bundle: "others" is what it gets.
  if ((st.st_mode & S_IXOTH) == 0) {
    return KeyError("entrypoint", shown + " is not executable by the run user (needs o+x, "
                                          "e.g. chmod 755)");
  }
  if ((st.st_mode & S_IROTH) == 0 && IsScript(entry)) {
    return KeyError("entrypoint", shown + " is a script the run user cannot read (needs o+r, "
                                          "e.g. chmod 755)");
  }
  TAILOR_RETURN_IF_ERROR(CheckDirectoriesEnterable(std::string(root_buf), entry, shown));
  return entry;
}

}  // namespace tailor
