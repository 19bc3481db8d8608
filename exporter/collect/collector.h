// What the AccountWorker runs: one Collector per configured account,
// owning that account's per-message state and counts. Three things: run a
// cycle, say where the account stands, and add its series to a snapshot.
// Persistence is a separate interface (persistent_state.h). The worker
// drives a collector from one thread; nothing here is shared between
// threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/base/clock.h"
#include "exporter/base/error.h"
#include "exporter/collect/api_caller.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/metrics/metric_set.h"

namespace ele {

struct CycleContext {
  Clock& clock;
  ApiCaller& api;             // every request goes through it (budget, retries, metrics)
  metrics::MetricSet& self;   // the worker's self-metrics (parse errors)
  ApiCaller* detail_api = nullptr;  // a second endpoint with its own budget, if the account has one
  // The worker lets a collector run a call of `api` on a second thread
  // while it makes calls of `detail_api` (which then has its own HTTP
  // client). Writes to `self` then take `self_mutex`.
  bool overlap_list_calls = false;
  std::mutex* self_mutex = nullptr;

  void CountParseError(const std::string& provider, const std::string& account) {
    const std::unique_lock<std::mutex> lock = LockIfShared(self_mutex);
    self.Inc(metrics::kParseErrorsTotal, {provider, account});
  }
};

struct CycleResult {
  Result<void> outcome;                // the error is one line for the log and the landing page
  std::optional<TimePoint> watermark;  // the log is fully read up to here
  bool success() const { return outcome.has_value(); }
};

// A collector reads in parts (new messages, then older ones that can still
// change); each part is current up to its own time.
struct PartWatermark {
  std::string_view part;
  TimePoint current_as_of;
};

// Who the account is and where its collection stands, for the worker's
// key, the self-metrics and the landing page.
struct CollectorStatus {
  std::string_view provider;           // "jetemail" | "mailtrap"
  std::string account;
  std::optional<TimePoint> watermark;  // restored from state or reached so far (the lag gauge)
  std::vector<PartWatermark> parts;    // per part, the time up to which its changes are read
  size_t tracked_messages = 0;
};

class Collector {
 public:
  virtual ~Collector() = default;
  // One collection cycle. Never throws; a failure is reported in the result
  // and the same window is read again next cycle.
  virtual CycleResult RunCycle(CycleContext& ctx) = 0;
  virtual CollectorStatus Status() const = 0;
  // The account's series (counters and current gauges), added to `out`.
  virtual void Snapshot(metrics::MetricSet& out) const = 0;
};

}  // namespace ele
