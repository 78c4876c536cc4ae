#include "bench/process_cpu.h"

#include <unistd.h>

#include <string>

#include "common/file_util.h"

namespace tailor::bench {

double ProcessCpuSeconds(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return 0;
  const auto fields = SplitWhitespace(stat->substr(stat->rfind(')') + 2));
  if (fields.size() < 13) return 0;
  // Fields after the command: state is [0], utime is [11], stime is [12].
  const auto utime = ParseUint64(fields[11]);
  const auto stime = ParseUint64(fields[12]);
  if (!utime.ok() || !stime.ok()) return 0;
  return static_cast<double>(*utime + *stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace tailor::bench
