#include "agent/runtime/spawn_protocol.h"

#include <cstring>

namespace tailor::agent::spawn {
namespace {

// The fixed part of a request; the strings follow, each NUL-terminated: executable,
// working_dir, argv..., env..., join_files...
struct RequestHeader {
  uint32_t magic;
  uint32_t version;
  int64_t uid;  // -1: keep
  int64_t gid;
  uint32_t argv_count;
  uint32_t env_count;
  uint32_t join_count;
  uint32_t reserved;
};

Status AppendString(std::string& out, std::string_view s, std::string_view what) {
  if (s.find('\0') != std::string_view::npos) {
    return Status(StatusCode::kInvalidArgument, std::string(what) + " contains a NUL byte");
  }
  out.append(s);
  out.push_back('\0');
  return OkStatus();
}

}  // namespace

Result<std::string> EncodeRequest(const SpawnRequest& request) {
  RequestHeader header{};
  header.magic = kRequestMagic;
  header.version = kVersion;
  header.uid = request.uid ? static_cast<int64_t>(*request.uid) : -1;
  header.gid = request.gid ? static_cast<int64_t>(*request.gid) : -1;
  header.argv_count = static_cast<uint32_t>(request.argv.size());
  header.env_count = static_cast<uint32_t>(request.env.size());
  header.join_count = static_cast<uint32_t>(request.join_files.size());
  std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
  if (request.executable.empty()) {
    return Status(StatusCode::kInvalidArgument, "no executable to run");
  }
  TAILOR_RETURN_IF_ERROR(AppendString(out, request.executable, "the executable path"));
  TAILOR_RETURN_IF_ERROR(AppendString(out, request.working_dir, "the working directory"));
  for (const auto& a : request.argv) TAILOR_RETURN_IF_ERROR(AppendString(out, a, "an argument"));
  for (const auto& e : request.env) {
    TAILOR_RETURN_IF_ERROR(AppendString(out, e, "an environment variable"));
  }
  for (const auto& j : request.join_files) {
    TAILOR_RETURN_IF_ERROR(AppendString(out, j, "a cgroup file"));
  }
  if (out.size() > kMaxRequestBytes) {
    return Status(StatusCode::kResourceExhausted,
                  "the function's path, arguments and environment take " +
                      std::to_string(out.size()) + " bytes, more than the " +
                      std::to_string(kMaxRequestBytes) + " a run may have");
  }
  return out;
}

Result<SpawnRequest> DecodeRequest(std::string_view bytes) {
  auto bad = [](std::string why) {
    return Status(StatusCode::kInvalidArgument, "malformed spawn request: " + why);
  };
  RequestHeader header;
  if (bytes.size() < sizeof(header)) return bad("shorter than its header");
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (header.magic != kRequestMagic) return bad("wrong magic number");
  if (header.version != kVersion) return bad("version " + std::to_string(header.version));
  if (header.uid < -1 || header.uid > UINT32_MAX || header.gid < -1 || header.gid > UINT32_MAX) {
    return bad("uid or gid out of range");
  }
  std::string_view rest = bytes.substr(sizeof(header));
  // Every string ends with a NUL, so there are at most rest.size() of them.
  const uint64_t strings =
      2ull + header.argv_count + header.env_count + uint64_t{header.join_count};
  if (strings > rest.size()) return bad("more strings than bytes");
  std::vector<std::string> all;
  all.reserve(static_cast<size_t>(strings));
  for (uint64_t i = 0; i < strings; ++i) {
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) return bad("truncated after " + std::to_string(i) + " strings");
    all.emplace_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  if (!rest.empty()) return bad(std::to_string(rest.size()) + " trailing bytes");

  SpawnRequest request;
  auto it = all.begin();
  request.executable = std::move(*it++);
  request.working_dir = std::move(*it++);
  if (request.executable.empty()) return bad("no executable");
  request.argv.assign(std::make_move_iterator(it), std::make_move_iterator(it + header.argv_count));
  it += header.argv_count;
  request.env.assign(std::make_move_iterator(it), std::make_move_iterator(it + header.env_count));
  it += header.env_count;
  request.join_files.assign(std::make_move_iterator(it), std::make_move_iterator(all.end()));
  if (header.uid >= 0) request.uid = static_cast<uint32_t>(header.uid);
  if (header.gid >= 0) request.gid = static_cast<uint32_t>(header.gid);
  return request;
}

Result<SpawnEvent> DecodeEvent(std::string_view bytes) {
  auto bad = [](std::string why) {
    return Status(StatusCode::kInvalidArgument, "malformed spawn event: " + why);
  };
  SpawnEvent event;
  if (bytes.size() != sizeof(event)) {
    return bad(std::to_string(bytes.size()) + " bytes, not " + std::to_string(sizeof(event)));
  }
  std::memcpy(&event, bytes.data(), sizeof(event));
  if (event.magic != kEventMagic) return bad("wrong magic number");
  switch (event.kind) {
    case EventKind::kStarted:
    case EventKind::kFailed:
    case EventKind::kExited:
      break;
    default:
      return bad("unknown kind " + std::to_string(static_cast<uint32_t>(event.kind)));
  }
  if (event.io_text_bytes < 0 ||
      static_cast<size_t>(event.io_text_bytes) > sizeof(event.io_text)) {
    return bad("io text length " + std::to_string(event.io_text_bytes));
  }
  return event;
}

}  // namespace tailor::agent::spawn
