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
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/base/error.h"

namespace ele {

class StateFile {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;
  using Blobs = std::map<std::string, std::string>;  // by account key

  // An account's blob, without a copy: a view into the file as loaded or
  // into what was saved, kept alive as long as the reference is (a blob of
  // a million messages is 50 MB, and each copy of it cost a load tens of
  // milliseconds of page faults).
  class BlobRef {
   public:
    BlobRef() = default;
    BlobRef(std::shared_ptr<const std::string> owner, std::string_view bytes) : owner_(std::move(owner)), bytes_(bytes) {}
    std::string_view bytes() const { return bytes_; }
    bool empty() const { return bytes_.empty(); }
    bool SharesOwner(const std::shared_ptr<const std::string>& owner) const { return owner_ == owner; }

   private:
    std::shared_ptr<const std::string> owner_;
    std::string_view bytes_;
  };

  explicit StateFile(std::string path) : path_(std::move(path)) {}

  // Reads the file into memory. A missing file is a fresh start. A corrupt,
  // truncated or foreign file is moved aside to PATH.corrupt-UNIXTIME, the
  // error is returned once, and the exporter starts fresh.
  Result<void> Load();
  BlobRef Blob(const std::string& key) const;  // empty when there is none
  // Replaces one account's blob and rewrites the file.
  Result<void> Save(const std::string& key, std::string blob);
  Result<void> Remove(const std::string& key);
  const std::string& path() const { return path_; }

  // Pure encoding, exposed for tests and the fuzzer.
  static std::string Encode(const Blobs& blobs);
  static Result<Blobs> Decode(std::string_view bytes);

 private:
  // (key, blob) pairs in key order; the blobs are views into `bytes`.
  using BlobViews = std::vector<std::pair<std::string, std::string_view>>;
  static Result<BlobViews> DecodeViews(std::string_view bytes);
  Result<void> WriteLocked();
  void ReleaseLoadedLocked();

  std::string path_;
  mutable std::mutex mutex_;
  std::map<std::string, BlobRef> blobs_;
  std::shared_ptr<const std::string> loaded_;  // the file as read, until the first write
};

}  // namespace ele
