#include "agent/runtime/spawn_protocol.h"

#include <cstring>

namespace tailor::agent::spawn {
namespace {

struct PrepareHeader {
  uint32_t magic;
  uint32_t version;
  uint32_t join_count;
  uint32_t reserved;
};

// The fixed part of an exec request; the strings follow, each NUL-terminated: executable,
// working_dir, argv..., env...
struct ExecHeader {
  uint32_t magic;
  uint32_t version;
  int64_t uid;  // -1: keep
  int64_t gid;
  uint32_t argv_count;
  uint32_t env_count;
};

Status AppendString(std::string& out, std::string_view s, std::string_view what) {
  if (s.find('\0') != std::string_view::npos) {
    return Status(StatusCode::kInvalidArgument, std::string(what) + " contains a NUL byte");
  }
  out.append(s);
  out.push_back('\0');
  return OkStatus();
}

// Splits `rest` into exactly `count` NUL-terminated strings with nothing after them.
Result<std::vector<std::string>> SplitStrings(std::string_view rest, uint64_t count) {
  // Every string ends with a NUL, so there are at most rest.size() of them.
  if (count > rest.size()) return InvalidArgumentError("more strings than bytes");
  std::vector<std::string> all;
  all.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) {
      return InvalidArgumentError("truncated after " + std::to_string(i) + " strings");
    }
    all.emplace_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  if (!rest.empty()) return InvalidArgumentError(std::to_string(rest.size()) + " trailing bytes");
  return all;
}

template <typename Header>
Result<Header> ReadHeader(std::string_view bytes, uint32_t magic) {
  Header header;
  if (bytes.size() < sizeof(header)) return InvalidArgumentError("shorter than its header");
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (header.magic != magic) return InvalidArgumentError("wrong magic number");
  if (header.version != kVersion) {
    return InvalidArgumentError("version " + std::to_string(header.version));
  }
  return header;
}

}  // namespace

Result<std::string> EncodePrepareRequest(const PrepareRequest& request) {
  PrepareHeader header{};
  header.magic = kPrepareMagic;
  header.version = kVersion;
  header.join_count = static_cast<uint32_t>(request.join_files.size());
  std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
  for (const auto& j : request.join_files) {
    TAILOR_RETURN_IF_ERROR(AppendString(out, j, "a cgroup file"));
  }
  if (out.size() > kMaxRequestBytes) {
    return ResourceExhaustedError("the run's cgroup files take " + std::to_string(out.size()) +
                                  " bytes, more than " + std::to_string(kMaxRequestBytes));
  }
  return out;
}

Result<PrepareRequest> DecodePrepareRequest(std::string_view bytes) {
  auto header = ReadHeader<PrepareHeader>(bytes, kPrepareMagic);
  if (!header.ok()) return header.status().WithContext("malformed prepare request");
  auto strings = SplitStrings(bytes.substr(sizeof(PrepareHeader)), header->join_count);
  if (!strings.ok()) return strings.status().WithContext("malformed prepare request");
  PrepareRequest request;
  request.join_files = std::move(strings).value();
  return request;
}

Result<std::string> EncodeExecRequest(const ExecRequest& request) {
  if (request.executable.empty()) return InvalidArgumentError("no executable to run");
  ExecHeader header{};
  header.magic = kExecMagic;
  header.version = kVersion;
  header.uid = request.uid ? static_cast<int64_t>(*request.uid) : -1;
  header.gid = request.gid ? static_cast<int64_t>(*request.gid) : -1;
  header.argv_count = static_cast<uint32_t>(request.argv.size());
  header.env_count = static_cast<uint32_t>(request.env.size());
  std::string out(sizeof(uint32_t), '\0');  // the length, filled in below
  out.append(reinterpret_cast<const char*>(&header), sizeof(header));
  TAILOR_RETURN_IF_ERROR(AppendString(out, request.executable, "the executable path"));
  TAILOR_RETURN_IF_ERROR(AppendString(out, request.working_dir, "the working directory"));
  for (const auto& a : request.argv) TAILOR_RETURN_IF_ERROR(AppendString(out, a, "an argument"));
  for (const auto& e : request.env) {
    TAILOR_RETURN_IF_ERROR(AppendString(out, e, "an environment variable"));
  }
  const size_t body = out.size() - sizeof(uint32_t);
  if (body > kMaxExecRequestBytes) {
    return ResourceExhaustedError("the function's path, arguments and environment take " +
                                  std::to_string(body) + " bytes, more than the " +
                                  std::to_string(kMaxExecRequestBytes) + " a run may have");
  }
  const auto length = static_cast<uint32_t>(body);
  std::memcpy(out.data(), &length, sizeof(length));
  return out;
}

Result<ExecRequest> DecodeExecRequest(std::string_view body) {
  auto header = ReadHeader<ExecHeader>(body, kExecMagic);
  if (!header.ok()) return header.status().WithContext("malformed exec request");
  if (header->uid < -1 || header->uid > UINT32_MAX || header->gid < -1 ||
      header->gid > UINT32_MAX) {
    return InvalidArgumentError("malformed exec request: uid or gid out of range");
  }
  const uint64_t count = 2ull + header->argv_count + uint64_t{header->env_count};
  auto strings = SplitStrings(body.substr(sizeof(ExecHeader)), count);
  if (!strings.ok()) return strings.status().WithContext("malformed exec request");
  std::vector<std::string>& all = *strings;
  ExecRequest request;
  auto it = all.begin();
  request.executable = std::move(*it++);
  request.working_dir = std::move(*it++);
  if (request.executable.empty()) return InvalidArgumentError("malformed exec request: no executable");
  request.argv.assign(std::make_move_iterator(it), std::make_move_iterator(it + header->argv_count));
  it += header->argv_count;
  request.env.assign(std::make_move_iterator(it), std::make_move_iterator(all.end()));
  if (header->uid >= 0) request.uid = static_cast<uint32_t>(header->uid);
  if (header->gid >= 0) request.gid = static_cast<uint32_t>(header->gid);
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
