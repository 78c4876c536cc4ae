#include "common/file_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace tailor {
namespace {

TEST(FileUtilTest, ReadMissingFileIsNotFoundWithPath) {
  auto r = ReadFile("/nonexistent/tailor/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/tailor/file"), std::string::npos);
}

TEST(FileUtilTest, AtomicWriteThenRead) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.File("a"), "one\ntwo\n").ok());
  EXPECT_EQ(*ReadFile(dir.File("a")), "one\ntwo\n");
  EXPECT_EQ(*ReadFirstLine(dir.File("a")), "one");
  ASSERT_TRUE(WriteFileAtomically(dir.File("a"), "three").ok());
  EXPECT_EQ(*ReadFile(dir.File("a")), "three");
  auto names = ListDirectory(dir.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"a"});  // no temporary left behind
}

TEST(FileUtilTest, SplittingAndTrimming) {
  EXPECT_EQ(TrimWhitespace("  a b \n"), "a b");
  EXPECT_EQ(SplitString("a,,b", ',').size(), 3u);
  auto ws = SplitWhitespace("  cpu  1 2\t3 ");
  ASSERT_EQ(ws.size(), 4u);
  EXPECT_EQ(ws[0], "cpu");
  EXPECT_EQ(ws[3], "3");
  EXPECT_EQ(JoinPath("/a/", "/b"), "/a/b");
}

TEST(FileUtilTest, NumberParsingRejectsGarbage) {
  EXPECT_EQ(*ParseUint64(" 42\n"), 42u);
  EXPECT_EQ(*ParseInt64("-7"), -7);
  EXPECT_FALSE(ParseUint64("42x").ok());
  EXPECT_FALSE(ParseUint64("").ok());
  EXPECT_DOUBLE_EQ(*ParseDouble("2.5"), 2.5);
  EXPECT_FALSE(ParseDouble("2.5.1").ok());
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

// The only way the agent removes trees: never the root, never outside it, whatever the path
// says after resolving "..", "." and symlinks.
TEST(RemoveTreeInsideTest, RemovesOnlyWhatIsStrictlyInsideTheRoot) {
  tailor::testing::TempDir dir;
  dir.Write("root/a/b/file", "x");
  dir.Write("sibling/keep", "x");
  ASSERT_EQ(::symlink(dir.File("sibling").c_str(), dir.File("root/link").c_str()), 0);
  const std::string root = dir.File("root");
  for (const std::string& refused :
       {root, root + "/..", root + "/a/../..", root + "/.", dir.File("sibling"),
        root + "/link/keep", root + "/../sibling"}) {
    Status s = RemoveTreeInside(root, refused);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << refused << ": " << s;
  }
  EXPECT_TRUE(PathExists(dir.File("sibling/keep")));
  EXPECT_TRUE(PathExists(dir.File("root/a/b/file")));
  // A symlink inside the root goes as a link; its target stays.
  EXPECT_TRUE(RemoveTreeInside(root, root + "/link").ok());
  EXPECT_TRUE(PathExists(dir.File("sibling/keep")));
  EXPECT_TRUE(RemoveTreeInside(root, root + "/a").ok());
  EXPECT_FALSE(PathExists(dir.File("root/a")));
  EXPECT_TRUE(PathExists(root));
  EXPECT_TRUE(RemoveTreeInside(root, root + "/never-there").ok());
}

}  // namespace
}  // namespace tailor
