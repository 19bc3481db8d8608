#include "exporter/state/state_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exporter/state/binary_codec.h"

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

std::uint32_t Crc(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large payloads in chunks.
  for (size_t at = 0; at < data.size(); at += 1u << 30) {
    const size_t n = std::min<size_t>(data.size() - at, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(n));
  }
  return static_cast<std::uint32_t>(crc);
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

}  // namespace

std::string StateFile::Encode(const std::map<std::string, std::string>& blobs) {
  BinaryWriter payload;
  payload.U64(blobs.size());
  for (const auto& [key, blob] : blobs) {
    payload.Str(key);
    payload.Str(blob);
  }
  std::string out(kMagic);
  PutU32(out, kFormatVersion);
  PutU64(out, payload.data().size());
  out += payload.data();
  PutU32(out, Crc(payload.data()));
  return out;
}

Result<StateFile::Blobs> StateFile::Decode(std::string_view bytes) {
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
  Blobs blobs;
  BinaryReader reader(payload);
  std::uint64_t count = 0;
  reader.Count(&count);
  for (std::uint64_t i = 0; i < count && reader.ok(); ++i) {
    std::string key, blob;
    if (reader.Str(&key) && reader.Str(&blob)) blobs[key] = std::move(blob);
  }
  if (!reader.ok() || !reader.at_end()) return Fail("state file payload is malformed");
  return blobs;
}

Result<void> StateFile::Load() {
  std::lock_guard lock(mutex_);
  blobs_.clear();
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return {};
    return Fail("cannot read state file " + path_ + ": " + std::strerror(errno));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  Result<Blobs> decoded = Decode(buffer.str());
  if (decoded) {
    blobs_ = std::move(*decoded);
    return {};
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string aside = path_ + ".corrupt-" + std::to_string(now);
  std::error_code ec;
  std::filesystem::rename(path_, aside, ec);
  return Fail(path_ + ": " + decoded.error().message + "; moved aside to " + aside + " and starting fresh");
}

std::string StateFile::Blob(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = blobs_.find(key);
  return it == blobs_.end() ? "" : it->second;
}

Result<void> StateFile::Save(const std::string& key, std::string blob) {
  std::lock_guard lock(mutex_);
  blobs_[key] = std::move(blob);
  return WriteLocked();
}

Result<void> StateFile::Remove(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (blobs_.erase(key) == 0) return {};
  return WriteLocked();
}

Result<void> StateFile::WriteLocked() {
  const std::string bytes = Encode(blobs_);
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("cannot write state file " + tmp + ": " + std::strerror(errno));
  const bool written = WriteAll(fd, bytes) && ::fsync(fd) == 0;
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
