// The storage both providers' states keep their tracked messages in: rows
// in one dense vector, found through an open-addressing index of 4-byte
// slots, keyed by a 128-bit message key. A million tracked messages cost a
// row each plus 5-10 bytes of index, instead of a string key, a heap node and
// a bucket pointer each (372 bytes a JetEmail message and 220 a Mailtrap
// message before, measured by memory_bench).
//
// Also here: IdRuns, the per-message lists of 64-bit ids (JetEmail action
// ids, Mailtrap event keys) kept in one vector beside the rows.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <string_view>
#include <vector>

#include "exporter/state/huge_pages.h"

namespace ele {

using MessageKey = std::array<std::uint64_t, 2>;

// A message id as two independent 64-bit hashes (libstdc++'s Murmur-based
// one, two seeds). Two ids share a key with a probability of about
// n^2 / 2^129 (1e-27 for a million messages).
inline MessageKey HashedKey(std::string_view id) {
  return {std::_Hash_bytes(id.data(), id.size(), 0xc70f6907UL), std::_Hash_bytes(id.data(), id.size(), 0x9e3779b97f4a7c15UL)};
}

inline std::uint32_t Saturate32(std::int64_t v) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, std::numeric_limits<std::uint32_t>::max()));
}

// `Row` is a trivially copyable struct with a `MessageKey key` member.
// Rows are in no particular order; a reference to one stays valid until the
// next insert or the next RemoveIf that drops something. Not thread-safe.
template <typename Row>
class MessageTable {
 public:
  // The row for `key`; a new one is value-initialized but for its key.
  Row& FindOrInsert(const MessageKey& key, bool* is_new) {
    // At most 80% full, so a probe run stays short.
    if ((rows_.size() + 1) * 5 > index_.size() * 4) RebuildIndex(std::max<size_t>(16, index_.size() * 2));
    size_t slot = Home(key);
    for (; index_[slot] != kNoSlot; slot = Next(slot)) {
      if (rows_[index_[slot]].key == key) {
        *is_new = false;
        return rows_[index_[slot]];
      }
    }
    *is_new = true;
    index_[slot] = static_cast<std::uint32_t>(rows_.size());
    Row& added = rows_.emplace_back();
    added.key = key;
    return added;
  }

  Row* Find(const MessageKey& key) {
    if (index_.empty()) return nullptr;
    for (size_t slot = Home(key); index_[slot] != kNoSlot; slot = Next(slot)) {
      if (rows_[index_[slot]].key == key) return &rows_[index_[slot]];
    }
    return nullptr;
  }

  // Calls `drop(row)` once for every row, in storage order, and removes the
  // rows it returns true for. `drop` may change the rows it keeps (but not
  // their keys). When nothing is dropped no row moves.
  template <typename Drop>
  void RemoveIf(Drop drop) {
    size_t kept = 0;
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (drop(rows_[i])) continue;
      if (kept != i) rows_[kept] = rows_[i];
      ++kept;
    }
    if (kept == rows_.size()) return;  // positions unchanged: the index still holds
    rows_.resize(kept);
    Reindex();
  }

  // Decoding: Reserve(), Append() each row, then Reindex() once. False when
  // two rows share a key.
  void Reserve(size_t rows) { ReserveWithHugePages(rows_, rows); }
  Row& Append() { return rows_.emplace_back(); }
  bool Reindex() {
    size_t capacity = 16;
    while (rows_.size() * 5 >= capacity * 4) capacity *= 2;
    return RebuildIndex(capacity);
  }

  size_t size() const { return rows_.size(); }
  auto begin() { return rows_.begin(); }
  auto end() { return rows_.end(); }
  auto begin() const { return rows_.begin(); }
  auto end() const { return rows_.end(); }

 private:
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();

  // Keys are hashes or random UUIDs, but a time-ordered UUID (v1, v7) keeps
  // its randomness in a few bits: mixing both halves spreads those too.
  size_t Home(const MessageKey& key) const { return ((key[0] ^ key[1]) * 0x9E3779B97F4A7C15ULL >> 32) & (index_.size() - 1); }
  size_t Next(size_t slot) const { return (slot + 1) & (index_.size() - 1); }

  bool RebuildIndex(size_t capacity) {
    index_.clear();
    ReserveWithHugePages(index_, capacity);
    index_.assign(capacity, kNoSlot);
    for (size_t i = 0; i < rows_.size(); ++i) {
      size_t slot = Home(rows_[i].key);
      for (; index_[slot] != kNoSlot; slot = Next(slot)) {
        if (rows_[index_[slot]].key == rows_[i].key) return false;
      }
      index_[slot] = static_cast<std::uint32_t>(i);
    }
    return true;
  }

  std::vector<Row> rows_;
  std::vector<std::uint32_t> index_;  // row positions by Home(key), linear probing
};

