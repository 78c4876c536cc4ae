// sha256: SHA-256 digests with OpenSSL EVP (fast with SHA-NI).
// Request: {"bytes": 1048576, "rounds": 16}
#include <openssl/evp.h>

#include <vector>

#include "functions/common/function_io.h"

int main() {
  using namespace tailor::functions;
  auto req = ReadRequest();
  const auto bytes = Param<size_t>(req, "bytes", 1 << 20);
  const auto rounds = Param<int>(req, "rounds", 16);
  std::vector<unsigned char> in(bytes, 0xa5);
  unsigned char digest[32];
  unsigned int len = 0;
  uint64_t checksum = 0;
  for (int r = 0; r < rounds; ++r) {
    in[0] = static_cast<unsigned char>(r);
    EVP_Digest(in.data(), in.size(), digest, &len, EVP_sha256(), nullptr);
    checksum += digest[0];
  }
  WriteResponse({{"bytes", bytes}, {"rounds", rounds}, {"checksum", checksum}});
}
