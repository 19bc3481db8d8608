// The Mailtrap messages whose detail (events) is wanted, oldest wish
// first, each by its message key. A malformed answer sends an entry to the
// back; after kMaxFailures it is given up. 32 bytes an entry: a third of
// the tracked messages can wait here when the events budget runs behind.
// Not thread-safe: part of one account's state.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "exporter/state/message_table.h"

namespace ele {

class DetailQueue {
 public:
  static constexpr int kMaxFailures = 3;

  struct Entry {
    MessageKey key;
    std::int64_t queued_at_ms = 0;  // when it was wanted
    int failures = 0;               // malformed answers so far
  };

  void Push(const Entry& entry) { entries_.push_back(entry); }
  const Entry* Front() const { return entries_.empty() ? nullptr : &entries_.front(); }
  // Removes the front entry and returns it.
  std::optional<Entry> Pop();
  // The front entry had a malformed answer: to the back, or given up (and
  // returned) after kMaxFailures.
  std::optional<Entry> Postpone();
  // Drops the entries of messages for which `gone(key)` is true.
  template <typename Gone>
  void DropIf(Gone gone) {
    std::erase_if(entries_, [&](const Entry& e) { return gone(e.key); });
  }
  size_t size() const { return entries_.size(); }
  const std::deque<Entry>& entries() const { return entries_; }

 private:
  std::deque<Entry> entries_;
};

}  // namespace ele
