// TempDir: a fresh directory for one test, removed with everything in it when destroyed.
#pragma once

#include <string>

namespace tailor::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string File(const std::string& name) const;
  // Writes `contents` to path()/relative, creating parent directories.
  void Write(const std::string& relative, const std::string& contents) const;

 private:
  std::string path_;
};

// TAILOR_FIXTURES_DIR/relative
std::string FixturePath(const std::string& relative);

}  // namespace tailor::testing
