#include "exporter/providers/jetemail/jetemail_collector.h"

#include "exporter/http/url.h"
#include "exporter/base/logger.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/snapshot/jetemail_snapshot.h"
#include "exporter/state/jetemail_state_codec.h"
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
    : account_(std::move(account)), collection_(collection), state_(StateOptions(account_, collection_)) {
  for (const auto& domain : account_.domains) state_.EnsureDomain(domain);
}

bool JetEmailCollector::Reconfigure(const JetEmailAccount& account, const CollectionConfig& collection) {
  if (account.name != account_.name || account.base_url != account_.base_url) return false;
  account_ = account;
  collection_ = collection;
  state_.set_options(StateOptions(account_, collection_));
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

Result<void> JetEmailCollector::ReadGroup(CycleContext& ctx, const Window& window, const std::vector<std::string>& domains) {
  Result<void> outcome;
  for (int page = 1; page <= kMaxPagesPerWindow; ++page) {
    HttpRequest request{PageUrl(window, domains, page), {{"Authorization", "Bearer " + account_.token.Reveal()}, {"Accept", "application/json"}},
                        collection_.request_timeout};
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
    const auto returned = static_cast<std::int64_t>(parsed->entries.size());
    if (returned < kPageLimit || parsed->offset + returned >= parsed->total) return outcome;
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

CycleResult JetEmailCollector::RunCycle(CycleContext& ctx) {
  CycleResult result;
  domains_warning_logged_this_cycle_ = false;
  auth_failed_ = false;
  const TimePoint now = ctx.clock.Now();
  const Window window = NextWindow(now);
  result.outcome = ReadWindow(ctx, window);
  if (result.success()) watermark_ = TimePoint(std::chrono::seconds(window.to_s));
  // Messages still in flight that arrived before this window: read their
  // arrival range again so later status changes and attempts are counted.
  if (result.success()) {
    if (auto oldest = state_.OldestOpenArrivalMs(); oldest && *oldest / 1000 < window.from_s) {
      result.outcome = ReadWindow(ctx, Window{*oldest / 1000, window.from_s});
    }
    if (result.success()) open_current_as_of_ = now;
  }
  state_.Evict(ctx.clock.Now());
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
