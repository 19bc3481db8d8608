#include "exporter/state/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "exporter/state/binary_codec.h"
#include "exporter/state/huge_pages.h"

namespace ele {
namespace {

constexpr std::string_view kMagic = "ELESTATE";

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
std::uint64_t GetLE(std::string_view in, size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + static_cast<size_t>(i)])) << (8 * i);
  return v;
}

// `crc` continued over `data`. zlib takes uInt lengths: large data goes in chunks.
uLong Crc(uLong crc, std::string_view data) {
  for (size_t at = 0; at < data.size(); at += 1u << 30) {
    const size_t n = std::min<size_t>(data.size() - at, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(n));
  }
  return crc;
}

std::uint32_t Crc(std::string_view data) { return static_cast<std::uint32_t>(Crc(crc32(0L, Z_NULL, 0), data)); }

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

// The whole file in one allocation of its size, without zero-filling it
// first (read() writes every byte kept).
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

std::string_view BytesOf(const std::string& blob) { return blob; }
std::string_view BytesOf(const StateFile::BlobRef& blob) { return blob.bytes(); }

// The file as pieces in order: header, payload (the blob count, then per
// blob its key and its length, then the blob itself), CRC. The blobs are
// referenced, not copied: a million tracked messages make a 50 MB blob, and
// every copy of it cost a fresh allocation's page faults (a save took 1.3 s
// with two copies on this machine class).
class FilePieces {
 public:
  // `blobs`: (key, blob) in key order.
  template <typename Blobs>
  explicit FilePieces(const Blobs& blobs) {
    BinaryWriter count;
    count.U64(blobs.size());
    prefixes_.push_back(std::move(count.data()));
    for (const auto& [key, blob] : blobs) {
      BinaryWriter prefix;
      prefix.Str(key);
      prefix.U64(BytesOf(blob).size());  // BinaryWriter::Str's length; the blob's bytes follow
      prefixes_.push_back(std::move(prefix.data()));
    }
    payload_.push_back(prefixes_[0]);
    size_t i = 1;
    for (const auto& [key, blob] : blobs) {
      payload_.push_back(prefixes_[i++]);
      payload_.push_back(BytesOf(blob));
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    size_t size = 0;
    for (std::string_view piece : payload_) {
      size += piece.size();
      crc = Crc(crc, piece);
    }
    header_ = std::string(kMagic);
    PutU32(header_, StateFile::kFormatVersion);
    PutU64(header_, size);
    PutU32(trailer_, static_cast<std::uint32_t>(crc));
  }

  template <typename Write>
  bool ForEach(Write write) const {
    if (!write(header_)) return false;
    for (std::string_view piece : payload_) {
      if (!write(piece)) return false;
    }
    return write(trailer_);
  }

 private:
  std::vector<std::string> prefixes_;  // built whole before payload_ points into them
  std::vector<std::string_view> payload_;
  std::string header_, trailer_;
};

}  // namespace

std::string StateFile::Encode(const Blobs& blobs) {
  std::string out;
  FilePieces(blobs).ForEach([&](std::string_view piece) {
    out += piece;
    return true;
  });
  return out;
}

Result<StateFile::Blobs> StateFile::Decode(std::string_view bytes) {
  Result<BlobViews> views = DecodeViews(bytes);
  if (!views) return std::unexpected(views.error());
  Blobs blobs;
  for (const auto& [key, blob] : *views) blobs.emplace(key, std::string(blob));
  return blobs;
}

