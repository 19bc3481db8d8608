// What a restart needs of an account: its counts, watermark and
// per-message state as one blob of the state file. A collector implements
// it beside Collector; the app saves the blob after every cycle that
// changed something, before the worker publishes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/base/error.h"

namespace ele {

class PersistentState {
 public:
  virtual ~PersistentState() = default;
  // Grows whenever counts or tracked messages change (when to save).
  virtual std::uint64_t changes() const = 0;
  virtual std::string EncodeState() const = 0;
  // Into a freshly constructed collector. On an error the collector is
  // unusable (its counts may be half-loaded): build a fresh one.
  virtual Result<void> RestoreState(std::string_view blob) = 0;
};

}  // namespace ele
