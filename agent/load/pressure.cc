#include "agent/load/pressure.h"

#include "common/file_util.h"

namespace tailor::agent {

Result<PressureFile> ParsePressure(std::string_view text) {
  PressureFile out;
  bool have_some = false;
  for (std::string_view line : SplitString(text, '\n')) {
    auto f = SplitWhitespace(line);
    if (f.empty()) continue;
    PressureLine* target = nullptr;
    if (f[0] == "some") {
      target = &out.some;
      have_some = true;
    } else if (f[0] == "full") {
      target = &out.full;
    } else {
      return InvalidArgumentError("unexpected pressure line '" + std::string(line) + "'");
    }
    for (size_t i = 1; i < f.size(); ++i) {
      auto eq = f[i].find('=');
      if (eq == std::string_view::npos) return InvalidArgumentError("bad pressure field");
      std::string_view key = f[i].substr(0, eq), value = f[i].substr(eq + 1);
      if (key == "total") {
        TAILOR_ASSIGN_OR_RETURN(target->total_us, ParseUint64(value));
        continue;
      }
      TAILOR_ASSIGN_OR_RETURN(double v, ParseDouble(value));
      if (key == "avg10") target->avg10 = v;
      else if (key == "avg60") target->avg60 = v;
      else if (key == "avg300") target->avg300 = v;
    }
  }
  if (!have_some) return InvalidArgumentError("pressure text has no 'some' line");
  return out;
}

}  // namespace tailor::agent
