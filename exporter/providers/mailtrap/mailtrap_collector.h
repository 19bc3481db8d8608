// One Mailtrap account. The list endpoint allows 60 calls a minute per
// account, shared with the customer's other tools, so each cycle spends its
// share of `requests_per_minute` in order of value (README, "Mailtrap request
// budget"):
//   1. new messages: sent since the watermark minus the overlap, every page
//      (at most every two list-call spacings, when the interval is shorter);
//   2. stragglers: messages still enqueued when they left the overlap window
//      (only those no longer enqueued are asked for);
//   3. a rolling refresh of the lookback, asking only for messages that can
//      still change: opened (opens_count > 0), clicked without an open, and
//      opted out. Delivered messages nobody opened cost nothing. Passes
//      that find nothing new wait longer (up to kMaxRefreshBackoff times
//      refresh_interval), until activity returns.
// Part 1 takes what it needs, part 2 what is left of the cycle's share (at
// least one page), part 3 the rest. Message details (events) have their own
// budget, spent whenever the list reads wait: for a slot, for a reply (on a
// second thread), for the next cycle. Parts 2 and 3 resume by cursor where the
// previous cycle stopped; email_logs_exporter_part_lag_seconds shows how far
// behind each part is.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exporter/base/warning_gate.h"
#include "exporter/collect/collector.h"
#include "exporter/collect/persistent_state.h"
#include "exporter/config/config.h"
#include "exporter/providers/mailtrap/mailtrap_wire.h"
#include "exporter/state/mailtrap_state.h"

namespace ele {

class MailtrapCollector final : public Collector, public PersistentState {
 public:
  static constexpr std::chrono::hours kDomainRefresh{1};
  // The sending domains' health gauges are dropped when the list could not
  // be read for this long (three attempts).
  static constexpr std::chrono::hours kDomainHealthValidity{3};
  static constexpr int kMaxPagesPerRead = 100'000;
  // A refresh pass that found no change doubles the wait before the next,
  // up to this many refresh_intervals; any change resets it. An idle account
  // then pays for its opened messages a quarter as often.
  static constexpr int kMaxRefreshBackoff = 4;

  MailtrapCollector(MailtrapAccount account, CollectionConfig collection);

  CycleResult RunCycle(CycleContext& ctx) override;
  CollectorStatus Status() const override;
  void Snapshot(metrics::MetricSet& out) const override;

  std::uint64_t changes() const override { return state_.changes(); }
  std::string EncodeState() const override;
  Result<void> RestoreState(std::string_view blob) override;

  bool Reconfigure(const MailtrapAccount& account, const CollectionConfig& collection);

  // A query over a sent_at range, read newest first by cursor. Exposed for tests.
  struct Read {
    std::string filter;              // extra query string ("" = every message)
    std::int64_t from_ms = 0, to_ms = 0;
    std::optional<std::string> cursor;
  };

 private:
  enum class Step { kDone, kPaused };

  // Reads on from `read`'s cursor until it is done or `max_pages` are used.
  Result<Step> Continue(CycleContext& ctx, Read& read, int max_pages, int* pages_used);
  std::string ListUrl(const Read& read) const;
  void RefreshDomains(CycleContext& ctx);
  Result<std::vector<mailtrap::SendingDomain>> FetchSendingDomains(CycleContext& ctx) const;
  bool StartRefreshPass(TimePoint now, std::int64_t new_window_from_ms);
  // The three parts of a cycle. ReadNew returns where its window began; a
  // failure of any ends the cycle there.
  Result<std::int64_t> ReadNew(CycleContext& ctx, TimePoint now, int* used);
  Result<void> ReadStragglers(CycleContext& ctx, TimePoint now, std::int64_t covered_from, int allowance, int* used);
  Result<void> ReadRefresh(CycleContext& ctx, TimePoint now, std::int64_t covered_from, int allowance, int* used);
  Duration RefreshWait() const;
  void WarnIfBehind(TimePoint now);
  // Message details (events) through their own budget, in every moment the
  // list reads leave it idle.
  Result<HttpResponse> ListGet(CycleContext& ctx, const HttpRequest& request);
  void FetchDetailsBefore(CycleContext& ctx, TimePoint deadline);
  bool FetchOneDetail(CycleContext& ctx);
  Result<void> FetchDetail(CycleContext& ctx, const PendingDetail& next);
  void NoteDetailsCurrent(TimePoint now);

  std::string DescribeHttpError(const HttpResponse& response) const;
  int PerCycle(int requests_per_minute) const;
  Duration NewReadSpacing() const;
  std::string AccountUrl(std::string path) const;
  std::string EmailLogsUrl() const;
  HttpRequest Request(std::string url) const;

  MailtrapAccount account_;
  CollectionConfig collection_;
  MailtrapState state_;
  std::optional<TimePoint> watermark_;
  std::map<std::int64_t, std::string> domain_names_;
  std::optional<TimePoint> domains_fetched_at_;
  std::vector<events::SendingDomain> sending_domains_;  // as last listed: their health gauges
  std::optional<TimePoint> domains_listed_at_;

  std::optional<Read> new_read_;           // part 1, kept when interrupted
  // Where the last complete new-message read began; it ended at watermark_.
  std::optional<std::int64_t> last_new_read_from_ms_;
  std::optional<Read> straggler_read_;     // part 2
  TimePoint straggler_read_started_{};
  std::vector<Read> refresh_reads_;        // part 3, current pass
  TimePoint refresh_pass_started_{};
  bool refresh_pass_found_change_ = false;
  int refresh_backoff_ = 1;                // RefreshWait() in refresh_intervals: 1, 2, 4
  // Every change of its messages up to these times has been read.
  std::optional<TimePoint> stragglers_current_as_of_, refresh_current_as_of_, details_current_as_of_;
  WarningGate behind_warning_;  // "the request budget cannot keep up"
  std::optional<Error> detail_error_;  // this cycle's, reported at its end
  std::uint64_t list_changes_ = 0;     // state changes from list pages (not from details): the refresh's backoff
};

}  // namespace ele
