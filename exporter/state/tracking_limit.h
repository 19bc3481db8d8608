// The warning for collection.max_tracked_messages, shared by both providers'
// states: once when the limit is first hit, then at most every ten minutes
// while it keeps being hit (eviction runs every cycle).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/base/clock.h"
#include "exporter/base/logger.h"
#include "exporter/base/warning_gate.h"

namespace ele {

class TrackingLimitWarning {
 public:
  void MaybeWarn(TimePoint now, std::string_view provider, const std::string& account, size_t tracked, std::int64_t limit) {
    if (!gate_.Open(now)) return;
    LogWarn("more messages than collection.max_tracked_messages; the oldest are dropped and their later changes no longer counted",
            {{"provider", std::string(provider)}, {"account", account}, {"tracked", static_cast<unsigned long>(tracked)},
             {"max_tracked_messages", static_cast<long long>(limit)}});
  }

 private:
  WarningGate gate_;
};

}  // namespace ele
