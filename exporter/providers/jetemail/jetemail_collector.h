// One JetEmail account: each cycle reads `GET /inbound/account/logs` from the
// watermark minus collection.overlap up to now, newest first, page by page,
// in groups of at most 20 domains, and applies each page whole to the
// account's JetEmailState. The watermark moves only when the whole window
// was read without error; otherwise the same window is read next cycle.
// Then it re-reads messages still in flight (queued, deferred: JetEmail
// retries for up to 5 days) that left that window, so their later status
// changes are counted: those due by the freshness rule (open_recheck_plan.h),
// in the cheapest arrival ranges that cover them (arrival_range_plan.h),
// within what is left of the cycle's share of the request budget.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exporter/collect/collector.h"
#include "exporter/collect/persistent_state.h"
#include "exporter/config/config.h"
#include "exporter/providers/jetemail/arrival_range_plan.h"
#include "exporter/providers/jetemail/jetemail_wire.h"
#include "exporter/providers/jetemail/open_recheck_plan.h"
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
  static bool IsLastPage(const jetemail::Page& page);
  // Applies one parsed page; an error when a domain's query failed.
  Result<void> ApplyPage(const jetemail::Page& page, const std::vector<std::string>& domains, TimePoint now);
  std::string PageUrl(const Window& window, const std::vector<std::string>& domains, int page) const;
  std::string DescribeHttpError(const HttpResponse& response) const;
  Window NextWindow(TimePoint now) const;
  // Re-reads the open messages due at `now` that arrived before `window`.
  Result<void> ReadOpen(CycleContext& ctx, TimePoint now, const Window& window);
  jetemail::RangePlan PlanOpen(TimePoint now, const Window& window) const;
  // The domain group a domain label is queried in; -1 when unknown.
  int GroupOf(const std::string& domain) const;
  // The budget's share of one cycle, at least one request.
  int PerCycle() const;

  JetEmailAccount account_;
  CollectionConfig collection_;
  JetEmailState state_;
  std::optional<TimePoint> watermark_;
  jetemail::OpenRecheckPlan rechecks_;
  std::optional<TimePoint> open_current_as_of_;  // every open message current by the freshness rule up to here
  int requests_this_cycle_ = 0;
  std::chrono::milliseconds last_cycle_{0};  // how long the previous cycle took
  bool domains_warning_logged_this_cycle_ = false;
  bool auth_failed_ = false;  // 401/403 this cycle: no point asking again
};

// Splits `domains` into groups of at most `size`; one empty group when none
// are configured (the API then picks the account's first 20).
std::vector<std::vector<std::string>> DomainGroups(const std::vector<std::string>& domains, size_t size);

}  // namespace ele
