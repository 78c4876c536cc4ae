// FieldCheck: checks the fields of one request and keeps the first failure, as an
// INVALID_ARGUMENT that names the field ("report.wall_time_us must be 0..604800000000, got
// -5") and carries it typed (Status::field()). Values are echoed only as short excerpts
// (common/names.h), so a huge field never comes back in an error.
//
//   FieldCheck check("report");
//   check.Name("invocation_id", NameKind::kId, r.invocation_id())
//        .AtMost("peak_memory_bytes", r.peak_memory_bytes(), kMaxMemoryBytes);
//   TAILOR_RETURN_IF_ERROR(check.status());
//
// Thread-safety: a FieldCheck belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/names.h"
#include "common/status.h"

namespace tailor {

class FieldCheck {
 public:
  // `prefix` goes in front of every field name ("report" -> "report.node_id").
  explicit FieldCheck(std::string prefix = "") : prefix_(std::move(prefix)) {}

  // A name of the grammar; `optional` lets it be empty.
  FieldCheck& Name(std::string_view field, NameKind kind, std::string_view value,
                   bool optional = false);
  // Free text: at most `max_bytes`, no NUL bytes.
  FieldCheck& Text(std::string_view field, std::string_view value, size_t max_bytes);
  FieldCheck& AtMost(std::string_view field, uint64_t value, uint64_t max);
  FieldCheck& InRange(std::string_view field, int64_t value, int64_t lo, int64_t hi);
  // A finite number in [lo, hi] (NaN and infinities fail).
  FieldCheck& Finite(std::string_view field, double value, double lo, double hi);
  // Fails with "<field> <message>" unless `condition`.
  FieldCheck& Require(bool condition, std::string_view field, std::string_view message);

  bool ok() const { return first_.ok(); }
  const Status& status() const { return first_; }
  // The full name of a field ("report.node_id").
  std::string Path(std::string_view field) const;

 private:
  void Fail(std::string_view field, std::string message);

  std::string prefix_;
  Status first_;
};

}  // namespace tailor
