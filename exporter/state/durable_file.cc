#include "exporter/state/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "exporter/state/huge_pages.h"

namespace ele {
namespace {

// Reads from `fd` into `data` until `size` bytes or the end; the bytes read
// (errno set and `*failed` true on an error).
size_t ReadUpTo(int fd, char* data, size_t size, bool* failed) {
  size_t filled = 0;
  while (filled < size) {
    const ssize_t n = ::read(fd, data + filled, size - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *failed = n < 0;
      break;
    }
    filled += static_cast<size_t>(n);
  }
  return filled;
}

}  // namespace

// read() writes every byte kept, so the buffer is not zero-filled first.
Result<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(std::strerror(errno));
  struct stat info {};
  const size_t expected = ::fstat(fd, &info) == 0 && info.st_size > 0 ? static_cast<size_t>(info.st_size) : 0;
  bool failed = false;
  std::string bytes;
  bytes.resize_and_overwrite(expected, [&](char* data, size_t size) {
    AdviseHugePages(data, size);
    return ReadUpTo(fd, data, size, &failed);
  });
  char more[4096];  // whatever the file grew by since fstat
  while (!failed) {
    const size_t n = ReadUpTo(fd, more, sizeof more, &failed);
    if (n == 0) break;
    bytes.append(more, n);
  }
  const int saved_errno = errno;
  ::close(fd);
  if (failed) return Fail(std::strerror(saved_errno));
  return bytes;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Result<void> WriteFileDurably(const std::string& path, const std::vector<std::string_view>& pieces) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("cannot write " + tmp + ": " + std::strerror(errno));
  bool written = true;
  for (std::string_view piece : pieces) written = written && WriteAll(fd, piece);
  written = written && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());  // a partial file would hold on to the space a full disk lacks
    return Fail("cannot write " + tmp + ": " + std::strerror(saved_errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    ::unlink(tmp.c_str());
    return Fail("cannot replace " + path + ": " + std::strerror(rename_errno));
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // makes the rename itself durable
    ::close(dfd);
  }
  return {};
}

}  // namespace ele
