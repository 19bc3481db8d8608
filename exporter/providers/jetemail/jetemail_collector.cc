#include "exporter/providers/jetemail/jetemail_collector.h"

#include <algorithm>
#include <limits>

#include "exporter/http/url.h"
#include "exporter/base/logger.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/snapshot/jetemail_snapshot.h"
#include "exporter/state/jetemail_state_codec.h"
#include "exporter/state/label_folder.h"
#include "exporter/providers/jetemail/jetemail_wire.h"

namespace ele {
namespace {


JetEmailStateOptions StateOptions(const JetEmailAccount& account, const CollectionConfig& collection) {
  return JetEmailStateOptions{account.name, collection.lookback + collection.overlap, collection.label_value_limit,
                              collection.max_tracked_messages};
}

}  // namespace

std::vector<std::vector<std::string>> DomainGroups(const std::vector<std::string>& domains, size_t size) {
  std::vector<std::vector<std::string>> groups;
  for (size_t i = 0; i < domains.size(); i += size) {
    groups.emplace_back(domains.begin() + static_cast<long>(i), domains.begin() + static_cast<long>(std::min(domains.size(), i + size)));
  }
  if (groups.empty()) groups.emplace_back();
  return groups;
}

JetEmailCollector::JetEmailCollector(JetEmailAccount account, CollectionConfig collection)
    : account_(std::move(account)), collection_(collection), state_(StateOptions(account_, collection_)), rechecks_(collection_.interval) {
  for (const auto& domain : account_.domains) state_.EnsureDomain(domain);
}

bool JetEmailCollector::Reconfigure(const JetEmailAccount& account, const CollectionConfig& collection) {
  if (account.name != account_.name || account.base_url != account_.base_url) return false;
  account_ = account;
  collection_ = collection;
  state_.set_options(StateOptions(account_, collection_));
  rechecks_.set_interval(collection_.interval);
  return true;
}

JetEmailCollector::Window JetEmailCollector::NextWindow(TimePoint now) const {
  // Never further back than the lookback: older messages would be evicted
  // (or never tracked) anyway, and the API keeps mail 5 days at most.
  const TimePoint earliest = now - collection_.lookback;
  TimePoint from = watermark_ ? *watermark_ - collection_.overlap : earliest;
  if (from < earliest) from = earliest;
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  return Window{duration_cast<seconds>(from.time_since_epoch()).count(), duration_cast<seconds>(now.time_since_epoch()).count()};
}

std::string JetEmailCollector::PageUrl(const Window& window, const std::vector<std::string>& domains, int page) const {
  // Newest first with a fixed date_to: entries arriving during the read can
  // only push older entries onto later pages (read twice, de-duplicated),
  // never make one skip a page.
  std::string url = account_.base_url + "/inbound/account/logs?date_from=" + std::to_string(window.from_s) +
                    "&date_to=" + std::to_string(window.to_s) + "&limit=" + std::to_string(kPageLimit) +
                    "&page=" + std::to_string(page) + "&sort_by=date&sort_order=DESC";
  if (!domains.empty()) {
    std::string joined;
    for (const auto& d : domains) joined += (joined.empty() ? "" : ",") + d;
    url += "&domains=" + PercentEncode(joined);
  }
  return url;
}

std::string JetEmailCollector::DescribeHttpError(const HttpResponse& response) const {
  const std::string api_message = jetemail::ParseErrorMessage(response.body);
  std::string text = "HTTP " + std::to_string(response.status);
  if (response.status == 401 || response.status == 403) {
    text += ": authentication failed; check this account's api token (an api_ account-management key is needed)";
  } else if (response.status == 429) {
    text += ": rate limited; requests paused until Retry-After";
  }
  if (!api_message.empty()) text += " (API says: " + api_message + ")";
  return text;
}

Result<void> JetEmailCollector::ApplyPage(const jetemail::Page& page, const std::vector<std::string>& domains, TimePoint now) {
  state_.ApplyPage(page.entries, now);
  Result<void> outcome;
  for (const auto& d : page.domains_queried) {
    const bool up = d.status == "success";
    state_.SetDomainUp(d.domain, up);
    if (!up) outcome = Fail("domain " + d.domain + " query reported " + d.status);
  }
  if (page.total_domains > 0) state_.SetAccountDomains(page.total_domains);
  if (domains.empty() && page.total_domains > page.domains_included && !domains_warning_logged_this_cycle_) {
    domains_warning_logged_this_cycle_ = true;
    LogWarn("the account has more domains than one query covers; list them under `domains` to read all of them",
            {{"provider", "jetemail"}, {"account", account_.name}, {"total_domains", static_cast<long long>(page.total_domains)},
             {"domains_included", static_cast<long long>(page.domains_included)}});
  }
  return outcome;
}

// The API pages by the limit it applied: at most the one asked for, and an
// API that caps it lower still pages by it (a page of 500 is then not the
// last). Offset and total are the API's numbers, compared without overflow.
bool JetEmailCollector::IsLastPage(const jetemail::Page& page) {
  const auto returned = static_cast<std::int64_t>(page.entries.size());
  const std::int64_t page_size = page.limit > 0 ? std::min<std::int64_t>(page.limit, kPageLimit) : kPageLimit;
  const std::int64_t offset = std::clamp<std::int64_t>(page.offset, 0, std::numeric_limits<std::int64_t>::max() - returned);
  return returned == 0 || returned < page_size || offset + returned >= page.total;
}

Result<void> JetEmailCollector::ReadGroup(CycleContext& ctx, const Window& window, const std::vector<std::string>& domains) {
  Result<void> outcome;
  for (int page = 1; page <= kMaxPagesPerWindow; ++page) {
    HttpRequest request{PageUrl(window, domains, page), {{"Authorization", "Bearer " + account_.token.Reveal()}, {"Accept", "application/json"}},
                        collection_.request_timeout};
    ++requests_this_cycle_;
    const Result<HttpResponse> response = ctx.api.Get(request);
    if (!response) return std::unexpected(response.error().Within("request failed"));
    if (!response->ok()) {
      if (response->status == 401 || response->status == 403) {
        auth_failed_ = true;
        LogError("JetEmail rejected the credentials", {{"provider", "jetemail"}, {"account", account_.name}, {"status", static_cast<long long>(response->status)}});
      }
      return Fail(DescribeHttpError(*response));
    }
    auto parsed = jetemail::ParsePage(response->body);
    if (!parsed) {
      ctx.CountParseError("jetemail", account_.name);
      return std::unexpected(parsed.error().Within("response was not the documented JSON"));
    }
    if (auto applied = ApplyPage(*parsed, domains, ctx.clock.Now()); !applied) outcome = applied;
    if (IsLastPage(*parsed)) return outcome;
  }
  return Fail("window has more than " + std::to_string(kMaxPagesPerWindow) + " pages");
}

Result<void> JetEmailCollector::ReadWindow(CycleContext& ctx, const Window& window) {
  Result<void> outcome;
  for (const auto& group : DomainGroups(account_.domains, kMaxDomainsPerQuery)) {
    if (auto read = ReadGroup(ctx, window, group); !read) {
      outcome = read;
      if (ctx.api.stopped() || auth_failed_) break;
    }
  }
  return outcome;
}

int JetEmailCollector::PerCycle() const {
  const auto per_cycle = account_.requests_per_minute * collection_.interval.count() / 60'000;
  return static_cast<int>(std::max<long long>(1, per_cycle));
}

int JetEmailCollector::GroupOf(const std::string& domain) const {
  if (account_.domains.empty()) return 0;  // one query for all
  const std::string lower = Lowercase(domain);
  for (size_t i = 0; i < account_.domains.size(); ++i) {
    if (Lowercase(account_.domains[i]) == lower) return static_cast<int>(i / kMaxDomainsPerQuery);
  }
  return -1;
}

jetemail::RangePlan JetEmailCollector::PlanOpen(TimePoint now, const Window& window) const {
  // A cycle that overran the interval makes the next one late as well.
  const std::vector<jetemail::OpenRecheckPlan::Candidate> candidates = rechecks_.Candidates(now, window.from_s * 1000, last_cycle_);
  if (candidates.empty()) return {};
  std::vector<std::int64_t> arrivals;
  bool any_due = false;
  for (const auto& candidate : candidates) {
    arrivals.push_back(candidate.arrival_ms);
    any_due = any_due || candidate.must;
  }
  jetemail::RangePlanOptions options;
  // What the new-message window left of the cycle's share; the most urgent
  // due message is read even when nothing is left, so none waits forever
  // (the request budget still spaces every request).
  options.allowance = std::max(0, PerCycle() - requests_this_cycle_);
  options.at_least = any_due ? 1 : 0;
  options.page_limit = kPageLimit;
  const int groups = static_cast<int>(DomainGroups(account_.domains, kMaxDomainsPerQuery).size());
  return jetemail::PlanArrivalRanges(arrivals, options, [&](const std::vector<std::int64_t>& bounds) {
    return state_.CountArrivals(bounds, groups, [this](const std::string& domain) { return GroupOf(domain); });
  });
}

// Exact whichever date JetEmail's date_from/date_to compare, which is not
// documented:
// - If they compare arrival, a range around a message's arrival returns it,
//   with its current status and counts; so reading it by the freshness rule
//   sees every change, late by at most the rule.
// - If they compare the last change, a narrow range finds nothing new, but
//   then nothing is lost either: a message that changed has its last change
//   after its previous read, and every instant up to the watermark lies in a
//   new-message window that was read whole after it (the watermark moves only
//   on success, and windows overlap), so that window returned the message in
//   its changed state. The re-reads are then wasted, never wrong.
// Either way a message is current as of the start of a read that covered it.
Result<void> JetEmailCollector::ReadOpen(CycleContext& ctx, TimePoint now, const Window& window) {
  Result<void> outcome;
  for (const jetemail::ArrivalRange& range : PlanOpen(now, window).ranges) {
    const Window read_window{range.from_s, std::min(range.to_s, window.to_s)};
    if (auto read = ReadWindow(ctx, read_window); !read) {
      outcome = read;  // not marked read: due again next cycle, more urgent
      if (ctx.api.stopped() || auth_failed_) break;
      continue;
    }
    rechecks_.MarkRead(read_window.from_s * 1000, (read_window.to_s + 1) * 1000, now);
  }
  return outcome;
}

CycleResult JetEmailCollector::RunCycle(CycleContext& ctx) {
  CycleResult result;
  domains_warning_logged_this_cycle_ = false;
  auth_failed_ = false;
  requests_this_cycle_ = 0;
  const TimePoint now = ctx.clock.Now();
  const Window window = NextWindow(now);
  result.outcome = ReadWindow(ctx, window);
  rechecks_.Track(state_.OpenMessages());
  if (result.success()) {
    watermark_ = TimePoint(std::chrono::seconds(window.to_s));
    rechecks_.MarkRead(window.from_s * 1000, (window.to_s + 1) * 1000, now);
    // Messages still in flight that arrived before this window.
    result.outcome = ReadOpen(ctx, now, window);
  }
  state_.Evict(ctx.clock.Now());
  rechecks_.Track(state_.OpenMessages());
  if (watermark_) open_current_as_of_ = rechecks_.CurrentAsOf(now);
  last_cycle_ = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.clock.Now() - now);
  result.watermark = watermark_;
  return result;
}

