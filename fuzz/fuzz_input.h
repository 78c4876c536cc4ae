// FuzzInput: how the fuzz targets cut libFuzzer's bytes into the parts of one input (a path and
// a body, three trace files, a selector byte and a message), so that every part can be any
// bytes and the corpus files stay readable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tailor::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// `text` split at NUL bytes into exactly `parts` pieces (missing ones empty; the last keeps any
// further NULs).
inline std::vector<std::string_view> SplitParts(std::string_view text, size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    const size_t nul = text.find('\0');
    if (nul == std::string_view::npos) break;
    out.push_back(text.substr(0, nul));
    text.remove_prefix(nul + 1);
  }
  out.push_back(text);
  while (out.size() < parts) out.emplace_back();
  return out;
}

}  // namespace tailor::fuzz
