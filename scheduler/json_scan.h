// JsonScan: finds values in a JSON text by where they are (object keys from the top, the
// elements of an array) without building the document, for bodies too large to parse whole: a
// Kubernetes NodeList of thousands of Nodes is megabytes, and kube-scheduler wants the passing
// Nodes back as they came. Keys match as Go's encoding/json matches struct fields: ignoring
// ASCII case. The text walked is checked to be JSON (strings, numbers, literals, nesting up to
// kMaxJsonScanDepth); the rest is not looked at.
//
// Thread-safety: stateless.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tailor::scheduler {

inline constexpr int kMaxJsonScanDepth = 64;

// Where a value lies in the text: [begin, end).
struct JsonSpan {
  size_t begin = 0;
  size_t end = 0;
  std::string_view In(std::string_view text) const { return text.substr(begin, end - begin); }
};

// The value found by following `keys` from the top object: nullopt when a key is missing or a
// value on the way is not an object. INVALID_ARGUMENT (field "body") for text that is not JSON
// where it was walked.
Result<std::optional<JsonSpan>> FindJsonValue(std::string_view text,
                                              std::span<const std::string_view> keys);
// Whether two keys are equal ignoring ASCII case: how Go's encoding/json matches a key to a
// struct field when no key matches exactly.
bool EqualIgnoringAsciiCase(std::string_view a, std::string_view b);

struct JsonMember {
  std::string key;  // escapes decoded
  JsonSpan value;
  bool is_checked_value = false;  // the value is `checked_value` (below), not walked
};
// The members of the object that is the whole text (white space around it aside), every value
// checked to be JSON. INVALID_ARGUMENT for anything else. A member's value whose text begins
// with `checked_value`, an array or object already checked to be JSON (such as the NodeNames
// list of kube-scheduler's previous request: the same thousands of names pod after pod), is
// that value and is not walked again; comparing bytes costs far less than checking them.
Result<std::vector<JsonMember>> JsonTopLevelMembers(std::string_view text,
                                                    std::string_view checked_value = {});
// The member named `key`: the exact key, else one equal ignoring ASCII case (as Go's
// encoding/json finds a struct field); null when none.
const JsonMember* FindJsonMember(const std::vector<JsonMember>& members, std::string_view key);
// The elements of the array at `array`, in order. INVALID_ARGUMENT when it is not an array.
Result<std::vector<JsonSpan>> JsonArrayElements(std::string_view text, JsonSpan array);
// The text of a JSON string value (escapes decoded). INVALID_ARGUMENT when it is not a string.
Result<std::string> JsonStringValue(std::string_view value_text);

}  // namespace tailor::scheduler
