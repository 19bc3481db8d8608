// The interface every provider implements: one object per configured account,
// owning that account's per-message state and counters. The AccountWorker
// drives it from one thread; nothing here is shared between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/collect/api_caller.h"
#include "exporter/collect/clock.h"
#include "exporter/metrics/metric_set.h"

namespace ele {

struct CycleContext {
  Clock& clock;
  ApiCaller& api;             // every request goes through it (budget, retries, metrics)
  metrics::MetricSet& self;   // the worker's self-metrics (parse errors, overflow)
  ApiCaller* detail_api = nullptr;  // a second endpoint with its own budget, if the account has one
};

struct CycleResult {
  bool success = false;
  std::string error;                    // one line for the log and the landing page
  std::optional<TimePoint> watermark;   // the log is fully read up to here
  bool changed = true;                  // whether state changed (persistence hint)
};

// A collector reads in parts (new messages, then older ones that can still
// change); each part is current up to its own time.
struct PartWatermark {
  std::string_view part;
  TimePoint current_as_of;
};

class AccountCollector {
 public:
  virtual ~AccountCollector() = default;
  virtual std::string_view provider() const = 0;
  virtual const std::string& account() const = 0;
  // One collection cycle. Never throws; a failure is reported in the result
  // and the same window is read again next cycle.
  virtual CycleResult RunCycle(CycleContext& ctx) = 0;
  // Counters and current gauges of this account, added to `out`.
  virtual void ExportMetrics(metrics::MetricSet& out) const = 0;
  virtual size_t tracked_messages() const = 0;
  // The watermark restored from state or reached so far (for the lag gauge).
  virtual std::optional<TimePoint> watermark() const = 0;
  // Per part, the time up to which its changes are read (the part lag gauge).
  virtual std::vector<PartWatermark> part_watermarks() const { return {}; }
  // Grows whenever counters or tracked messages change (when to save).
  virtual std::uint64_t changes() const = 0;
  // Everything a restart needs: counters, watermark, per-message state.
  virtual std::string EncodeState() const = 0;
  // Into a freshly constructed collector; false (and unchanged counters are
  // not guaranteed) when the blob is malformed: then build a fresh one.
  virtual bool RestoreState(std::string_view blob) = 0;
};

}  // namespace ele
