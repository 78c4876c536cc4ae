#include "common/bundle_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <vector>

#include "common/file_util.h"
#include "common/function_manifest.h"

namespace tailor {
namespace fs = std::filesystem;
namespace {

struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// A relative path with no "..", "." or empty components after stripping a leading "./".
Result<std::string> SafeRelativePath(std::string_view raw) {
  std::string path(raw);
  while (path.starts_with("./")) path.erase(0, 2);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty()) return std::string();  // the archive's root folder entry
  if (path.front() == '/') {
    return InvalidArgumentError("bundle entry '" + std::string(raw) + "' has an absolute path");
  }
  for (const auto& part : SplitString(path, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return InvalidArgumentError("bundle entry '" + std::string(raw) +
                                  "' climbs out of the bundle or is not a plain path");
    }
  }
  return path;
}

// A symlink at `link_path` (relative to the bundle) pointing at `target` must stay inside.
bool SymlinkStaysInside(const std::string& link_path, std::string_view target) {
  if (target.empty() || target.front() == '/') return false;
  fs::path resolved = fs::path(link_path).parent_path() / fs::path(target);
  int depth = 0;
  for (const auto& part : resolved.lexically_normal()) {
    if (part == "..") {
      if (--depth < 0) return false;
    } else if (part != "." && !part.empty()) {
      ++depth;
    }
  }
  return true;
}

la_ssize_t AppendToString(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

Status ArchiveError(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return InvalidArgumentError(what + ": " + (msg ? msg : "archive error"));
}

}  // namespace

bool IsBundleArchiveName(std::string_view path) {
  return path.ends_with(".tar.gz") || path.ends_with(".tgz");
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

Result<std::string> PackBundle(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return InvalidArgumentError("'" + dir + "' is not a directory");
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    paths.push_back(it->path());
  }
  if (ec) return ErrnoToStatus(ec.value(), "listing bundle " + dir);
  std::sort(paths.begin(), paths.end());

  std::string out;
  std::unique_ptr<archive, WriteDeleter> a(archive_write_new());
  archive_write_add_filter_gzip(a.get());
  archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr);  // no mtime in header
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open(a.get(), &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "packing " + dir);
  }
  for (const auto& path : paths) {
    const std::string rel = path.lexically_relative(dir).generic_string();
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, "stat " + path.string());
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), rel.c_str());
    archive_entry_set_perm(entry.get(), st.st_mode & 0755);
    std::string contents;
    if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(entry.get(), AE_IFDIR);
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code lec;
      const std::string target = fs::read_symlink(path, lec).string();
      if (lec) return ErrnoToStatus(lec.value(), "readlink " + path.string());
      archive_entry_set_filetype(entry.get(), AE_IFLNK);
      archive_entry_set_symlink(entry.get(), target.c_str());
    } else if (S_ISREG(st.st_mode)) {
      TAILOR_ASSIGN_OR_RETURN(contents, ReadFile(path.string()));
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(contents.size()));
    } else {
      return InvalidArgumentError("bundle file '" + rel + "' is not a file, folder or symlink");
    }
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return ArchiveError(a.get(), "packing " + rel);
    }
    if (!contents.empty() &&
        archive_write_data(a.get(), contents.data(), contents.size()) < 0) {
      return ArchiveError(a.get(), "packing " + rel);
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "packing " + dir);
  return out;
}

Result<std::string> ExtractBundle(std::string_view archive_bytes, const std::string& dest_dir,
                                  const BundleLimits& limits) {
  std::error_code ec;
  if (fs::exists(dest_dir, ec)) {
    return FailedPreconditionError("extraction target " + dest_dir + " already exists");
  }
  TAILOR_RETURN_IF_ERROR(MakeDirectories(dest_dir));
  std::unique_ptr<archive, ReadDeleter> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), archive_bytes.data(), archive_bytes.size()) !=
      ARCHIVE_OK) {
    return ArchiveError(a.get(), "bundle is not a readable .tar.gz");
  }
  uint64_t total = 0;
  uint32_t entries = 0;
  std::vector<std::string> top_level;
  archive_entry* entry = nullptr;
  while (true) {
    const int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) return ArchiveError(a.get(), "bundle archive is corrupt");
    if (++entries > limits.max_entries) {
      return InvalidArgumentError("bundle has more than " + std::to_string(limits.max_entries) +
                                  " entries");
    }
    const char* raw = archive_entry_pathname(entry);
    TAILOR_ASSIGN_OR_RETURN(std::string rel, SafeRelativePath(raw ? raw : ""));
    if (rel.empty()) continue;
    const std::string first = rel.substr(0, rel.find('/'));
    if (std::find(top_level.begin(), top_level.end(), first) == top_level.end()) {
      top_level.push_back(first);
    }
    const std::string out_path = JoinPath(dest_dir, rel);
    TAILOR_RETURN_IF_ERROR(MakeDirectories(fs::path(out_path).parent_path().string()));
    if (archive_entry_hardlink(entry) != nullptr) {
      return InvalidArgumentError("bundle entry '" + rel + "' is a hard link; not allowed");
    }
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR:
        TAILOR_RETURN_IF_ERROR(MakeDirectories(out_path));
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        if (!target || !SymlinkStaysInside(rel, target)) {
          return InvalidArgumentError("bundle symlink '" + rel + "' points outside the bundle");
        }
        if (symlink(target, out_path.c_str()) != 0) {
          return ErrnoToStatus(errno, "creating symlink " + out_path);
        }
        break;
      }
      case AE_IFREG: {
        const int64_t size = archive_entry_size(entry);
        total += static_cast<uint64_t>(std::max<int64_t>(size, 0));
        if (total > limits.max_unpacked_bytes) {
          return InvalidArgumentError("bundle unpacks to more than " +
                                      std::to_string(limits.max_unpacked_bytes) + " bytes");
        }
        const mode_t mode = (archive_entry_perm(entry) & 0755) | 0600;
        const int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0) return ErrnoToStatus(errno, "creating " + out_path);
        const int wrc = archive_read_data_into_fd(a.get(), fd);
        fchmod(fd, mode);
        close(fd);
        if (wrc != ARCHIVE_OK) return ArchiveError(a.get(), "unpacking " + rel);
        break;
      }
      default:
        return InvalidArgumentError("bundle entry '" + rel +
                                    "' is not a file, folder or symlink; not allowed");
    }
  }
  if (PathExists(JoinPath(dest_dir, kManifestFileName))) return dest_dir;
  if (top_level.size() == 1) {
    const std::string inner = JoinPath(dest_dir, top_level.front());
    if (PathExists(JoinPath(inner, kManifestFileName))) return inner;
  }
  return InvalidArgumentError(std::string("bundle has no ") + kManifestFileName +
                              " at its root or in its single top-level folder");
}

}  // namespace tailor
