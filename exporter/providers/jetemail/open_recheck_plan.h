// The freshness rule for JetEmail messages still in flight (queued,
// deferred, ...), and when each was last read. The API filters by date, not
// by message, so an open message is only seen again when a read's date range
// covers it; this says which open messages a cycle has to cover.
//
// The rule: a message that arrived within the last kFreshIntervals
// intervals is read every cycle; an older one at most Period(age) after its
// last read, where Period(age) = min(15 min, max(2 intervals, age / 10)), with
// the age at that last read. A message stuck for a day costs a read every 15
// minutes instead of every cycle. Deadlines are times, not cycle counts, so a
// late or failed cycle makes a message more urgent rather than skipped (and
// cycles that overrun the interval make it due sooner), and a message counts
// as read only when a range covering it was read without error.
//
// The last reads are kept here, for open messages only (not in the 48-byte
// message rows, nor in the state file): after a restart an open message counts
// as read at its first sighting, so the restored ones are due at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "exporter/base/clock.h"
#include "exporter/state/jetemail_state.h"

namespace ele::jetemail {

class OpenRecheckPlan {
 public:
  static constexpr std::chrono::milliseconds kMaxPeriod{std::chrono::minutes(15)};
  static constexpr int kMinPeriodIntervals = 2;
  static constexpr int kFreshIntervals = 4;
  // A message whose period is at least kEarlyFromIntervals intervals may be
  // read up to kEarlyIntervals intervals before its deadline when the cycle
  // has requests to spare, so messages that came due together (say, all read
  // by the first window) spread over cycles instead of arriving as one wave.
  static constexpr int kEarlyIntervals = 2;
  static constexpr int kEarlyFromIntervals = 6;

  explicit OpenRecheckPlan(std::chrono::milliseconds interval) : interval_(interval) {}
  void set_interval(std::chrono::milliseconds interval) { interval_ = interval; }

  // Longest a message of age `age` (at its last read) may go unread.
  std::chrono::milliseconds Period(std::chrono::milliseconds age) const;

  // The open messages now: forgets those no longer open, and counts a new
  // one as read at its first sighting.
  void Track(const std::vector<JetEmailState::OpenMessage>& open);
  // A read of every domain group covered arrivals in [from_ms, to_ms) and
  // started at `at`.
  void MarkRead(std::int64_t from_ms, std::int64_t to_ms, TimePoint at);

  struct Candidate {
    std::int64_t arrival_ms;
    bool must;  // due this cycle; otherwise it may be read early
  };
  // Open messages that arrived before `before_ms` and are due at `now`
  // (their deadline would pass before the next cycle, expected `next_cycle`
  // from now: the interval, or longer while cycles overrun it), or may be
  // read early; the most urgent first: due ones by deadline, then early ones.
  std::vector<Candidate> Candidates(TimePoint now, std::int64_t before_ms, std::chrono::milliseconds next_cycle) const;
  // The time up to which every open message is current by the rule: now,
  // unless a message is past its deadline, then that deadline.
  TimePoint CurrentAsOf(TimePoint now) const;
  size_t size() const { return open_.size(); }

 private:
  struct Open {
    std::int64_t arrival_ms;
    std::int64_t last_read_ms;
  };
  struct KeyHash {
    size_t operator()(const MessageKey& key) const { return static_cast<size_t>(key[0]); }  // already a hash
  };
  std::int64_t DeadlineMs(const Open& m) const;

  std::chrono::milliseconds interval_;
  std::unordered_map<MessageKey, Open, KeyHash> open_;
};

}  // namespace ele::jetemail
