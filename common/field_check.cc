#include "common/field_check.h"

#include <cmath>
#include <cstdio>

namespace tailor {

std::string FieldCheck::Path(std::string_view field) const {
  if (prefix_.empty()) return std::string(field);
  std::string out = prefix_;
  if (!field.empty() && field.front() != '[') out += '.';
  out += field;
  return out;
}

void FieldCheck::Fail(std::string_view field, std::string message) {
  if (!first_.ok()) return;
  const std::string path = Path(field);
  first_ = InvalidArgumentError(path + " " + message).WithField(path);
}

FieldCheck& FieldCheck::Name(std::string_view field, NameKind kind, std::string_view value,
                             bool optional) {
  if (!first_.ok() || (optional && value.empty())) return *this;
  const std::string path = Path(field);
  if (Status s = CheckName(kind, value, path); !s.ok()) first_ = s;
  return *this;
}

FieldCheck& FieldCheck::Text(std::string_view field, std::string_view value, size_t max_bytes) {
  if (!first_.ok()) return *this;
  if (value.size() > max_bytes) {
    Fail(field, "is " + std::to_string(value.size()) + " bytes; at most " +
                    std::to_string(max_bytes) + " are allowed");
  } else if (value.find('\0') != std::string_view::npos) {
    Fail(field, "holds a NUL byte");
  }
  return *this;
}

FieldCheck& FieldCheck::AtMost(std::string_view field, uint64_t value, uint64_t max) {
  if (first_.ok() && value > max) {
    Fail(field, "must be at most " + std::to_string(max) + ", got " + std::to_string(value));
  }
  return *this;
}

FieldCheck& FieldCheck::InRange(std::string_view field, int64_t value, int64_t lo, int64_t hi) {
  if (first_.ok() && (value < lo || value > hi)) {
    Fail(field, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                    std::to_string(value));
  }
  return *this;
}

FieldCheck& FieldCheck::Finite(std::string_view field, double value, double lo, double hi) {
  if (first_.ok() && !(std::isfinite(value) && value >= lo && value <= hi)) {
    char got[32];
    std::snprintf(got, sizeof(got), "%g", value);
    char range[64];
    std::snprintf(range, sizeof(range), "a finite number in [%g, %g]", lo, hi);
    Fail(field, std::string("must be ") + range + ", got " + got);
  }
  return *this;
}

FieldCheck& FieldCheck::Require(bool condition, std::string_view field,
                                std::string_view message) {
  if (first_.ok() && !condition) Fail(field, std::string(message));
  return *this;
}

}  // namespace tailor
