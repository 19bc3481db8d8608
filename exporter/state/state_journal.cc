#include "exporter/state/state_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "exporter/state/durable_file.h"
#include "exporter/state/file_integers.h"

namespace ele {
namespace {

constexpr std::string_view kMagic = "ELEJRNL2";
constexpr size_t kHeader = 8 + 8 + 4;
constexpr size_t kRecordHeader = 4 + 4;

}  // namespace

Result<std::optional<StateJournal::Contents>> StateJournal::Read(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::nullopt;
  Result<std::string> read = ReadWholeFile(path);
  if (!read) return Fail("cannot read state journal " + path + ": " + read.error().message);
  Contents contents;
  contents.bytes = std::make_shared<const std::string>(std::move(*read));
  const std::string_view bytes = *contents.bytes;
  if (bytes.size() < kHeader || bytes.substr(0, 8) != kMagic) return std::nullopt;
  contents.snapshot = {GetLE(bytes, 8, 8), static_cast<std::uint32_t>(GetLE(bytes, 16, 4))};
  size_t at = kHeader;
  while (bytes.size() - at >= kRecordHeader) {
    const std::uint64_t length = GetLE(bytes, at, 4);
    // A tail that reads back as zeros (a size made durable before its data)
    // would pass as an empty record: none is ever written.
    if (length == 0 || length > bytes.size() - at - kRecordHeader) break;  // cut short
    const std::string_view payload = bytes.substr(at + kRecordHeader, length);
    if (Crc(payload) != GetLE(bytes, at + 4, 4)) {
      contents.damaged = at + kRecordHeader + length < bytes.size();  // whole, yet wrong, and not the last
      break;
    }
    contents.records.push_back(payload);
    at += kRecordHeader + length;
  }
  contents.valid_bytes = at;
  return contents;
}

Result<StateJournal> StateJournal::Create(const std::string& path, Snapshot snapshot) {
  std::string header(kMagic);
  PutLE(header, snapshot.generation, 8);
  PutLE(header, snapshot.crc, 4);
  if (auto written = WriteFileDurably(path, {header}); !written) return std::unexpected(written.error());
  return Reopen(path, header.size());
}

Result<StateJournal> StateJournal::Reopen(const std::string& path, std::uint64_t valid_bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Fail("cannot open state journal " + path + ": " + std::strerror(errno));
  // A torn record at the end is cut off: what is appended next must follow
  // the last whole record, or recovery would stop before it.
  if (::ftruncate(fd, static_cast<off_t>(valid_bytes)) != 0 || ::lseek(fd, 0, SEEK_END) < 0) {
    const int saved = errno;
    ::close(fd);
    return Fail("cannot open state journal " + path + ": " + std::strerror(saved));
  }
  return StateJournal(fd, valid_bytes, path);
}

StateJournal::StateJournal(StateJournal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), bytes_(other.bytes_), records_(other.records_), broken_(other.broken_), path_(std::move(other.path_)) {}

StateJournal& StateJournal::operator=(StateJournal&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    bytes_ = other.bytes_;
    records_ = other.records_;
    broken_ = other.broken_;
    path_ = std::move(other.path_);
  }
  return *this;
}

StateJournal::~StateJournal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> StateJournal::Append(std::string_view payload) {
  if (payload.size() > 0xFFFF'FFFFu) return Fail("state journal record of " + std::to_string(payload.size()) + " bytes is too large");
  std::string header;
  PutLE(header, payload.size(), 4);
  PutLE(header, Crc(payload), 4);
  if (WriteAll(fd_, header) && WriteAll(fd_, payload) && ::fdatasync(fd_) == 0) {
    bytes_ += header.size() + payload.size();
    ++records_;
    return {};
  }
  const std::string error = std::strerror(errno);
  if (::ftruncate(fd_, static_cast<off_t>(bytes_)) != 0 || ::lseek(fd_, 0, SEEK_END) < 0) {
    broken_ = true;
    return Fail("cannot write state journal " + path_ + ": " + error + " (and cannot cut it back: " + std::strerror(errno) + ")");
  }
  return Fail("cannot write state journal " + path_ + ": " + error);
}

}  // namespace ele
