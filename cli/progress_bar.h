// ProgressBar: how a long tailorctl command shows it is moving. On a terminal, one line
// redrawn in place ("performance  [#########...........]  312/540  58%  failed 0"); elsewhere
// (a log, CI), a line each time another tenth is done, so logs stay readable.
//
// Thread-safety: call from one thread.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

namespace tailor::cli {

class ProgressBar {
 public:
  ProgressBar(std::ostream& out, std::string label, bool interactive)
      : out_(out), label_(std::move(label)), interactive_(interactive) {}
  void Update(size_t done, size_t failed, size_t total);
  // Ends the line (terminal) after the last update.
  void Finish();

 private:
  std::ostream& out_;
  std::string label_;
  bool interactive_;
  int last_tenth_ = -1;
  bool drawn_ = false;
};

}  // namespace tailor::cli
