#include "bench/process_cpu.h"

#include <unistd.h>

#include <string>

#include "common/file_util.h"

namespace tailor::bench {

double ProcessCpuSeconds(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return 0;
  // SplitWhitespace returns views: the text they point into must outlive them.
  const std::string after_command = stat->substr(stat->rfind(')') + 2);
  const auto fields = SplitWhitespace(after_command);
  if (fields.size() < 13) return 0;
  // Fields after the command: state is [0], utime is [11], stime is [12].
  const auto utime = ParseUint64(fields[11]);
  const auto stime = ParseUint64(fields[12]);
  if (!utime.ok() || !stime.ok()) return 0;
  return static_cast<double>(*utime + *stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::vector<pid_t> ChildrenNamed(pid_t pid, const std::string& comm_prefix) {
  std::vector<pid_t> found;
  for (const std::string& entry : ListDirectory("/proc").value_or(std::vector<std::string>{})) {
    auto child = ParseUint64(entry);
    if (!child.ok()) continue;
    auto stat = ReadFile("/proc/" + entry + "/stat");
    if (!stat.ok()) continue;
    const size_t open = stat->find('(');
    const size_t close = stat->rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    const std::string comm = stat->substr(open + 1, close - open - 1);
    const std::string after_command = stat->substr(close + 2);
    const auto fields = SplitWhitespace(after_command);
    if (fields.size() < 2) continue;
    auto ppid = ParseUint64(fields[1]);  // state is [0], ppid is [1]
    if (ppid.ok() && static_cast<pid_t>(*ppid) == pid && comm.rfind(comm_prefix, 0) == 0) {
      found.push_back(static_cast<pid_t>(*child));
    }
  }
  return found;
}

}  // namespace tailor::bench
