#include "common/byte_codec.h"

#include <cstring>

namespace tailor {
namespace {

template <typename T>
void PutLittleEndian(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out += static_cast<char>(static_cast<uint8_t>(v >> (8 * i)));
  }
}

template <typename T>
T GetLittleEndian(const char* at) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<uint8_t>(at[i])) << (8 * i);
  }
  return v;
}

}  // namespace

void ByteWriter::U32(uint32_t v) { PutLittleEndian(out_, v); }
void ByteWriter::U64(uint64_t v) { PutLittleEndian(out_, v); }

void ByteWriter::F64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  U64(bits);
}

void ByteWriter::Str(std::string_view s) {
  U64(s.size());
  out_.append(s);
}

void ByteParts::Add(ByteWriter&& part) {
  size_ += part.bytes().size();
  parts_.push_back(part.Take());
}

void ByteParts::AppendTo(ByteWriter& out) const {
  for (const auto& part : parts_) out.Raw(part);
}

bool ByteReader::Take(size_t n, const char** at) {
  if (!ok_ || in_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  *at = in_.data() + pos_;
  pos_ += n;
  return true;
}

uint32_t ByteReader::U32() {
  const char* at = nullptr;
  return Take(4, &at) ? GetLittleEndian<uint32_t>(at) : 0;
}

uint64_t ByteReader::U64() {
  const char* at = nullptr;
  return Take(8, &at) ? GetLittleEndian<uint64_t>(at) : 0;
}

double ByteReader::F64() {
  const uint64_t bits = U64();
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return ok_ ? v : 0.0;
}

std::string ByteReader::Str(size_t max_bytes) {
  const uint64_t n = U64();
  const char* at = nullptr;
  if (!ok_ || n > max_bytes || !Take(static_cast<size_t>(n), &at)) {
    ok_ = false;
    return {};
  }
  return std::string(at, static_cast<size_t>(n));
}

size_t ByteReader::Count(size_t max, size_t min_item_bytes) {
  const uint64_t n = U64();
  const size_t left = in_.size() - pos_;
  if (!ok_ || n > max || (min_item_bytes > 0 && n > left / min_item_bytes)) {
    ok_ = false;
    return 0;
  }
  return static_cast<size_t>(n);
}

}  // namespace tailor
