#include "cli/progress_bar.h"

namespace tailor::cli {

void ProgressBar::Update(size_t done, size_t failed, size_t total) {
  const size_t percent = total == 0 ? 100 : done * 100 / total;
  const std::string counts = std::to_string(done) + "/" + std::to_string(total) + "  " +
                             std::to_string(percent) + "%  failed " + std::to_string(failed);
  if (interactive_) {
    constexpr size_t kWidth = 30;
    const size_t filled = total == 0 ? kWidth : done * kWidth / total;
    out_ << "\r" << label_ << "  [" << std::string(filled, '#')
         << std::string(kWidth - filled, '.') << "]  " << counts << "   " << std::flush;
    drawn_ = true;
    return;
  }
  const int tenth = static_cast<int>(percent / 10);
  if (tenth == last_tenth_) return;
  last_tenth_ = tenth;
  out_ << label_ << ": " << counts << "\n" << std::flush;
}

void ProgressBar::Finish() {
  if (interactive_ && drawn_) out_ << "\n" << std::flush;
  drawn_ = false;
}

}  // namespace tailor::cli
