// Time for everything that schedules: the real clock in production, a manual
// clock in tests, so that cycles, budgets and backoff run without sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace ele {

using TimePoint = std::chrono::system_clock::time_point;

// Set once to stop a worker; wakes every sleep on it. Thread-safe.
class StopSignal {
 public:
  void Stop();
  bool stopped() const;
  // Waits until `deadline` (real time) or Stop(); false when stopped.
  bool WaitUntil(TimePoint deadline) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  bool stopped_ = false;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Blocks until `deadline` or until `stop` fires. False when stopped.
  virtual bool SleepUntil(TimePoint deadline, const StopSignal& stop) = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  bool SleepUntil(TimePoint deadline, const StopSignal& stop) override { return stop.WaitUntil(deadline); }
};

// A clock that moves only when told to, or when someone sleeps on it: a sleep
// jumps straight to its deadline. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override;
  bool SleepUntil(TimePoint deadline, const StopSignal& stop) override;
  void Advance(std::chrono::milliseconds by);
  void Set(TimePoint t);

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

inline double ToUnixSeconds(TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}
inline std::int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint FromUnixMillis(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace ele
