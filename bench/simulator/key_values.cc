#include "bench/simulator/key_values.h"

#include <cmath>
#include <sstream>

namespace tailor::sim {

Result<std::string> KeyValueLine::Take(std::string_view key) {
  auto it = values.find(key);
  if (it == values.end()) return InvalidArgumentError("missing " + std::string(key) + "=");
  std::string v = std::move(it->second);
  values.erase(it);
  return v;
}

Result<double> KeyValueLine::TakeNumber(std::string_view key, double min, double max) {
  auto text = Take(key);
  if (!text.ok()) return text.status();
  auto v = ParseDouble(*text);
  if (!v.ok() || !std::isfinite(*v) || *v < min || *v > max) {
    std::ostringstream range;
    range << std::string(key) << "=" << *text << " is not a number in [" << min << ", " << max
          << "]";
    return InvalidArgumentError(range.str());
  }
  return *v;
}

Status KeyValueLine::CheckAllTaken() const {
  if (values.empty()) return OkStatus();
  return InvalidArgumentError("unknown key '" + values.begin()->first + "' for " + kind + " " +
                              name);
}

Result<KeyValueLine> ParseKeyValueLine(std::string_view line) {
  auto words = SplitWhitespace(line);
  if (words.size() < 2) return InvalidArgumentError("expected '<kind> <name> key=value...'");
  KeyValueLine out;
  out.kind = std::string(words[0]);
  out.name = std::string(words[1]);
  if (out.name.find('=') != std::string::npos) {
    return InvalidArgumentError("the " + out.kind + " needs a name before its key=value pairs");
  }
  for (size_t i = 2; i < words.size(); ++i) {
    auto eq = words[i].find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidArgumentError("'" + std::string(words[i]) + "' is not key=value");
    }
    std::string key(words[i].substr(0, eq));
    if (!out.values.emplace(key, std::string(words[i].substr(eq + 1))).second) {
      return InvalidArgumentError("key '" + key + "' given twice");
    }
  }
  return out;
}

}  // namespace tailor::sim
