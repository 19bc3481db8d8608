// A recurring warning's gate: open the first time, then at most once every
// ten minutes, so a condition that holds cycle after cycle is logged, not
// repeated into every line of the log.
#pragma once

#include <chrono>
#include <optional>

#include "exporter/base/clock.h"

namespace ele {

class WarningGate {
 public:
  static constexpr std::chrono::minutes kEvery{10};
  // True when the warning may be logged at `now` (and then counts as logged).
  bool Open(TimePoint now) {
    if (last_ && now - *last_ < kEvery) return false;
    last_ = now;
    return true;
  }

 private:
  std::optional<TimePoint> last_;
};

}  // namespace ele
