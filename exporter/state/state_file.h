// The state file: every account's counters, watermark and per-message state,
// so that a restart continues every counter and counts no message again.
//
// Two files, as a write-ahead log and its checkpoint:
// - PATH, the snapshot: "ELESTATE", format version (u32 LE), payload length
//   (u64 LE), payload, CRC-32 of the payload (u32 LE). The payload holds one
//   opaque blob per account key ("jetemail/main"; collectors encode their
//   own blobs) and the snapshot's generation. Written to PATH.tmp, fsync'ed
//   and renamed over PATH, so a crash leaves the old or the new snapshot.
// - PATH.journal (state_journal.h): each save since the snapshot, as what
//   changed in that account's blob (blob_delta.h), fsync'ed before the save
//   returns. A save of a large state that changed a little writes a little.
// When the journal outgrows the snapshot, a new snapshot (the next
// generation) is written, then a fresh journal. A journal of an older
// generation than the snapshot is ignored: a crash between the two left it,
// and the snapshot already holds all of it; so is one whose snapshot was
// rewritten since (its header names the snapshot's CRC). Files of the earlier,
// snapshot-only layout load as generation 0 and convert at the first save.
// Thread-safe: workers save their own account's blob concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/base/error.h"
#include "exporter/state/blob_delta.h"
#include "exporter/state/state_journal.h"

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
  // Replaces one account's blob: durable when it returns. Refused for good
  // when Load could not read the files (as opposed to finding them corrupt).
  Result<void> Save(const std::string& key, std::string blob);
  Result<void> Remove(const std::string& key);
  // Writes a new snapshot and starts an empty journal (saves do this
  // themselves when the journal grows past the snapshot's size).
  Result<void> Compact();
  // A compaction that failed after a save had succeeded; said once.
  std::optional<Error> TakeCompactionError();
  const std::string& path() const { return path_; }

  struct Sizes {
    std::uint64_t generation = 0, snapshot_bytes = 0, journal_bytes = 0, journal_records = 0;
    std::uint64_t bytes_written = 0;  // since Load(), snapshots and journal records together
  };
  Sizes sizes() const;

  // Pure encoding, exposed for tests and the fuzzer.
  static std::string Encode(const Blobs& blobs);
  static Result<Blobs> Decode(std::string_view bytes);

 private:
  // (key, blob) pairs in key order; the blobs are views into `bytes`.
  using BlobViews = std::vector<std::pair<std::string, std::string_view>>;
  static Result<BlobViews> DecodeViews(std::string_view bytes);
  struct Entry {
    BlobRef blob;
    std::optional<ChunkIndex> chunks;  // of `blob`, built at its first save
  };
  Result<void> LoadSnapshotLocked();
  Result<void> LoadJournalLocked();
  bool ApplyJournalLocked(const StateJournal::Contents& journal, std::uint64_t* valid_bytes);
  Result<void> AppendLocked(const std::string& key, std::string_view delta, bool remove);
  Result<void> CompactLocked();
  void ReleaseLoadedLocked();
  std::string journal_path() const { return path_ + ".journal"; }

  std::string path_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> blobs_;
  std::shared_ptr<const std::string> loaded_;  // the snapshot as read, until the first write
  StateJournal::Snapshot snapshot_;  // the snapshot on disk: the journal must follow it
  std::uint64_t snapshot_bytes_ = 0, bytes_written_ = 0;
  // Set when the files could not be read at Load: writing would lose them.
  std::optional<Error> unwritable_;
  std::optional<StateJournal> journal_;  // none: the next save compacts first
  std::optional<Error> compaction_error_;
};

}  // namespace ele
