// Table: left-aligned text columns for tailorctl's human output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tailor::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void Print(std::ostream& os) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "1.5 GiB", "512 MiB", "32 KiB".
std::string FormatBytes(uint64_t bytes);
// "42%" for 0.42.
std::string FormatPercent(double share);
// "8.25" below 10 ms, "48.2" above: a duration in milliseconds, without the unit.
std::string FormatMillis(double ms);
// "3.14" for (3.14159, 2): a number with that many digits after the point.
std::string FormatFixed(double value, int digits);
// "3s ago", "2m ago", "never".
std::string FormatAgo(int64_t then_unix_ms, int64_t now_unix_ms);

}  // namespace tailor::cli
