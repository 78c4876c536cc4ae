// matmul launcher: runs the widest matmul build (avx512, avx2 or sse2) that this CPU supports
// and that the host does not hide. An emulated host lists what it hides in
// TAILOR_HIDDEN_FEATURES (comma separated, as the agent sets it); hiding "avx" hides AVX2 too,
// and hiding "avx512f" hides every AVX-512 path.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

bool Hidden(std::string_view feature) {
  const char* env = std::getenv("TAILOR_HIDDEN_FEATURES");
  if (env == nullptr) return false;
  std::string_view list(env);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (list.substr(0, comma) == feature) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

const char* PickBuild() {
  __builtin_cpu_init();
  const bool avx = __builtin_cpu_supports("avx") && !Hidden("avx");
  const bool avx2 = avx && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    !Hidden("avx2") && !Hidden("fma");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && !Hidden("avx512f");
  return avx512 ? "matmul-avx512" : avx2 ? "matmul-avx2" : "matmul-sse2";
}

}  // namespace

int main(int, char** argv) {
  // The builds sit next to this launcher.
  std::string self = argv[0];
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) self.assign(exe, static_cast<size_t>(n));
  const std::string dir = self.substr(0, self.rfind('/') + 1);
  const std::string target = dir + PickBuild();
  execv(target.c_str(), argv);
  std::fprintf(stderr, "matmul: cannot run %s: %s\n", target.c_str(), std::strerror(errno));
  return 127;
}
