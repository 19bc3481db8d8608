// A per-account request budget that can never exceed `requests_per_minute`
// in any 60-second window, and that spreads requests evenly instead of
// bursting: rate-limited APIs punish bursts (JetEmail blocks an account for
// five minutes), and the quota is shared with the customer's other tools.
//
// Two rules together: a minimum spacing of 60s/N between request starts, and
// a log of the last N starts so that the (N+1)th waits until the oldest is
// more than a minute old (plus a safety margin for network jitter between our
// clock and the server's). A 429 or a backoff blocks the budget until a time.
// Not thread-safe: one budget belongs to one account worker.
#pragma once

#include <chrono>
#include <deque>

#include "exporter/base/clock.h"

namespace ele {

class RequestBudget {
 public:
  static constexpr std::chrono::milliseconds kWindow{60'000};
  static constexpr std::chrono::milliseconds kSafetyMargin{500};

  explicit RequestBudget(int requests_per_minute);

  // Earliest time at or after `now` when a request may start.
  TimePoint NextSlot(TimePoint now) const;
  // Records a request that starts at `when` (>= NextSlot(when)).
  void Record(TimePoint when);
  // No request before `until` (Retry-After, backoff). Never shortens a block.
  void BlockUntil(TimePoint until);

  TimePoint blocked_until() const { return blocked_until_; }
  int limit() const { return limit_; }
  // When the oldest request of the last minute leaves the window: the
  // earliest moment a server counting a rolling minute can accept another
  // request once its quota is spent, if nobody else is using it.
  TimePoint OldestLeavesWindow(TimePoint now) const;
  // Requests started in the minute before `now`.
  int UsedInLastMinute(TimePoint now) const;

 private:
  int limit_;
  std::chrono::milliseconds spacing_;
  std::deque<TimePoint> starts_;  // at most limit_ entries, oldest first
  TimePoint blocked_until_{};
};

// Exponential backoff with full jitter (AWS architecture blog's "full
// jitter"): spreads retries of many exporters instead of synchronising them.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, unsigned seed);
  // Delay before retry number `attempt` (0-based): uniform in [base/2, min(cap, base*2^attempt)].
  std::chrono::milliseconds Delay(int attempt);

 private:
  std::chrono::milliseconds base_, cap_;
  unsigned long long state_;
};

}  // namespace ele
