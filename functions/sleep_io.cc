// sleep-io: waits (a stand-in for a network call) and writes then reads back a scratch file;
// not CPU sensitive. Request: {"sleep_ms": 50, "file_bytes": 1048576}
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "functions/common/function_io.h"

int main() {
  using namespace tailor::functions;
  auto req = ReadRequest();
  const auto sleep_ms = Param<int>(req, "sleep_ms", 50);
  const auto file_bytes = Param<size_t>(req, "file_bytes", 1 << 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  size_t read_back = 0;
  if (file_bytes > 0) {
    FILE* f = std::tmpfile();
    if (f == nullptr) {
      std::perror("tmpfile");
      return 1;
    }
    std::vector<char> buf(file_bytes, 'x');
    std::fwrite(buf.data(), 1, buf.size(), f);
    std::fflush(f);
    std::rewind(f);
    read_back = std::fread(buf.data(), 1, buf.size(), f);
    std::fclose(f);
  }
  WriteResponse({{"slept_ms", sleep_ms}, {"file_bytes", read_back}});
}