// For collection.max_tracked_messages: by storage position, whether each
// row is one of the `count` oldest by `age(row)` (a RemoveIf's drop list).
template <typename Row, typename Age>
std::vector<bool> OldestRows(const MessageTable<Row>& table, size_t count, Age age) {
  std::vector<std::pair<std::int64_t, size_t>> by_age;
  by_age.reserve(table.size());
  for (const Row& row : table) by_age.emplace_back(age(row), by_age.size());
  count = std::min(count, by_age.size());
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<long>(count), by_age.end());
  std::vector<bool> oldest(by_age.size(), false);
  for (size_t i = 0; i < count; ++i) oldest[by_age[i].second] = true;
  return oldest;
}

// Runs of 64-bit ids, one run per message, in one vector: 8 bytes an id
// instead of a std::vector (24 bytes plus a heap block) in every row. A row
// holds where its run starts and how long it is. A run that grows after
// other runs were added moves to the end; the old copy is garbage until the
// owner repacks (on eviction, or when WantsRepack()).
class IdRuns {
 public:
  std::span<const std::uint64_t> Run(std::uint32_t at, std::uint32_t count) const { return {ids_.data() + at, count}; }
  bool Contains(std::uint32_t at, std::uint32_t count, std::uint64_t id) const {
    const auto run = Run(at, count);
    return std::find(run.begin(), run.end(), id) != run.end();
  }
  std::uint32_t end() const { return static_cast<std::uint32_t>(ids_.size()); }  // where a new, empty run starts
  size_t size() const { return ids_.size(); }

  // Appends `id` to the run [at, at + count); returns where the run starts now.
  std::uint32_t Append(std::uint32_t at, std::uint32_t count, std::uint64_t id) {
    if (at + count != ids_.size()) {
      const size_t from = at;
      at = end();
      for (size_t i = 0; i < count; ++i) ids_.push_back(ids_[from + i]);
      garbage_ += count;
    }
    ids_.push_back(id);
    return at;
  }
  // For decoding: a run of `count` ids appended by the caller with Push().
  void Push(std::uint64_t id) { ids_.push_back(id); }

  bool WantsRepack() const { return garbage_ > ids_.size() / 2; }
  // Repacking: BeginRepack(), Keep() every run still in use (returns its new
  // start), EndRepack().
  void BeginRepack() {
    next_.clear();
    next_.reserve(ids_.size() - garbage_);
  }
  std::uint32_t Keep(std::uint32_t at, std::uint32_t count) {
    const auto start = static_cast<std::uint32_t>(next_.size());
    next_.insert(next_.end(), ids_.begin() + at, ids_.begin() + at + count);
    return start;
  }
  void EndRepack() {
    ids_.swap(next_);
    next_ = {};
    garbage_ = 0;
  }

 private:
  std::vector<std::uint64_t> ids_;
  std::vector<std::uint64_t> next_;  // only while repacking
  size_t garbage_ = 0;               // ids no row points to
};

}  // namespace ele
