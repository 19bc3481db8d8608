#include "exporter/base/clock.h"

namespace ele {

void StopSignal::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

bool StopSignal::WaitUntil(TimePoint deadline) const {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, deadline, [this] { return stopped_; });
  return !stopped_;
}

TimePoint ManualClock::Now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

bool ManualClock::SleepUntil(TimePoint deadline, const StopSignal& stop) {
  if (stop.stopped()) return false;
  std::lock_guard lock(mutex_);
  if (deadline > now_) now_ = deadline;
  return true;
}

void ManualClock::Advance(std::chrono::milliseconds by) {
  std::lock_guard lock(mutex_);
  now_ += by;
}

void ManualClock::Set(TimePoint t) {
  std::lock_guard lock(mutex_);
  now_ = t;
}

}  // namespace ele
