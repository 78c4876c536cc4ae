// chacha20: ChaCha20-Poly1305 with OpenSSL EVP (AVX2 and AVX-512 code paths).
// Request: {"bytes": 1048576, "rounds": 16}
#include <openssl/evp.h>

#include <vector>

#include "functions/common/function_io.h"

int main() {
  using namespace tailor::functions;
  auto req = ReadRequest();
  const auto bytes = Param<size_t>(req, "bytes", 1 << 20);
  const auto rounds = Param<int>(req, "rounds", 16);
  std::vector<unsigned char> in(bytes, 0x3c), out(bytes + 16);
  unsigned char key[32] = {3}, iv[12] = {4}, tag[16];
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  uint64_t checksum = 0;
  for (int r = 0; r < rounds; ++r) {
    iv[0] = static_cast<unsigned char>(r);
    int len = 0;
    EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key, iv);
    EVP_EncryptUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size()));
    EVP_EncryptFinal_ex(ctx, out.data() + len, &len);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
    checksum += tag[0];
  }
  EVP_CIPHER_CTX_free(ctx);
  WriteResponse({{"bytes", bytes}, {"rounds", rounds}, {"checksum", checksum}});
}
