// What the landing page and readiness show of one account: filled in by
// its worker after every cycle, read by the server.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "exporter/base/clock.h"

namespace ele {

struct AccountStatus {
  std::string provider;
  std::string account;
  bool first_cycle_done = false;
  bool up = false;
  std::optional<TimePoint> last_success;
  std::optional<double> lag_seconds;
  std::string last_error;
  int budget_used = 0;   // requests in the last minute
  int budget_limit = 0;  // requests_per_minute
  size_t tracked_messages = 0;
};

}  // namespace ele
