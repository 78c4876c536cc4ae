#include "agent/inventory/mounts.h"

#include "common/file_util.h"

namespace tailor::agent {
namespace {

// The kernel escapes space, tab, newline and backslash in mount fields as \ooo octal.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t j = 1; j <= 3; ++j) {
        char c = s[i + j];
        if (c < '0' || c > '7') { ok = false; break; }
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::vector<MountEntry> ParseMounts(std::string_view text) {
  std::vector<MountEntry> out;
  for (std::string_view line : SplitString(text, '\n')) {
    auto fields = SplitWhitespace(line);
    if (fields.size() < 4) continue;
    MountEntry e;
    e.device = Unescape(fields[0]);
    e.mount_point = Unescape(fields[1]);
    e.fs_type = std::string(fields[2]);
    for (std::string_view opt : SplitString(fields[3], ',')) e.options.emplace_back(opt);
    out.push_back(std::move(e));
  }
  return out;
}

const MountEntry* FindMountByType(const std::vector<MountEntry>& mounts, std::string_view type) {
  for (const auto& m : mounts) {
    if (m.fs_type == type) return &m;
  }
  return nullptr;
}

}  // namespace tailor::agent