std::string JetEmailCollector::EncodeState() const { return JetEmailStateCodec::Encode(state_, watermark_); }

// Into a fresh state (the blob's domain ids are its own), then the
// configured domains join as they do at construction.
Result<void> JetEmailCollector::RestoreState(std::string_view blob) {
  JetEmailState restored(StateOptions(account_, collection_));
  std::optional<TimePoint> watermark;
  if (!JetEmailStateCodec::Decode(blob, &restored, &watermark)) return Fail("the saved JetEmail state is malformed or of an unknown layout");
  state_ = std::move(restored);
  watermark_ = watermark;
  rechecks_ = jetemail::OpenRecheckPlan(collection_.interval);  // restored open messages count as read at their first sighting
  for (const auto& domain : account_.domains) state_.EnsureDomain(domain);
  return {};
}

CollectorStatus JetEmailCollector::Status() const {
  CollectorStatus status{"jetemail", account_.name, watermark_, {}, state_.tracked()};
  if (watermark_) status.parts.push_back({"new", *watermark_});
  if (open_current_as_of_) status.parts.push_back({"open", *open_current_as_of_});
  return status;
}

void JetEmailCollector::Snapshot(metrics::MetricSet& out) const { AddJetEmailSeries(state_, out); }

}  // namespace ele
