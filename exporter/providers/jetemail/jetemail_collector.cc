#include "exporter/providers/jetemail/jetemail_collector.h"

#include "exporter/http/url.h"
#include "exporter/log/logger.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/state/state_codec.h"
#include "exporter/providers/jetemail/jetemail_wire.h"

namespace ele {
namespace {

constexpr std::string_view kStateTag = "jetemail-1";  // bump when the blob layout changes

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
  if (response.status == 0) return "request failed: " + response.transport_error;
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

bool JetEmailCollector::ReadGroup(CycleContext& ctx, const Window& window, const std::vector<std::string>& domains,
                                  std::string* error) {
  bool all_domains_ok = true;
  for (int page = 1; page <= kMaxPagesPerWindow; ++page) {
    HttpRequest request{PageUrl(window, domains, page), {{"Authorization", "Bearer " + account_.token.Reveal()}, {"Accept", "application/json"}},
                        collection_.request_timeout};
    const HttpResponse response = ctx.api.Get(request);
    if (!response.ok()) {
      *error = DescribeHttpError(response);
      if (response.status == 401 || response.status == 403) {
        auth_failed_ = true;
        LogError("JetEmail rejected the credentials", {{"provider", "jetemail"}, {"account", account_.name}, {"status", static_cast<long long>(response.status)}});
      }
      return false;
    }
    auto parsed = jetemail::ParsePage(response.body);
    if (!parsed) {
      ctx.self.Inc(metrics::kParseErrorsTotal, {"jetemail", account_.name});
      *error = "response was not the documented JSON: " + parsed.error();
      return false;
    }
    state_.ApplyPage(parsed->entries, ctx.clock.Now());
    for (const auto& d : parsed->domains_queried) {
      const bool up = d.status == "success";
      state_.SetDomainUp(d.domain, up);
      if (!up) {
        all_domains_ok = false;
        *error = "domain " + d.domain + " query reported " + d.status;
      }
    }
    if (parsed->total_domains > 0) state_.SetAccountDomains(parsed->total_domains);
    if (domains.empty() && parsed->total_domains > parsed->domains_included && !domains_warning_logged_this_cycle_) {
      domains_warning_logged_this_cycle_ = true;
      LogWarn("the account has more domains than one query covers; list them under `domains` to read all of them",
              {{"provider", "jetemail"}, {"account", account_.name}, {"total_domains", static_cast<long long>(parsed->total_domains)},
               {"domains_included", static_cast<long long>(parsed->domains_included)}});
    }
    const auto returned = static_cast<std::int64_t>(parsed->entries.size());
    if (returned < kPageLimit || parsed->offset + returned >= parsed->total) return all_domains_ok;
  }
  *error = "window has more than " + std::to_string(kMaxPagesPerWindow) + " pages";
  return false;
}

bool JetEmailCollector::ReadWindow(CycleContext& ctx, const Window& window, std::string* error) {
  bool ok = true;
  for (const auto& group : DomainGroups(account_.domains, kMaxDomainsPerQuery)) {
    if (!ReadGroup(ctx, window, group, error)) {
      ok = false;
      if (ctx.api.stopped() || auth_failed_) break;
    }
  }
  return ok;
}

CycleResult JetEmailCollector::RunCycle(CycleContext& ctx) {
  CycleResult result;
  domains_warning_logged_this_cycle_ = false;
  auth_failed_ = false;
  const TimePoint now = ctx.clock.Now();
  const Window window = NextWindow(now);
  bool ok = ReadWindow(ctx, window, &result.error);
  if (ok) watermark_ = TimePoint(std::chrono::seconds(window.to_s));
  // Messages still in flight that arrived before this window: read their
  // arrival range again so later status changes and attempts are counted.
  if (ok) {
    if (auto oldest = state_.OldestOpenArrivalMs(); oldest && *oldest / 1000 < window.from_s) {
      ok = ReadWindow(ctx, Window{*oldest / 1000, window.from_s}, &result.error);
    }
    if (ok) open_current_as_of_ = now;
  }
  state_.Evict(ctx.clock.Now());
  result.success = ok;
  result.watermark = watermark_;
  return result;
}

std::string JetEmailCollector::EncodeState() const { return EncodeCollectorBlob(kStateTag, watermark_, state_); }

bool JetEmailCollector::RestoreState(std::string_view blob) { return DecodeCollectorBlob(blob, kStateTag, watermark_, state_); }

std::vector<PartWatermark> JetEmailCollector::part_watermarks() const {
  std::vector<PartWatermark> parts;
  if (watermark_) parts.push_back({"new", *watermark_});
  if (open_current_as_of_) parts.push_back({"open", *open_current_as_of_});
  return parts;
}

void JetEmailCollector::ExportMetrics(metrics::MetricSet& out) const { state_.ExportMetrics(out); }

}  // namespace ele