Result<StateFile::BlobViews> StateFile::DecodeViews(std::string_view bytes) {
  constexpr size_t kHeader = 8 + 4 + 8;
  if (bytes.size() < kHeader + 4 || bytes.substr(0, 8) != kMagic) return Fail("not a state file of this exporter");
  const auto version = static_cast<std::uint32_t>(GetLE(bytes, 8, 4));
  if (version != kFormatVersion) {
    return Fail("state file format version " + std::to_string(version) + " is not supported (expected " + std::to_string(kFormatVersion) + ")");
  }
  const std::uint64_t length = GetLE(bytes, 12, 8);
  if (length != bytes.size() - kHeader - 4) return Fail("state file is truncated or has trailing bytes");
  const std::string_view payload = bytes.substr(kHeader, length);
  if (Crc(payload) != static_cast<std::uint32_t>(GetLE(bytes, kHeader + length, 4))) return Fail("state file checksum mismatch (corrupt)");
  BlobViews blobs;
  BinaryReader reader(payload);
  std::uint64_t count = 0;
  reader.Count(&count);
  for (std::uint64_t i = 0; i < count && reader.ok(); ++i) {
    std::string key;
    std::string_view blob;
    if (!reader.Str(&key) || !reader.View(&blob)) break;
    if (!blobs.empty() && key <= blobs.back().first) return Fail("state file payload is malformed");  // written in key order, once each
    blobs.emplace_back(std::move(key), blob);
  }
  if (!reader.ok() || !reader.at_end()) return Fail("state file payload is malformed");
  return blobs;
}

Result<void> StateFile::Load() {
  std::lock_guard lock(mutex_);
  blobs_.clear();
  if (::access(path_.c_str(), F_OK) != 0 && errno == ENOENT) return {};  // a fresh start
  Result<std::string> read = ReadWholeFile(path_);
  if (!read) return Fail("cannot read state file " + path_ + ": " + read.error().message);
  const auto bytes = std::make_shared<const std::string>(std::move(*read));
  const Result<BlobViews> decoded = DecodeViews(*bytes);
  if (decoded) {
    for (const auto& [key, blob] : *decoded) blobs_.emplace(key, BlobRef(bytes, blob));
    loaded_ = bytes;
    return {};
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string aside = path_ + ".corrupt-" + std::to_string(now);
  std::error_code ec;
  std::filesystem::rename(path_, aside, ec);
  return Fail(path_ + ": " + decoded.error().message + "; moved aside to " + aside + " and starting fresh");
}

StateFile::BlobRef StateFile::Blob(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = blobs_.find(key);
  return it == blobs_.end() ? BlobRef() : it->second;
}

Result<void> StateFile::Save(const std::string& key, std::string blob) {
  auto owned = std::make_shared<const std::string>(std::move(blob));
  std::lock_guard lock(mutex_);
  blobs_[key] = BlobRef(owned, *owned);
  ReleaseLoadedLocked();
  return WriteLocked();
}

Result<void> StateFile::Remove(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (blobs_.erase(key) == 0) return {};
  ReleaseLoadedLocked();
  return WriteLocked();
}

// At the first write the accounts that have not saved their own blob yet
// (idle ones, failing ones, ones no longer configured) get a copy of it, so
// the whole file as loaded is not held next to what replaced it.
void StateFile::ReleaseLoadedLocked() {
  if (!loaded_) return;
  for (auto& [key, blob] : blobs_) {
    if (blob.SharesOwner(loaded_)) {
      auto copy = std::make_shared<const std::string>(blob.bytes());
      blob = BlobRef(copy, *copy);
    }
  }
  loaded_.reset();
}

Result<void> StateFile::WriteLocked() {
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("cannot write state file " + tmp + ": " + std::strerror(errno));
  const bool written = FilePieces(blobs_).ForEach([&](std::string_view piece) { return WriteAll(fd, piece); }) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) return Fail("cannot write state file " + tmp + ": " + std::strerror(saved_errno));
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return Fail("cannot replace state file " + path_ + ": " + std::strerror(errno));
  const std::string dir = std::filesystem::path(path_).parent_path().empty() ? "." : std::filesystem::path(path_).parent_path().string();
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // makes the rename itself durable
    ::close(dfd);
  }
  return {};
}

}  // namespace ele
