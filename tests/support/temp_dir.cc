#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "common/file_util.h"

namespace tailor::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/tailor-test-XXXXXX";
  char* made = ::mkdtemp(templ.data());
  if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::File(const std::string& name) const { return JoinPath(path_, name); }

void TempDir::Write(const std::string& relative, const std::string& contents) const {
  std::string full = File(relative);
  std::filesystem::create_directories(std::filesystem::path(full).parent_path());
  Status s = WriteFileAtomically(full, contents);
  if (!s.ok()) ADD_FAILURE() << s;
}

std::string FixturePath(const std::string& relative) {
  return JoinPath(TAILOR_FIXTURES_DIR, relative);
}

}  // namespace tailor::testing
