#include "agent/runtime/spawn_protocol.h"

#include <cstring>

namespace tailor::agent::spawn {
namespace {

// The fixed part of a start request; then `counter_count` CounterWire records, then the
// strings, each NUL-terminated: executable, working_dir, argv..., env..., join files..., then
// the sandbox's root_dir, bundle_dir, rootfs, etc_dir, hostname, views...
struct StartHeader {
  uint32_t magic;
  uint32_t version;
  int64_t uid;  // -1: keep
  int64_t gid;
  uint32_t argv_count;
  uint32_t env_count;
  uint32_t join_count;
  uint32_t counter_count;
  uint32_t namespaces;
  uint32_t seccomp;
  uint32_t view_count;
  uint32_t reserved;
  uint64_t tmp_bytes;
  uint64_t open_files;
};
inline constexpr int kSandboxStringCount = 5;

struct CounterWire {
  uint32_t type;
  uint32_t reserved;
  uint64_t config;
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

}  // namespace

perf_event_attr CounterAttr(const CounterSpec& counter) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = counter.type;
  attr.config = counter.config;
  attr.disabled = 1;
  attr.enable_on_exec = 1;
  attr.inherit = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return attr;
}

Result<std::string> EncodeStartRequest(const StartRequest& request) {
  if (request.executable.empty()) return InvalidArgumentError("no executable to run");
  if (request.counters.size() > kMaxCounters) {
    return InvalidArgumentError(std::to_string(request.counters.size()) +
                                " perf counters asked for; a run may have " +
                                std::to_string(kMaxCounters));
  }
  StartHeader header{};
  header.magic = kStartMagic;
  header.version = kVersion;
  header.uid = request.uid ? static_cast<int64_t>(*request.uid) : -1;
  header.gid = request.gid ? static_cast<int64_t>(*request.gid) : -1;
  header.argv_count = static_cast<uint32_t>(request.argv.size());
  header.env_count = static_cast<uint32_t>(request.env.size());
  header.join_count = static_cast<uint32_t>(request.join_files.size());
  header.counter_count = static_cast<uint32_t>(request.counters.size());
  const SandboxRequest& box = request.sandbox;
  if ((box.namespaces & ~kAllNamespaces) != 0) {
    return InvalidArgumentError("unknown namespace kinds asked for");
  }
  header.namespaces = box.namespaces;
  header.seccomp = box.seccomp ? 1 : 0;
  header.view_count = static_cast<uint32_t>(box.views.size());
  header.tmp_bytes = box.tmp_bytes;
  header.open_files = box.open_files;
  std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
  for (const CounterSpec& c : request.counters) {
    const CounterWire wire{c.type, 0, c.config};
    out.append(reinterpret_cast<const char*>(&wire), sizeof(wire));
  }
  TAILOR_RETURN_IF_ERROR(AppendString(out, request.executable, "the executable path"));
  TAILOR_RETURN_IF_ERROR(AppendString(out, request.working_dir, "the working directory"));
  for (const auto& a : request.argv) TAILOR_RETURN_IF_ERROR(AppendString(out, a, "an argument"));
  for (const auto& e : request.env) {
    TAILOR_RETURN_IF_ERROR(AppendString(out, e, "an environment variable"));
  }
  for (const auto& j : request.join_files) {
    TAILOR_RETURN_IF_ERROR(AppendString(out, j, "a join file path"));
  }
  for (const std::string* p :
       {&box.root_dir, &box.bundle_dir, &box.rootfs, &box.etc_dir, &box.hostname}) {
    TAILOR_RETURN_IF_ERROR(AppendString(out, *p, "a sandbox path"));
  }
  for (const auto& v : box.views) TAILOR_RETURN_IF_ERROR(AppendString(out, v, "a sandbox view"));
  if (out.size() > kMaxRequestBytes) {
    return ResourceExhaustedError("the function's path, arguments and environment take " +
                                  std::to_string(out.size()) + " bytes, more than the " +
                                  std::to_string(kMaxRequestBytes) + " a run may have");
  }
  return out;
}

Result<StartRequest> DecodeStartRequest(std::string_view bytes) {
  auto bad = [](std::string why) {
    return Status(StatusCode::kInvalidArgument, "malformed start request: " + why);
  };
  StartHeader header;
  if (bytes.size() < sizeof(header)) return bad("shorter than its header");
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (header.magic != kStartMagic) return bad("wrong magic number");
  if (header.version != kVersion) return bad("version " + std::to_string(header.version));
  if (header.uid < -1 || header.uid > UINT32_MAX || header.gid < -1 || header.gid > UINT32_MAX) {
    return bad("uid or gid out of range");
  }
  if (header.counter_count > kMaxCounters) return bad("too many counters");
  if ((header.namespaces & ~kAllNamespaces) != 0 || header.seccomp > 1 || header.reserved != 0) {
    return bad("unknown sandbox settings");
  }
  bytes.remove_prefix(sizeof(header));
  StartRequest request;
  for (uint32_t i = 0; i < header.counter_count; ++i) {
    CounterWire wire;
    if (bytes.size() < sizeof(wire)) return bad("truncated counters");
    std::memcpy(&wire, bytes.data(), sizeof(wire));
    bytes.remove_prefix(sizeof(wire));
    request.counters.push_back({wire.type, wire.config});
  }
  const uint64_t count = 2ull + kSandboxStringCount + header.argv_count +
                         uint64_t{header.env_count} + uint64_t{header.join_count} +
                         uint64_t{header.view_count};
  auto strings = SplitStrings(bytes, count);
  if (!strings.ok()) return strings.status().WithContext("malformed start request");
  std::vector<std::string>& all = *strings;
  auto it = all.begin();
  request.executable = std::move(*it++);
  request.working_dir = std::move(*it++);
  if (request.executable.empty()) return bad("no executable");
  auto take = [&](std::vector<std::string>& out, uint32_t n) {
    out.assign(std::make_move_iterator(it), std::make_move_iterator(it + n));
    it += n;
  };
  take(request.argv, header.argv_count);
  take(request.env, header.env_count);
  take(request.join_files, header.join_count);
  SandboxRequest& box = request.sandbox;
  for (std::string* p :
       {&box.root_dir, &box.bundle_dir, &box.rootfs, &box.etc_dir, &box.hostname}) {
    *p = std::move(*it++);
  }
  take(box.views, header.view_count);
  box.namespaces = header.namespaces;
  box.seccomp = header.seccomp == 1;
  box.tmp_bytes = header.tmp_bytes;
  box.open_files = header.open_files;
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
    case EventKind::kFailed:
    case EventKind::kExited:
    case EventKind::kCounters:
      break;
    default:
      return bad("unknown kind " + std::to_string(static_cast<uint32_t>(event.kind)));
  }
  if (event.io_text_bytes < 0 ||
      static_cast<size_t>(event.io_text_bytes) > sizeof(event.io_text)) {
    return bad("io text length " + std::to_string(event.io_text_bytes));
  }
  if (event.counter_count < 0 || static_cast<size_t>(event.counter_count) > kMaxCounters) {
    return bad("counter count " + std::to_string(event.counter_count));
  }
  return event;
}

void AttachFds(msghdr& msg, char* control, const int* fds, size_t count) {
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
  std::memset(control, 0, msg.msg_controllen);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * count);
  std::memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
}

std::vector<int> ReceivedFds(msghdr& msg) {
  std::vector<int> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds.push_back(fd);
    }
  }
  return fds;
}

}  // namespace tailor::agent::spawn
