// ByteWriter and ByteReader: the binary encoding of saved state (what the models learned);
// ByteParts: such bytes written a part at a time (a save in parts) and joined.
//
// Fixed-width little-endian integers, doubles as their eight IEEE-754 bytes (so every value,
// subnormals, infinities and NaN included, comes back bit for bit: a text form printed with 17
// digits did not, and parsing "4.98e-317" threw), and strings and counts as a u64 length before
// their contents. The reader checks every read against what is left: a short, damaged or hostile
// input makes it fail (ok() false, and every later read returns zero), never read past the end,
// allocate more than the input could hold, or throw. What the values mean (finite? in range?)
// is for the caller to check.
//
// Thread-safety: a writer or reader belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tailor {

class ByteWriter {
 public:
  void U32(uint32_t v);
  void U64(uint64_t v);
  void F64(double v);
  void Str(std::string_view s);
  // Bytes as they are, with no length before them: joins parts that other writers wrote.
  void Raw(std::string_view bytes) { out_.append(bytes); }
  void Reserve(size_t bytes) { out_.reserve(bytes); }
  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Bytes written a part at a time, each part in its own buffer, joined once at the end: a part
// never waits while the parts before it are copied into a larger buffer (a save in parts holds
// a lock for each part).
class ByteParts {
 public:
  void Add(ByteWriter&& part);
  size_t size() const { return size_; }
  // Every part, in order, appended to `out`.
  void AppendTo(ByteWriter& out) const;

 private:
  std::vector<std::string> parts_;
  size_t size_ = 0;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  uint32_t U32();
  uint64_t U64();
  double F64();
  // A string of at most `max_bytes`; fails beyond that or past the end.
  std::string Str(size_t max_bytes);
  // A count of items each at least `min_item_bytes` long in what is left, and at most `max`:
  // a hostile count cannot make the caller reserve or loop far beyond the input.
  size_t Count(size_t max, size_t min_item_bytes);
  // Fails the reader (a value read fine but means nothing valid).
  void Fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool AtEnd() const { return ok_ && pos_ == in_.size(); }

 private:
  bool Take(size_t n, const char** at);
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace tailor
