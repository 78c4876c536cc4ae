#include "scheduler/json_scan.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

namespace tailor::scheduler {
namespace {

// The length of the well-formed UTF-8 sequence at `at` (shortest form, no surrogates, at most
// U+10FFFF), or 0.
size_t Utf8Length(std::string_view s, size_t at) {
  const auto lead = static_cast<unsigned char>(s[at]);
  size_t length = 0;
  uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code = lead & 0x07;
  } else {
    return 0;
  }
  if (at + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[at + k]);
    if ((next & 0xC0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3F);
  }
  constexpr uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kShortest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

Status NotJson(size_t at) {
  return InvalidArgumentError("body is not valid JSON near byte " + std::to_string(at))
      .WithField("body");
}

// Bytes a JSON string holds as they are: not the quote, the backslash, a control character
// or the start of a multi-byte UTF-8 sequence (those are looked at one by one).
constexpr std::array<bool, 256> kPlainStringBytes = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// A cursor over the text that skips whole values, checking them.
class Scanner {
 public:
  Scanner(std::string_view text, size_t at) : t_(text), i_(at) {}
  size_t at() const { return i_; }
  // The text from the cursor on.
  std::string_view Rest() const { return t_.substr(i_); }
  // Moves the cursor past `n` bytes the caller has checked.
  void Advance(size_t n) { i_ += n; }

