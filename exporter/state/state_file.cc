#include "exporter/state/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <set>
#include <vector>

#include "exporter/state/binary_codec.h"
#include "exporter/state/durable_file.h"
#include "exporter/state/file_integers.h"
#include "exporter/state/huge_pages.h"

namespace ele {
namespace {

constexpr std::string_view kMagic = "ELESTATE";

// The snapshot's generation, stored as a blob of its own: it sorts before
// every account key, and an exporter of the earlier layout ignores it.
const std::string kGenerationKey = "\x01generation";
enum RecordOp : std::uint64_t { kDelta = 0, kRemove = 1 };

std::string_view BytesOf(std::string_view blob) { return blob; }
std::string_view BytesOf(const std::string& blob) { return blob; }

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
    PutLE(header_, StateFile::kFormatVersion, 4);
    PutLE(header_, size, 8);
    PutLE(trailer_, crc, 4);
    crc_ = static_cast<std::uint32_t>(crc);
  }

  std::uint32_t crc() const { return crc_; }

  std::vector<std::string_view> All() const {
    std::vector<std::string_view> all = {header_};
    all.insert(all.end(), payload_.begin(), payload_.end());
    all.push_back(trailer_);
    return all;
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
  std::uint32_t crc_ = 0;
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
  loaded_.reset();
  journal_.reset();
  unwritable_.reset();
  snapshot_ = {};
  snapshot_bytes_ = bytes_written_ = 0;
  if (auto snapshot = LoadSnapshotLocked(); !snapshot) return snapshot;
  try {
    return LoadJournalLocked();
  } catch (const std::exception& e) {  // bad_alloc on a damaged journal's sizes
    unwritable_ = Error{"cannot replay " + journal_path() + ": " + e.what()};
    return std::unexpected(*unwritable_);
  }
}

// A missing snapshot is a fresh start (or a journal of generation 0 alone).
// A corrupt, truncated or foreign one is moved aside with its journal.
Result<void> StateFile::LoadSnapshotLocked() {
  if (::access(path_.c_str(), F_OK) != 0 && errno == ENOENT) return {};
  Result<std::string> read = ReadWholeFile(path_);
  if (!read) {
    // Not the file's fault: writing over it would lose what it holds.
    unwritable_ = Error{"cannot read state file " + path_ + ": " + read.error().message};
    return std::unexpected(*unwritable_);
  }
  const auto bytes = std::make_shared<const std::string>(std::move(*read));
  const Result<BlobViews> decoded = DecodeViews(*bytes);
  if (decoded) {
    for (const auto& [key, blob] : *decoded) {
      if (key == kGenerationKey && blob.size() == 8) snapshot_.generation = GetLE(blob, 0, 8);
      if (key != kGenerationKey) blobs_[key].blob = BlobRef(bytes, blob);
    }
    snapshot_.crc = static_cast<std::uint32_t>(GetLE(*bytes, bytes->size() - 4, 4));
    loaded_ = bytes;
    snapshot_bytes_ = bytes->size();
    return {};
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string aside = path_ + ".corrupt-" + std::to_string(now);
  std::error_code ec;
  std::filesystem::rename(path_, aside, ec);
  std::filesystem::rename(journal_path(), aside + ".journal", ec);
  return Fail(path_ + ": " + decoded.error().message + "; moved aside to " + aside + " and starting fresh");
}

Result<void> StateFile::LoadJournalLocked() {
  const Result<std::optional<StateJournal::Contents>> read = StateJournal::Read(journal_path());
  if (!read) {
    unwritable_ = read.error();
    return std::unexpected(read.error());
  }
  // None, or not this snapshot's: one of an older generation (a crash
  // between a compaction's two writes; the snapshot holds it), or of a
  // snapshot rewritten since. The next save starts a new journal.
  if (!*read || (*read)->snapshot != snapshot_) {
    if (*read && (*read)->snapshot.generation > snapshot_.generation) {
      return Fail(journal_path() + " follows a newer snapshot than " + path_ + " (the snapshot's rename was lost); its saves are dropped");
    }
    return {};
  }
  std::uint64_t valid_bytes = (*read)->valid_bytes;
  const bool replayed = ApplyJournalLocked(**read, &valid_bytes);
  Result<StateJournal> reopened = StateJournal::Reopen(journal_path(), valid_bytes);
  if (!reopened) {
    unwritable_ = reopened.error();
    return std::unexpected(reopened.error());
  }
  journal_ = std::move(*reopened);
  if (!replayed || (*read)->damaged) return Fail(journal_path() + " has a damaged record; the saves after it are lost");
  return {};
}

// Replays each record on the blob it names. A record whose CRC holds but
// whose content does not parse or apply ends the journal there (false).
bool StateFile::ApplyJournalLocked(const StateJournal::Contents& journal, std::uint64_t* valid_bytes) {
  std::map<std::string, BlobRebuilder> rebuilt;
  std::set<std::string> removed;
  bool all = true;
  for (std::string_view record : journal.records) {
    BinaryReader in(record);
    std::string key;
    std::uint64_t op = 0;
    std::string_view delta;
    const bool parsed = in.Str(&key) && !key.empty() && key != kGenerationKey && in.U64(&op) &&
                        (op == kRemove || (op == kDelta && in.View(&delta))) && in.at_end();
    if (parsed && op == kRemove) {
      rebuilt.erase(key);
      removed.insert(key);
      continue;
    }
    auto it = parsed ? rebuilt.find(key) : rebuilt.end();
    if (parsed && it == rebuilt.end()) {
      const auto found = blobs_.find(key);
      const std::string_view base = found == blobs_.end() || removed.contains(key) ? std::string_view() : found->second.blob.bytes();
      it = rebuilt.emplace(key, BlobRebuilder(base)).first;
    }
    if (!parsed || !it->second.Apply(delta)) {
      *valid_bytes = static_cast<std::uint64_t>(record.data() - journal.bytes->data()) - 8;  // before its length and CRC
      all = false;
      break;
    }
    removed.erase(key);
  }
  for (const std::string& key : removed) blobs_.erase(key);
  for (const auto& [key, rebuilder] : rebuilt) {
    auto owned = std::make_shared<const std::string>(rebuilder.Materialize());
    blobs_[key] = Entry{BlobRef(owned, *owned), std::nullopt};
  }
  return all;
}

StateFile::BlobRef StateFile::Blob(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = blobs_.find(key);
  return it == blobs_.end() ? BlobRef() : it->second.blob;
}

Result<void> StateFile::Save(const std::string& key, std::string blob) {
  auto owned = std::make_shared<const std::string>(std::move(blob));
  std::lock_guard lock(mutex_);
  if (unwritable_) return Fail("state not saved: " + unwritable_->message + " (at start; fix it and restart)");
  if (!journal_ || journal_->broken()) {
    if (auto compacted = CompactLocked(); !compacted) return compacted;
  }
  const auto found = blobs_.find(key);
  const std::string_view previous = found == blobs_.end() ? std::string_view() : found->second.blob.bytes();
  ChunkIndex previous_chunks = found != blobs_.end() && found->second.chunks ? std::move(*found->second.chunks) : ChunkIndex::Of(previous);
  ChunkIndex next_chunks;
  const std::string delta = EncodeDelta(previous, previous_chunks, *owned, &next_chunks);
  if (auto appended = AppendLocked(key, delta, false); !appended) {
    if (found != blobs_.end()) found->second.chunks = std::move(previous_chunks);
    return appended;
  }
  blobs_[key] = Entry{BlobRef(owned, *owned), std::move(next_chunks)};
  ReleaseLoadedLocked();
  // Compacting when the journal outgrows the snapshot writes at most twice
  // what changed, whatever the size of the state, and keeps a recovery's
  // reading within twice the snapshot.
  if (journal_->bytes() > snapshot_bytes_) {
    // The save itself is durable: a failed compaction is reported apart
    // and tried again at the next save.
    if (auto compacted = CompactLocked(); !compacted) compaction_error_ = compacted.error();
  }
  return {};
}

// When the removal cannot be journaled, the next save compacts without the
// key instead, so it is not kept for good.
Result<void> StateFile::Remove(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (unwritable_ || !blobs_.contains(key)) return {};
  Result<void> removed = journal_ && !journal_->broken() ? AppendLocked(key, {}, true) : Fail("no journal");
  blobs_.erase(key);
  ReleaseLoadedLocked();
  if (!removed) journal_.reset();
  return {};
}

Result<void> StateFile::AppendLocked(const std::string& key, std::string_view delta, bool remove) {
  BinaryWriter record;
  record.Str(key);
  record.U64(remove ? kRemove : kDelta);
  if (!remove) record.Str(delta);
  const std::uint64_t before = journal_->bytes();
  Result<void> appended = journal_->Append(record.data());
  bytes_written_ += journal_->bytes() - before;
  return appended;
}

Result<void> StateFile::Compact() {
  std::lock_guard lock(mutex_);
  return CompactLocked();
}

// The next generation's snapshot, then its empty journal. A crash between
// the two leaves the new snapshot with the old journal, which is then
// ignored (older generation); one before the rename leaves the old pair.
Result<void> StateFile::CompactLocked() {
  const std::uint64_t next = snapshot_.generation + 1;
  std::string generation;
  PutLE(generation, next, 8);
  std::vector<std::pair<std::string, std::string_view>> blobs = {{kGenerationKey, generation}};
  for (const auto& [key, entry] : blobs_) blobs.emplace_back(key, entry.blob.bytes());
  std::sort(blobs.begin(), blobs.end());  // the file is in key order
  const FilePieces pieces(blobs);
  const std::vector<std::string_view> all = pieces.All();
  if (auto written = WriteFileDurably(path_, all); !written) return Fail("cannot write state file: " + written.error().message);
  snapshot_ = {next, pieces.crc()};
  snapshot_bytes_ = 0;
  for (std::string_view piece : all) snapshot_bytes_ += piece.size();
  bytes_written_ += snapshot_bytes_;
  journal_.reset();
  Result<StateJournal> created = StateJournal::Create(journal_path(), snapshot_);
  if (!created) return std::unexpected(created.error());
  journal_ = std::move(*created);
  ReleaseLoadedLocked();
  return {};
}

std::optional<Error> StateFile::TakeCompactionError() {
  std::lock_guard lock(mutex_);
  return std::exchange(compaction_error_, std::nullopt);
}

StateFile::Sizes StateFile::sizes() const {
  std::lock_guard lock(mutex_);
  return Sizes{snapshot_.generation, snapshot_bytes_, journal_ ? journal_->bytes() : 0, journal_ ? journal_->records() : 0, bytes_written_};
}

// At the first write the accounts that have not saved their own blob yet
// (idle ones, failing ones, ones no longer configured) get a copy of it, so
// the whole file as loaded is not held next to what replaced it.
void StateFile::ReleaseLoadedLocked() {
  if (!loaded_) return;
  for (auto& [key, entry] : blobs_) {
    if (entry.blob.SharesOwner(loaded_)) {
      auto copy = std::make_shared<const std::string>(entry.blob.bytes());
      entry.blob = BlobRef(copy, *copy);
    }
  }
  loaded_.reset();
}

}  // namespace ele
