#include "exporter/collect/request_budget.h"

#include <algorithm>

namespace ele {

RequestBudget::RequestBudget(int requests_per_minute)
    : limit_(std::max(1, requests_per_minute)),
      spacing_(std::chrono::milliseconds(kWindow.count() / limit_ + (kWindow.count() % limit_ != 0))) {}

TimePoint RequestBudget::NextSlot(TimePoint now) const {
  TimePoint slot = std::max(now, blocked_until_);
  if (!starts_.empty()) slot = std::max(slot, starts_.back() + spacing_);
  if (static_cast<int>(starts_.size()) >= limit_) slot = std::max(slot, starts_.front() + kWindow + kSafetyMargin);
  return slot;
}

void RequestBudget::Record(TimePoint when) {
  starts_.push_back(when);
  while (static_cast<int>(starts_.size()) > limit_) starts_.pop_front();
}

void RequestBudget::BlockUntil(TimePoint until) { blocked_until_ = std::max(blocked_until_, until); }

TimePoint RequestBudget::OldestLeavesWindow(TimePoint now) const {
  const auto oldest = std::find_if(starts_.begin(), starts_.end(), [&](TimePoint t) { return t > now - kWindow; });
  return (oldest == starts_.end() ? now : *oldest) + kWindow + kSafetyMargin;
}

int RequestBudget::UsedInLastMinute(TimePoint now) const {
  return static_cast<int>(std::count_if(starts_.begin(), starts_.end(), [&](TimePoint t) { return t > now - kWindow; }));
}

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, unsigned seed)
    : base_(base), cap_(cap), state_(seed * 6364136223846793005ULL + 1442695040888963407ULL) {}

std::chrono::milliseconds Backoff::Delay(int attempt) {
  long long ceiling = static_cast<long long>(base_.count());
  for (int i = 0; i < attempt && ceiling < cap_.count(); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<long long>(cap_.count()));
  const long long floor = std::min(static_cast<long long>(base_.count() / 2), ceiling);
  // splitmix64: small, seedable, good enough for jitter.
  state_ += 0x9E3779B97F4A7C15ULL;
  unsigned long long z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  const long long span = ceiling - floor + 1;
  return std::chrono::milliseconds(floor + static_cast<long long>(z % static_cast<unsigned long long>(span)));
}

}  // namespace ele
