// What tells a changed file from an unchanged one without reading it: device,
// inode, size and modification time. A rename over the file (how certbot,
// cert-manager and editors write) changes the inode; an edit in place
// changes the size or the time.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

namespace ele {

struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// All zero when the path is empty or cannot be looked at.
inline FileStamp StampOf(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return {};
  return FileStamp{st.st_dev, st.st_ino, st.st_size, std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace ele
