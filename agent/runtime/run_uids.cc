#include "agent/runtime/run_uids.h"

#include <algorithm>

#include "common/file_util.h"
#include "common/names.h"

namespace tailor::agent {

Result<UidRange> ParseUidRange(const std::string& text) {
  const size_t dash = text.find('-');
  auto bad = [&] {
    return InvalidArgumentError("uid range '" + text.substr(0, 64) +
                                "' is not FIRST-LAST with 0 < FIRST <= LAST < 4294967295");
  };
  if (dash == std::string::npos) return bad();
  auto first = ParseUint64(text.substr(0, dash));
  auto last = ParseUint64(text.substr(dash + 1));
  if (!first.ok() || !last.ok() || *first == 0 || *last < *first || *last >= UINT32_MAX) {
    return bad();
  }
  return UidRange{static_cast<uint32_t>(*first), static_cast<uint32_t>(*last - *first + 1)};
}

Result<std::unique_ptr<RunUids>> RunUids::Open(std::string file, UidRange range) {
  std::unique_ptr<RunUids> uids(new RunUids(std::move(file), range));
  if (!PathExists(uids->file_)) return uids;
  TAILOR_ASSIGN_OR_RETURN(std::string text, ReadFile(uids->file_));
  int line_number = 0;
  for (std::string_view line : SplitString(text, '\n')) {
    ++line_number;
    if (TrimWhitespace(line).empty()) continue;
    const size_t space = line.find(' ');
    auto uid = ParseUint64(line.substr(0, space));
    const std::string name(space == std::string_view::npos ? "" : line.substr(space + 1));
    if (!uid.ok() || *uid < range.first || *uid - range.first >= range.count ||
        !IsValidName(NameKind::kFunction, name)) {
      return InvalidArgumentError(uids->file_ + " line " + std::to_string(line_number) +
                                  ": not '<uid in the range> <function name>'");
    }
    uids->by_name_[name] = static_cast<uint32_t>(*uid);
    uids->next_ = std::max(uids->next_, static_cast<uint32_t>(*uid - range.first + 1));
  }
  return uids;
}

Result<uint32_t> RunUids::For(const std::string& function_name) {
  std::lock_guard lock(mu_);
  if (auto it = by_name_.find(function_name); it != by_name_.end()) return it->second;
  if (next_ >= range_.count) {
    return ResourceExhaustedError("all " + std::to_string(range_.count) +
                                  " uids of the run uid range are in use");
  }
  const uint32_t uid = range_.first + next_;
  by_name_[function_name] = uid;
  if (Status s = Save(); !s.ok()) {
    by_name_.erase(function_name);
    return s.WithContext("saving the uid of function '" + function_name + "'");
  }
  ++next_;
  return uid;
}

Status RunUids::Save() const {
  std::string text;
  for (const auto& [name, uid] : by_name_) text += std::to_string(uid) + " " + name + "\n";
  return WriteFileAtomically(file_, text);
}

}  // namespace tailor::agent
