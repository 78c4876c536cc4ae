#include "common/bundle_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/file_util.h"
#include "tests/support/temp_dir.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using tailor::testing::TempDir;
namespace fs = std::filesystem;

// Writes a tar.gz with hand-made entries, so the tests can build archives that PackBundle
// would never produce (absolute paths, "..", links, devices).
struct RawEntry {
  std::string path;
  unsigned type = AE_IFREG;
  std::string contents;
  std::string link;  // symlink or hard link target
  bool hardlink = false;
};

RawEntry File(std::string path, std::string contents) {
  RawEntry e;
  e.path = std::move(path);
  e.contents = std::move(contents);
  return e;
}
RawEntry Special(std::string path, unsigned type, std::string link = "", bool hardlink = false) {
  RawEntry e;
  e.path = std::move(path);
  e.type = type;
  e.link = std::move(link);
  e.hardlink = hardlink;
  return e;
}

std::string MakeArchive(const std::vector<RawEntry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* client, const void* buffer, size_t n) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, 0755);
    if (e.hardlink) archive_entry_set_hardlink(entry, e.link.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (e.type == AE_IFREG && !e.hardlink) archive_entry_set_size(entry, e.contents.size());
    archive_write_header(a, entry);
    if (!e.contents.empty()) archive_write_data(a, e.contents.data(), e.contents.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

const char kManifest[] = "name = 'echo'\nversion = '1'\nentrypoint = 'bin/run'\n";

void MakeBundle(const TempDir& dir) {
  dir.Write("bundle/tailor.toml", kManifest);
  dir.Write("bundle/bin/run", "#!/bin/sh\ncat\n");
  dir.Write("bundle/data/table.txt", "1 2 3\n");
  chmod(dir.File("bundle/bin/run").c_str(), 0755);
  fs::create_symlink("../data/table.txt", dir.File("bundle/bin/table"));
}

TEST(BundleArchiveTest, PackThenExtractKeepsFilesModesAndSymlinks) {
  TempDir dir;
  MakeBundle(dir);
  auto bytes = PackBundle(dir.File("bundle"));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto root = ExtractBundle(*bytes, dir.File("out"));
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(*root, dir.File("out"));
  EXPECT_EQ(*ReadFile(JoinPath(*root, "tailor.toml")), kManifest);
  EXPECT_EQ(*ReadFile(JoinPath(*root, "bin/table")), "1 2 3\n");  // through the symlink
  EXPECT_TRUE(fs::is_symlink(JoinPath(*root, "bin/table")));
  struct stat st {};
  ASSERT_EQ(stat(JoinPath(*root, "bin/run").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
}

TEST(BundleArchiveTest, PackingIsDeterministicSoDigestsAreStable) {
  TempDir dir;
  MakeBundle(dir);
  auto first = PackBundle(dir.File("bundle"));
  // A later modification time must not change the archive.
  fs::last_write_time(dir.File("bundle/data/table.txt"),
                      fs::file_time_type::clock::now() + std::chrono::hours(1));
  auto second = PackBundle(dir.File("bundle"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(Sha256Hex(*first), Sha256Hex(*second));
  dir.Write("bundle/data/table.txt", "1 2 4\n");
  EXPECT_NE(Sha256Hex(*PackBundle(dir.File("bundle"))), Sha256Hex(*first));
}

TEST(BundleArchiveTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(BundleArchiveTest, AcceptsASingleTopLevelFolder) {
  TempDir dir;
  auto bytes = MakeArchive({Special("echo/", AE_IFDIR), File("echo/tailor.toml", kManifest),
                            File("echo/bin/run", "#!/bin/sh\n")});
  auto root = ExtractBundle(bytes, dir.File("out"));
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(*root, dir.File("out/echo"));
}

TEST(BundleArchiveTest, RefusesEntriesThatEscapeOrSurprise) {
  struct Case {
    const char* what;
    std::vector<RawEntry> entries;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"dot-dot", {File("../evil", "x")}, "climbs out"},
      {"inner dot-dot", {File("bin/../../evil", "x")}, "climbs out"},
      {"absolute", {File("/tmp/evil", "x")}, "absolute path"},
      {"symlink out", {Special("bin/passwd", AE_IFLNK, "../../etc/passwd")}, "points outside"},
      {"absolute symlink", {Special("passwd", AE_IFLNK, "/etc/passwd")}, "points outside"},
      {"hard link", {File("a", "x"), Special("b", AE_IFREG, "a", true)}, "hard link"},
      {"fifo", {Special("pipe", AE_IFIFO)}, "not a file, folder or symlink"},
      {"no manifest", {File("bin/run", "x")}, "no tailor.toml"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    auto root = ExtractBundle(MakeArchive(c.entries), dir.File("out"));
    ASSERT_FALSE(root.ok()) << c.what;
    EXPECT_EQ(root.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(root.status().message(), HasSubstr(c.message)) << c.what;
    EXPECT_FALSE(PathExists("/tmp/evil")) << c.what;
  }
}

TEST(BundleArchiveTest, EnforcesSizeAndEntryLimits) {
  TempDir dir;
  const std::string big(4096, 'z');
  auto bytes = MakeArchive({File("tailor.toml", kManifest), File("big", big)});
  auto too_big = ExtractBundle(bytes, dir.File("a"), BundleLimits{.max_unpacked_bytes = 1024});
  EXPECT_THAT(too_big.status().message(), HasSubstr("more than 1024 bytes"));
  auto too_many = ExtractBundle(bytes, dir.File("b"), BundleLimits{.max_entries = 1});
  EXPECT_THAT(too_many.status().message(), HasSubstr("more than 1 entries"));
  EXPECT_TRUE(ExtractBundle(bytes, dir.File("c")).ok());
}

TEST(BundleArchiveTest, RefusesCorruptArchivesAndExistingTargets) {
  TempDir dir;
  auto bad = ExtractBundle("definitely not gzip", dir.File("x"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  MakeBundle(dir);
  auto bytes = *PackBundle(dir.File("bundle"));
  auto truncated = ExtractBundle(bytes.substr(0, 64), dir.File("y"));
  EXPECT_FALSE(truncated.ok());
  auto existing = ExtractBundle(bytes, dir.File("bundle"));
  EXPECT_EQ(existing.status().code(), StatusCode::kFailedPrecondition);
}

TEST(BundleArchiveTest, RecognisesArchiveNames) {
  EXPECT_TRUE(IsBundleArchiveName("x/aes.tar.gz"));
  EXPECT_TRUE(IsBundleArchiveName("aes.tgz"));
  EXPECT_FALSE(IsBundleArchiveName("aes"));
  EXPECT_FALSE(IsBundleArchiveName("aes.tar"));
}

}  // namespace
}  // namespace tailor
