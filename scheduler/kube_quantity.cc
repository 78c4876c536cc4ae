#include "scheduler/kube_quantity.h"

#include <cmath>
#include <string>

#include "common/names.h"

namespace tailor::scheduler {
namespace {

struct Suffix {
  std::string_view text;
  long double factor;
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 0x1p10L}, {"Mi", 0x1p20L}, {"Gi", 0x1p30L}, {"Ti", 0x1p40L}, {"Pi", 0x1p50L},
    {"Ei", 0x1p60L}, {"n", 1e-9L},    {"u", 1e-6L},    {"m", 1e-3L},    {"k", 1e3L},
    {"M", 1e6L},     {"G", 1e9L},     {"T", 1e12L},    {"P", 1e15L},    {"E", 1e18L},
};

Status NotAQuantity(std::string_view text, std::string_view field) {
  return InvalidArgumentError(std::string(field) +
                              " is not a Kubernetes quantity: " + Excerpt(text))
      .WithField(std::string(field));
}

// The digits of "123.45" as a number; how many characters it took (0: none).
size_t ReadDecimal(std::string_view s, long double& value) {
  size_t i = 0;
  bool digits = false;
  value = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, digits = true) {
    value = value * 10 + (s[i] - '0');
  }
  if (i < s.size() && s[i] == '.') {
    long double scale = 0.1L;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, digits = true) {
      value += (s[i] - '0') * scale;
      scale /= 10;
    }
  }
  return digits ? i : 0;
}

// The multiplier a suffix stands for, or -1 when it is not one.
long double SuffixFactor(std::string_view suffix) {
  if (suffix.empty()) return 1;
  for (const auto& s : kSuffixes) {
    if (s.text == suffix) return s.factor;
  }
  if ((suffix[0] == 'e' || suffix[0] == 'E') && suffix.size() >= 2 && suffix.size() <= 5) {
    size_t i = 1;
    const bool negative = suffix[i] == '-';
    if (suffix[i] == '-' || suffix[i] == '+') ++i;
    if (i == suffix.size()) return -1;
    int exponent = 0;
    for (; i < suffix.size(); ++i) {
      if (suffix[i] < '0' || suffix[i] > '9') return -1;
      exponent = exponent * 10 + (suffix[i] - '0');
    }
    return std::pow(10.0L, negative ? -exponent : exponent);
  }
  return -1;
}

// The quantity times `unit` (1 for bytes, 1000 for millicores), rounded up.
Result<uint64_t> Parse(std::string_view text, std::string_view field, long double unit,
                       long double max) {
  std::string_view s = text;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  long double value = 0;
  const size_t used = ReadDecimal(s, value);
  if (used == 0 || text.size() > 64) return NotAQuantity(text, field);
  const long double factor = SuffixFactor(s.substr(used));
  if (factor < 0) return NotAQuantity(text, field);
  const long double scaled = std::ceil(value * factor * unit - 1e-9L);
  if (!(scaled <= max)) {
    return InvalidArgumentError(std::string(field) + " is too large: " + Excerpt(text))
        .WithField(std::string(field));
  }
  return static_cast<uint64_t>(std::max(0.0L, scaled));
}

}  // namespace

Result<uint64_t> ParseMemoryQuantity(std::string_view text, std::string_view field) {
  return Parse(text, field, 1, 0x1p60L);
}

Result<uint64_t> ParseCpuQuantity(std::string_view text, std::string_view field) {
  return Parse(text, field, 1000, 0x1p20L * 1000);
}

}  // namespace tailor::scheduler
