// The state file: every account's counters, watermark and per-message state,
// so that a restart continues every counter and counts no message again.
//
// Layout: "ELESTATE", format version (u32 LE), payload length (u64 LE),
// payload, CRC-32 of the payload (u32 LE). The payload holds one opaque blob
// per account key ("jetemail/main"); collectors encode their own blobs.
// Writes go to PATH.tmp, are fsync'ed, then renamed over PATH (and the
// directory fsync'ed), so a crash leaves either the old or the new file.
// Thread-safe: workers save their own account's blob concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "exporter/base/error.h"

namespace ele {

class StateFile {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;
  using Blobs = std::map<std::string, std::string>;  // by account key

  explicit StateFile(std::string path) : path_(std::move(path)) {}

  // Reads the file into memory. A missing file is a fresh start. A corrupt,
  // truncated or foreign file is moved aside to PATH.corrupt-UNIXTIME, the
  // error is returned once, and the exporter starts fresh.
  Result<void> Load();
  std::string Blob(const std::string& key) const;  // "" when there is none
  // Replaces one account's blob and rewrites the file.
  Result<void> Save(const std::string& key, std::string blob);
  Result<void> Remove(const std::string& key);
  const std::string& path() const { return path_; }

  // Pure encoding, exposed for tests and the fuzzer.
  static std::string Encode(const Blobs& blobs);
  static Result<Blobs> Decode(std::string_view bytes);

 private:
  Result<void> WriteLocked();

  std::string path_;
  mutable std::mutex mutex_;
  Blobs blobs_;
};

}  // namespace ele
