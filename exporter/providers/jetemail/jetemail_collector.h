// One JetEmail account: each cycle reads `GET /inbound/account/logs` from the
// watermark minus collection.overlap up to now, newest first, page by page,
// in groups of at most 20 domains, and applies each page whole to the
// account's JetEmailState. The watermark moves only when the whole window
// was read without error; otherwise the same window is read next cycle.
// Then it re-reads the arrival range of messages still in flight (queued,
// deferred: JetEmail retries for up to 5 days), so their later status
// changes are counted although they left the overlap window.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exporter/collect/collector.h"
#include "exporter/collect/persistent_state.h"
#include "exporter/config/config.h"
#include "exporter/providers/jetemail/jetemail_wire.h"
#include "exporter/state/jetemail_state.h"

namespace ele {

class JetEmailCollector final : public Collector, public PersistentState {
 public:
  static constexpr int kPageLimit = 1000;        // the API's maximum
  static constexpr int kMaxDomainsPerQuery = 20;  // the API's fan-out cap
  static constexpr int kMaxPagesPerWindow = 10'000;

  JetEmailCollector(JetEmailAccount account, CollectionConfig collection);

  CycleResult RunCycle(CycleContext& ctx) override;
  CollectorStatus Status() const override;
  void Snapshot(metrics::MetricSet& out) const override;

  std::uint64_t changes() const override { return state_.changes(); }
  std::string EncodeState() const override;
  Result<void> RestoreState(std::string_view blob) override;

  // Takes new settings but keeps state, when the account is the same one.
  bool Reconfigure(const JetEmailAccount& account, const CollectionConfig& collection);
  JetEmailState& state() { return state_; }

 private:
  struct Window {
    std::int64_t from_s, to_s;
  };
  // Reads `window` for every domain group.
  Result<void> ReadWindow(CycleContext& ctx, const Window& window);
  // Reads every page of one domain group.
  Result<void> ReadGroup(CycleContext& ctx, const Window& window, const std::vector<std::string>& domains);
  // Applies one parsed page; an error when a domain's query failed.
  Result<void> ApplyPage(const jetemail::Page& page, const std::vector<std::string>& domains, TimePoint now);
  std::string PageUrl(const Window& window, const std::vector<std::string>& domains, int page) const;
  std::string DescribeHttpError(const HttpResponse& response) const;
  Window NextWindow(TimePoint now) const;

  JetEmailAccount account_;
  CollectionConfig collection_;
  JetEmailState state_;
  std::optional<TimePoint> watermark_;
  std::optional<TimePoint> open_current_as_of_;  // queued/deferred messages re-read up to here
  bool domains_warning_logged_this_cycle_ = false;
  bool auth_failed_ = false;  // 401/403 this cycle: no point asking again
};

// Splits `domains` into groups of at most `size`; one empty group when none
// are configured (the API then picks the account's first 20).
std::vector<std::vector<std::string>> DomainGroups(const std::vector<std::string>& domains, size_t size);

}  // namespace ele
