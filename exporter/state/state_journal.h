// The state file's journal, PATH.journal: what changed since the snapshot
// (PATH) was written, one record per save, each fsync'ed before the save
// returns. Layout: "ELEJRNL2", the snapshot it follows (its generation, u64
// LE, and the CRC-32 of its payload, u32 LE: a snapshot rewritten by other
// means, say an older release, does not take a journal that is not its
// own), then records: payload length (u32 LE, never 0), CRC-32 of the
// payload (u32 LE), payload. A record cut short by a crash fails its length
// or its CRC and is dropped; the file is cut back there before the next
// append, so later records are never written after garbage.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/base/error.h"

namespace ele {

class StateJournal {
 public:
  struct Snapshot {
    std::uint64_t generation = 0;
    std::uint32_t crc = 0;
    bool operator==(const Snapshot&) const = default;
  };
  struct Contents {
    Snapshot snapshot;
    std::shared_ptr<const std::string> bytes;  // the file as read; records point into it
    std::vector<std::string_view> records;     // the whole ones, in order
    std::uint64_t valid_bytes = 0;             // header and whole records
    bool damaged = false;  // a bad record with more bytes after it: not a torn tail
  };
  // The journal at `path`; nullopt when there is none or it is not one (a
  // header cut short by a crash while it was created).
  static Result<std::optional<Contents>> Read(const std::string& path);
  // A new, empty journal after snapshot `generation`, written beside and
  // renamed over `path`, so a crash leaves the old journal or the new one.
  static Result<StateJournal> Create(const std::string& path, Snapshot snapshot);
  // The journal read by Read(), to append to after its last whole record.
  static Result<StateJournal> Reopen(const std::string& path, std::uint64_t valid_bytes);

  StateJournal(StateJournal&& other) noexcept;
  StateJournal& operator=(StateJournal&& other) noexcept;
  ~StateJournal();

  // Writes one record and fsyncs it; on failure the file is cut back to
  // its last whole record (or the error says it could not be).
  Result<void> Append(std::string_view payload);
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t records() const { return records_; }
  // A failed append that could not be cut back: nothing more may be appended.
  bool broken() const { return broken_; }

 private:
  StateJournal(int fd, std::uint64_t bytes, std::string path) : fd_(fd), bytes_(bytes), path_(std::move(path)) {}
  int fd_ = -1;
  std::uint64_t bytes_ = 0, records_ = 0;
  bool broken_ = false;
  std::string path_;
};

}  // namespace ele
