// KeyValueLine: the "word key=value key=value" lines of the simulator's text files.
//
// Thread-safety: stateless.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/file_util.h"
#include "common/status.h"

namespace tailor::sim {

struct KeyValueLine {
  std::string kind;  // first word ("class", "function")
  std::string name;  // second word
  std::map<std::string, std::string, std::less<>> values;

  bool Has(std::string_view key) const { return values.find(key) != values.end(); }
  // The value of a key, removed so that Unused() names what nobody asked for.
  Result<std::string> Take(std::string_view key);
  Result<double> TakeNumber(std::string_view key, double min, double max);
  // INVALID_ARGUMENT naming the first key nobody took.
  Status CheckAllTaken() const;
};

// Splits a non-comment line; INVALID_ARGUMENT for a "key=value" without '=' or a repeated key.
Result<KeyValueLine> ParseKeyValueLine(std::string_view line);

// Runs `parse` on each meaningful line of `text` (comments start with '#'), prefixing errors
// with "<what> line N: ".
template <typename F>
Status ForEachLine(std::string_view text, std::string_view what, F&& parse) {
  size_t number = 0;
  for (std::string_view line : SplitString(text, '\n')) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = TrimWhitespace(line);
    if (line.empty()) continue;
    auto parsed = ParseKeyValueLine(line);
    Status s = parsed.ok() ? parse(*parsed) : parsed.status();
    if (!s.ok()) return s.WithContext(std::string(what) + " line " + std::to_string(number));
  }
  return OkStatus();
}

}  // namespace tailor::sim
