#include "common/names.h"

#include <algorithm>
#include <cstdio>

namespace tailor {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool AllowedAfterFirst(NameKind kind, char c) {
  if (kind == NameKind::kTenant)
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  if (IsAlnum(c) || c == '.' || c == '_' || c == '-') return true;
  return kind == NameKind::kVersion && c == '+';
}

std::string_view Describe(NameKind kind) {
  switch (kind) {
    case NameKind::kVersion:
      return "1..64 characters of [A-Za-z0-9._+-] starting with a letter or digit";
    case NameKind::kFunction:
      return "1..64 characters of [A-Za-z0-9._-] starting with a letter or digit";
    case NameKind::kTenant:
      return "1..63 characters of [a-z0-9-] starting with a letter or digit";
    case NameKind::kNodeId:
    case NameKind::kId:
      return "1..128 characters of [A-Za-z0-9._-] starting with a letter or digit";
  }
  return "";
}

}  // namespace

size_t MaxNameLength(NameKind kind) {
  if (kind == NameKind::kTenant) return 63;
  return kind == NameKind::kFunction || kind == NameKind::kVersion ? 64 : 128;
}

bool IsValidName(NameKind kind, std::string_view value) {
  if (value.empty() || value.size() > MaxNameLength(kind) || !IsAlnum(value.front()) ||
      !AllowedAfterFirst(kind, value.front())) {
    return false;
  }
  for (char c : value) {
    if (!AllowedAfterFirst(kind, c)) return false;
  }
  return true;
}

Status CheckName(NameKind kind, std::string_view value, std::string_view field) {
  if (IsValidName(kind, value)) return OkStatus();
  std::string message(field);
  message += value.empty() ? " is required" : " must be ";
  if (!value.empty()) {
    message += Describe(kind);
    message += ", got ";
    message += Excerpt(value);
  } else {
    message += " (";
    message += Describe(kind);
    message += ")";
  }
  return InvalidArgumentError(std::move(message)).WithField(std::string(field));
}

std::string Excerpt(std::string_view value, size_t max_chars) {
  std::string out = "'";
  size_t shown = 0;
  for (char c : value) {
    if (shown == max_chars) break;
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\'' && c != '\\') {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    }
    ++shown;
  }
  out += "'";
  if (value.size() > shown) out += "... (" + std::to_string(value.size()) + " bytes)";
  return out;
}

bool IsFeatureName(std::string_view value) {
  if (value.empty() || value.size() > 32) return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace tailor
