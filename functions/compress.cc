// compress: zlib deflate of generated, moderately compressible text.
// Request: {"bytes": 4194304, "level": 6}
#include <zlib.h>

#include <vector>

#include "functions/common/function_io.h"

int main() {
  using namespace tailor::functions;
  auto req = ReadRequest();
  const auto bytes = Param<size_t>(req, "bytes", 4 << 20);
  const auto level = Param<int>(req, "level", 6);
  std::vector<unsigned char> in(bytes);
  uint32_t x = 12345;
  static const char kWords[] = "function placement cache memory tailor scheduler host ";
  for (size_t i = 0; i < bytes; ++i) {
    x = x * 1103515245 + 12345;
    in[i] = static_cast<unsigned char>((x >> 16) % 7 == 0 ? 'a' + (x >> 20) % 26
                                                          : kWords[i % (sizeof(kWords) - 1)]);
  }
  uLongf out_len = compressBound(bytes);
  std::vector<unsigned char> out(out_len);
  if (compress2(out.data(), &out_len, in.data(), bytes, level) != Z_OK) {
    std::cerr << "compress2 failed\n";
    return 1;
  }
  WriteResponse({{"bytes", bytes}, {"compressed_bytes", out_len}, {"level", level}});
}
