// RunUids: a distinct unprivileged user (uid, and a gid of the same number) for every
// function, from a range the operator gives the agent, so that no two functions share a user:
// neither can signal, trace or read the other's processes or files.
//
// Assignments are kept in a file (one "<uid> <function name>" per line, replaced atomically
// on each new one), so a function keeps its uid across agent restarts. A function name is
// checked by the name grammar before it reaches here; a line that does not parse is refused
// at Open, never guessed at.
//
// Thread-safety: For may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace tailor::agent {

struct UidRange {
  uint32_t first = 0;
  uint32_t count = 0;
};
// "FIRST-LAST" (inclusive), above 0 and below 2^32-1. INVALID_ARGUMENT otherwise.
Result<UidRange> ParseUidRange(const std::string& text);

class RunUids {
 public:
  // Reads `file` when it exists. INVALID_ARGUMENT for a malformed file or one whose uids fall
  // outside `range`.
  static Result<std::unique_ptr<RunUids>> Open(std::string file, UidRange range);

  // The function's uid, assigned now if it has none. RESOURCE_EXHAUSTED when the range is
  // used up; the error from writing the file otherwise.
  Result<uint32_t> For(const std::string& function_name);

 private:
  RunUids(std::string file, UidRange range) : file_(std::move(file)), range_(range) {}
  Status Save() const;

  const std::string file_;
  const UidRange range_;
  std::mutex mu_;
  std::map<std::string, uint32_t> by_name_;
  uint32_t next_ = 0;  // offset of the next free uid in the range
};

}  // namespace tailor::agent