  void SkipSpace() {
    while (i_ < t_.size() &&
           (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }
  // Consumes `c` (after white space) if it is next.
  bool Take(char c) {
    SkipSpace();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool AtEnd() {
    SkipSpace();
    return i_ >= t_.size();
  }
  char Peek() {
    SkipSpace();
    return i_ < t_.size() ? t_[i_] : '\0';
  }

  // A string, quotes included: escapes as JSON has them (a \u surrogate only in a pair), and
  // well-formed UTF-8.
  Result<JsonSpan> String() {
    SkipSpace();
    const size_t begin = i_;
    if (i_ >= t_.size() || t_[i_] != '"') return NotJson(i_);
    for (++i_; i_ < t_.size(); ++i_) {
      // Runs of plain bytes in a tight loop (node names are nothing else).
      while (i_ < t_.size() && kPlainStringBytes[static_cast<unsigned char>(t_[i_])]) ++i_;
      if (i_ >= t_.size()) break;
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') return JsonSpan{begin, ++i_};
      if (c < 0x20) return NotJson(i_);
      if (c >= 0x80) {
        const size_t length = Utf8Length(t_, i_);
        if (length == 0) return NotJson(i_);
        i_ += length - 1;
      } else if (c == '\\') {
        TAILOR_RETURN_IF_ERROR(Escape());
      }
    }
    return NotJson(i_);
  }

  // Any value; its span.
  Result<JsonSpan> Value(int depth) {
    if (depth > kMaxJsonScanDepth) return NotJson(i_);
    SkipSpace();
    const size_t begin = i_;
    const char c = Peek();
    if (c == '"') return String();
    if (c == '{' || c == '[') {
      TAILOR_RETURN_IF_ERROR(Container(depth));
      return JsonSpan{begin, i_};
    }
    return Scalar();
  }

 private:
  Status Container(int depth) {
    const bool object = t_[i_++] == '{';
    const char close = object ? '}' : ']';
    if (Take(close)) return OkStatus();
    do {
      if (object) {
        TAILOR_RETURN_IF_ERROR(String());
        if (!Take(':')) return NotJson(i_);
      }
      TAILOR_RETURN_IF_ERROR(Value(depth + 1));
    } while (Take(','));
    return Take(close) ? OkStatus() : NotJson(i_);
  }

  Result<JsonSpan> Scalar() {
    const size_t begin = i_;
    for (std::string_view literal : {"true", "false", "null"}) {
      if (t_.substr(i_, literal.size()) == literal) {
        i_ += literal.size();
        return JsonSpan{begin, i_};
      }
    }
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    if (At('-')) ++i_;
    if (At('0')) {
      ++i_;
    } else if (!Digits()) {
      return NotJson(i_);
    }
    if (At('.')) {
      ++i_;
      if (!Digits()) return NotJson(i_);
    }
    if (At('e') || At('E')) {
      ++i_;
      if (At('+') || At('-')) ++i_;
      if (!Digits()) return NotJson(i_);
    }
    // A number no double holds (1e999) is refused, as JSON parsers refuse it.
    const std::string number(t_.substr(begin, i_ - begin));
    if (!std::isfinite(std::strtod(number.c_str(), nullptr))) return NotJson(begin);
    return JsonSpan{begin, i_};
  }

  bool At(char c) const { return i_ < t_.size() && t_[i_] == c; }
  // Consumes one or more digits; whether there was one.
  bool Digits() {
    const size_t begin = i_;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
    return i_ > begin;
  }

  // The code unit of the \uXXXX at i_ (on the 'u'), leaving i_ on its last digit; -1 if bad.
  int HexEscape() {
    int value = 0;
    for (int k = 0; k < 4; ++k) {
      if (++i_ >= t_.size() || !std::isxdigit(static_cast<unsigned char>(t_[i_]))) return -1;
      const char h = t_[i_];
      value = value * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
    }
    return value;
  }

  // The escape whose backslash is at i_, leaving i_ on its last character.
  Status Escape() {
    if (++i_ >= t_.size()) return NotJson(i_);
    if (t_[i_] != 'u') {
      return std::string_view("\"\\/bfnrt").find(t_[i_]) == std::string_view::npos ? NotJson(i_)
                                                                                   : OkStatus();
    }
    const int unit = HexEscape();
    if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return NotJson(i_);  // a lone low half
    if (unit < 0xD800 || unit > 0xDBFF) return OkStatus();
    // A high surrogate must be followed by a low one.
    if (i_ + 2 >= t_.size() || t_[i_ + 1] != '\\' || t_[i_ + 2] != 'u') return NotJson(i_);
    i_ += 2;
    const int low = HexEscape();
    return low >= 0xDC00 && low <= 0xDFFF ? OkStatus() : NotJson(i_);
  }

  std::string_view t_;
  size_t i_;
};

}  // namespace

bool EqualIgnoringAsciiCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Result<std::string> JsonStringValue(std::string_view value_text) {
  if (value_text.size() < 2 || value_text.front() != '"' || value_text.back() != '"') {
    return InvalidArgumentError("not a JSON string").WithField("body");
  }
  const std::string_view inner = value_text.substr(1, value_text.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return std::string(inner);
  auto decoded = nlohmann::json::parse(value_text, nullptr, /*allow_exceptions=*/false);
  if (!decoded.is_string()) return InvalidArgumentError("not a JSON string").WithField("body");
  return decoded.get<std::string>();
}

Result<std::optional<JsonSpan>> FindJsonValue(std::string_view text,
                                              std::span<const std::string_view> keys) {
  Scanner s(text, 0);
  for (size_t level = 0; level < keys.size(); ++level) {
    if (!s.Take('{')) {
      if (s.AtEnd() && level == 0) return NotJson(s.at());
      return std::optional<JsonSpan>();  // not an object: the key cannot be there
    }
    bool found = false;
    if (s.Take('}')) return std::optional<JsonSpan>();
    do {
      TAILOR_ASSIGN_OR_RETURN(JsonSpan key, s.String());
      if (!s.Take(':')) return NotJson(s.at());
      TAILOR_ASSIGN_OR_RETURN(std::string name, JsonStringValue(key.In(text)));
      if (EqualIgnoringAsciiCase(name, keys[level])) {
        found = true;
        break;
      }
      TAILOR_RETURN_IF_ERROR(s.Value(static_cast<int>(level) + 1));
    } while (s.Take(','));
    if (!found) return std::optional<JsonSpan>();
    if (level + 1 == keys.size()) {
      TAILOR_ASSIGN_OR_RETURN(JsonSpan value, s.Value(static_cast<int>(level) + 1));
      return std::optional<JsonSpan>(value);
    }
  }
  TAILOR_ASSIGN_OR_RETURN(JsonSpan whole, s.Value(0));
  return std::optional<JsonSpan>(whole);
}

Result<std::vector<JsonMember>> JsonTopLevelMembers(std::string_view text,
                                                    std::string_view checked_value) {
  // Only an array or object ends where its text ends ("1" begins "12"), so only those are
  // recognised by their first bytes.
  const bool self_delimited =
      !checked_value.empty() && (checked_value.front() == '[' || checked_value.front() == '{');
  Scanner s(text, 0);
  if (!s.Take('{')) return NotJson(s.at());
  std::vector<JsonMember> members;
  if (!s.Take('}')) {
    do {
      TAILOR_ASSIGN_OR_RETURN(JsonSpan key, s.String());
      if (!s.Take(':')) return NotJson(s.at());
      TAILOR_ASSIGN_OR_RETURN(std::string name, JsonStringValue(key.In(text)));
      s.SkipSpace();
      if (self_delimited && s.Rest().starts_with(checked_value)) {
        const size_t begin = s.at();
        s.Advance(checked_value.size());
        members.push_back({std::move(name), JsonSpan{begin, s.at()}, true});
        continue;
      }
      TAILOR_ASSIGN_OR_RETURN(JsonSpan value, s.Value(1));
      members.push_back({std::move(name), value});
    } while (s.Take(','));
    if (!s.Take('}')) return NotJson(s.at());
  }
  if (!s.AtEnd()) return NotJson(s.at());
  return members;
}

const JsonMember* FindJsonMember(const std::vector<JsonMember>& members, std::string_view key) {
  for (const auto& m : members) {
    if (m.key == key) return &m;
  }
  for (const auto& m : members) {
    if (EqualIgnoringAsciiCase(m.key, key)) return &m;
  }
  return nullptr;
}

Result<std::vector<JsonSpan>> JsonArrayElements(std::string_view text, JsonSpan array) {
  Scanner s(text.substr(0, array.end), array.begin);
  if (!s.Take('[')) return InvalidArgumentError("not a JSON array").WithField("body");
  std::vector<JsonSpan> elements;
  if (s.Take(']')) return elements;
  do {
    TAILOR_ASSIGN_OR_RETURN(JsonSpan element, s.Value(1));
    elements.push_back(element);
  } while (s.Take(','));
  if (!s.Take(']')) return NotJson(s.at());
  return elements;
}

}  // namespace tailor::scheduler
