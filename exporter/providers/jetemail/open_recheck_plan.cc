#include "exporter/providers/jetemail/open_recheck_plan.h"

#include <algorithm>
#include <tuple>

namespace ele::jetemail {

std::chrono::milliseconds OpenRecheckPlan::Period(std::chrono::milliseconds age) const {
  return std::min(kMaxPeriod, std::max(kMinPeriodIntervals * interval_, age / 10));
}

void OpenRecheckPlan::Track(const std::vector<JetEmailState::OpenMessage>& open) {
  std::unordered_map<MessageKey, Open, KeyHash> now_open;
  now_open.reserve(open.size());
  for (const auto& msg : open) {
    const auto known = open_.find(msg.key);
    now_open.emplace(msg.key, Open{msg.arrival_ms, known != open_.end() ? known->second.last_read_ms : msg.first_seen_ms});
  }
  open_.swap(now_open);
}

void OpenRecheckPlan::MarkRead(std::int64_t from_ms, std::int64_t to_ms, TimePoint at) {
  const std::int64_t at_ms = ToUnixMillis(at);
  for (auto& [key, msg] : open_) {
    if (msg.arrival_ms >= from_ms && msg.arrival_ms < to_ms) msg.last_read_ms = std::max(msg.last_read_ms, at_ms);
  }
}

std::int64_t OpenRecheckPlan::DeadlineMs(const Open& msg) const {
  return msg.last_read_ms + Period(std::chrono::milliseconds(msg.last_read_ms - msg.arrival_ms)).count();
}

std::vector<OpenRecheckPlan::Candidate> OpenRecheckPlan::Candidates(TimePoint now, std::int64_t before_ms,
                                                                    std::chrono::milliseconds next_cycle) const {
  const std::int64_t now_ms = ToUnixMillis(now), interval = interval_.count();
  const std::int64_t next_ms = now_ms + std::max(interval, static_cast<std::int64_t>(next_cycle.count()));
  std::vector<std::tuple<bool, std::int64_t, std::int64_t>> ranked;  // (not due, deadline, arrival)
  for (const auto& [key, msg] : open_) {
    if (msg.arrival_ms >= before_ms) continue;  // the new-message window reads it
    const std::int64_t deadline = DeadlineMs(msg);
    const bool fresh = now_ms - msg.arrival_ms < kFreshIntervals * interval;
    // Due when waiting for the next cycle would pass the deadline.
    const bool due = fresh || next_ms > deadline;
    const std::int64_t period = deadline - msg.last_read_ms;
    const bool early = period >= kEarlyFromIntervals * interval && next_ms + kEarlyIntervals * interval > deadline;
    if (due || early) ranked.emplace_back(!due, deadline, msg.arrival_ms);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<Candidate> out;
  out.reserve(ranked.size());
  for (const auto& [not_due, deadline, arrival] : ranked) out.push_back({arrival, !not_due});
  return out;
}

TimePoint OpenRecheckPlan::CurrentAsOf(TimePoint now) const {
  std::int64_t current = ToUnixMillis(now);
  for (const auto& [key, msg] : open_) current = std::min(current, DeadlineMs(msg));
  return FromUnixMillis(current);
}

}  // namespace ele::jetemail
