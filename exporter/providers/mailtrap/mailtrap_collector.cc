#include "exporter/providers/mailtrap/mailtrap_collector.h"

#include <algorithm>
#include <future>
#include <system_error>

#include "exporter/http/url.h"
#include "exporter/base/logger.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/snapshot/mailtrap_snapshot.h"
#include "exporter/state/mailtrap_state_codec.h"
#include "exporter/providers/mailtrap/mailtrap_time.h"
#include "exporter/providers/mailtrap/mailtrap_wire.h"

namespace ele {
namespace {


MailtrapStateOptions StateOptions(const MailtrapAccount& account, const CollectionConfig& collection) {
  return MailtrapStateOptions{account.name, collection.lookback + collection.overlap, collection.label_value_limit,
                              collection.max_tracked_messages, account.categories, account.events};
}


// Filters of the rolling refresh: together they cover every message whose
// list entry can still change once it is final (README, "Mailtrap request
// budget", says why).
const char* const kRefreshFilters[] = {
    "&filters[opens_count][operator]=greater_than&filters[opens_count][value]=0",
    ("&filters[clicks_count][operator]=greater_than&filters[clicks_count][value]=0"  // one read, two conditions
     "&filters[opens_count][operator]=equal&filters[opens_count][value]=0"),
    "&filters[status][operator]=equal&filters[status][value]=opted_out",
};

// Stragglers were seen `enqueued`; those still enqueued have nothing new.
constexpr const char* kNotEnqueuedFilter = "&filters[status][operator]=not_equal&filters[status][value]=enqueued";

}  // namespace

MailtrapCollector::MailtrapCollector(MailtrapAccount account, CollectionConfig collection)
    : account_(std::move(account)), collection_(collection), state_(StateOptions(account_, collection_)) {}

bool MailtrapCollector::Reconfigure(const MailtrapAccount& account, const CollectionConfig& collection) {
  if (account.name != account_.name || account.base_url != account_.base_url || account.account_id != account_.account_id ||
      account.categories != account_.categories) {
    return false;
  }
  account_ = account;
  collection_ = collection;
  state_.set_options(StateOptions(account_, collection_));
  return true;
}

// A budget's share of one cycle, at least one request.
int MailtrapCollector::PerCycle(int requests_per_minute) const {
  const auto per_cycle = requests_per_minute * collection_.interval.count() / 60'000;
  return static_cast<int>(std::max<long long>(1, per_cycle));
}

// `path` under the base URL, with "{account_id}" filled in.
std::string MailtrapCollector::AccountUrl(std::string path) const {
  if (const size_t at = path.find("{account_id}"); at != std::string::npos) path.replace(at, 12, std::to_string(account_.account_id));
  return account_.base_url + path;
}

// The list endpoint; the detail endpoint is below it.
std::string MailtrapCollector::EmailLogsUrl() const { return AccountUrl(account_.email_logs_path); }

HttpRequest MailtrapCollector::Request(std::string url) const {
  return HttpRequest{std::move(url), {{"Api-Token", account_.token.Reveal()}, {"Accept", "application/json"}}, collection_.request_timeout};
}

std::string MailtrapCollector::ListUrl(const Read& read) const {
  std::string url = EmailLogsUrl() + "?filters[sent_after]=" + PercentEncode(mailtrap::FormatIso8601Ms(read.from_ms)) +
                    "&filters[sent_before]=" + PercentEncode(mailtrap::FormatIso8601Ms(read.to_ms)) + read.filter;
  if (read.cursor) url += "&search_after=" + PercentEncode(*read.cursor);
  return url;
}

std::string MailtrapCollector::DescribeHttpError(const HttpResponse& response) const {
  std::string text = "HTTP " + std::to_string(response.status);
  if (response.status == 401) text += ": the api token was refused";
  if (response.status == 403) text += ": the token has no access to account_id " + std::to_string(account_.account_id);
  if (response.status == 404) text += ": not found; account_id " + std::to_string(account_.account_id) + " is probably wrong";
  if (response.status == 429) text += ": rate limited; backing off";
  const std::string api_message = mailtrap::ParseErrorMessage(response.body);
  if (!api_message.empty()) text += " (API says: " + api_message + ")";
  return text;
}

Result<MailtrapCollector::Step> MailtrapCollector::Continue(CycleContext& ctx, Read& read, int max_pages, int* pages_used) {
  for (int i = 0; i < kMaxPagesPerRead; ++i) {
    if (*pages_used >= max_pages) return Step::kPaused;
    ++*pages_used;
    const HttpRequest request = Request(ListUrl(read));
    const Result<HttpResponse> response = ListGet(ctx, request);
    if (!response) return std::unexpected(response.error().Within("request failed"));
    if (!response->ok()) {
      const std::string error = DescribeHttpError(*response);
      if (response->status == 400 && read.cursor) read.cursor.reset();  // a cursor that aged out: restart this read
      if (response->status == 401 || response->status == 403 || response->status == 404) {
        LogError("Mailtrap refused the request", {{"provider", "mailtrap"}, {"account", account_.name}, {"error", error}});
      }
      return Fail(error);
    }
    auto page = mailtrap::ParseListPage(response->body);
    if (!page) {
      ctx.CountParseError("mailtrap", account_.name);
      return std::unexpected(page.error().Within("response was not the documented JSON"));
    }
    const std::uint64_t before = state_.changes();
    state_.ApplyPage(page->messages, domain_names_, ctx.clock.Now());
    list_changes_ += state_.changes() - before;  // detail work changes the state too, but is no list activity
    // An empty page ends the read even with a non-zero total_count.
    if (!page->next_page_cursor || page->messages.empty()) return Step::kDone;
    if (page->next_page_cursor == read.cursor) {
      // The same page again, and again: a read that would only end at
      // kMaxPagesPerRead, hours of the budget later. It starts over next cycle.
      read.cursor.reset();
      return Fail("the API answered the cursor it was given as next_page_cursor; the read starts over");
    }
    read.cursor = page->next_page_cursor;
  }
  return Fail("more than " + std::to_string(kMaxPagesPerRead) + " pages in one read");
}

Result<std::vector<mailtrap::SendingDomain>> MailtrapCollector::FetchSendingDomains(CycleContext& ctx) const {
  const HttpRequest request = Request(AccountUrl(account_.sending_domains_path));
  const Result<HttpResponse> response = ctx.api.Get(request);
  if (!response) return std::unexpected(response.error().Within("request failed"));
  if (!response->ok()) return Fail(DescribeHttpError(*response));
  return mailtrap::ParseSendingDomains(response->body);
}

void MailtrapCollector::RefreshDomains(CycleContext& ctx) {
  const TimePoint now = ctx.clock.Now();
  if (domains_fetched_at_ && now - *domains_fetched_at_ < kDomainRefresh) return;
  domains_fetched_at_ = now;  // a failure is retried after the same hour, not every cycle
  const auto domains = FetchSendingDomains(ctx);
  if (!domains && domains_listed_at_ && now - *domains_listed_at_ > kDomainHealthValidity) {
    sending_domains_.clear();  // no series rather than a verification state from hours ago
  }
  if (!domains) {
    LogWarn("could not list sending domains; labelling domains by id",
            {{"provider", "mailtrap"}, {"account", account_.name}, {"error", domains.error().message}});
    return;
  }
  for (const auto& d : *domains) domain_names_[d.id] = d.name;
  sending_domains_ = *domains;
  domains_listed_at_ = now;
}

bool MailtrapCollector::StartRefreshPass(TimePoint now, std::int64_t new_window_from_ms) {
  const std::int64_t from = ToUnixMillis(now - collection_.lookback);
  if (new_window_from_ms <= from) return false;
  refresh_reads_.clear();
  for (const char* filter : kRefreshFilters) refresh_reads_.push_back(Read{filter, from, new_window_from_ms, std::nullopt});
  std::reverse(refresh_reads_.begin(), refresh_reads_.end());  // consumed from the back
  refresh_pass_started_ = now;
  return true;
}

// Two list-call spacings: the new-message read takes at least one call, so
// running it more often than this would leave parts 2 and 3 nothing.
Duration MailtrapCollector::NewReadSpacing() const {
  return 2 * Duration(std::chrono::minutes(1)) / std::max(1, account_.requests_per_minute);
}

Result<std::int64_t> MailtrapCollector::ReadNew(CycleContext& ctx, TimePoint now, int* used) {
  // A short interval: the read waits (its window grows by as much), and the
  // cycles between spend the share on the older parts.
  if (!new_read_ && last_new_read_from_ms_ && now - *watermark_ < NewReadSpacing()) return *last_new_read_from_ms_;
  if (!new_read_) {
    const TimePoint earliest = now - collection_.lookback;
    const TimePoint from = watermark_ ? std::max(earliest, *watermark_ - collection_.overlap) : earliest;
    new_read_ = Read{"", ToUnixMillis(from), ToUnixMillis(now), std::nullopt};
  }
  // First in value: it takes every page it needs, whatever the allowance.
  // Never paused: no page limit.
  if (auto step = Continue(ctx, *new_read_, INT32_MAX, used); !step) return std::unexpected(step.error());
  const std::int64_t covered_from = new_read_->from_ms;
  watermark_ = FromUnixMillis(new_read_->to_ms);
  last_new_read_from_ms_ = covered_from;
  new_read_.reset();
  return covered_from;
}

Result<void> MailtrapCollector::ReadStragglers(CycleContext& ctx, TimePoint now, std::int64_t covered_from, int allowance, int* used) {
  if (!straggler_read_) {
    const auto oldest = state_.OldestEnqueuedSentAtMs();
    if (!oldest || *oldest >= covered_from) {
      stragglers_current_as_of_ = now;
      return {};
    }
    // Only what left `enqueued` can have changed; the filter skips the rest.
    straggler_read_ = Read{kNotEnqueuedFilter, *oldest, covered_from, std::nullopt};
    straggler_read_started_ = now;
  }
  int pages = 0;
  const Result<Step> step = Continue(ctx, *straggler_read_, std::max(1, allowance - *used), &pages);
  *used += pages;
  if (!step) return std::unexpected(step.error());
  if (*step == Step::kDone) {
    straggler_read_.reset();
    stragglers_current_as_of_ = straggler_read_started_;
  }
  return {};
}

Result<void> MailtrapCollector::ReadRefresh(CycleContext& ctx, TimePoint now, std::int64_t covered_from, int allowance, int* used) {
  if (refresh_reads_.empty()) {
    // Paced: a pass costs at least one call per filter, which an idle
    // account would otherwise pay every cycle.
    if (refresh_current_as_of_ && now - refresh_pass_started_ < RefreshWait()) return {};
    if (!StartRefreshPass(now, covered_from)) {
      refresh_current_as_of_ = refresh_pass_started_ = now;  // the new-message read alone covers the lookback
      return {};
    }
    refresh_pass_found_change_ = false;
  }
  while (!refresh_reads_.empty() && *used < allowance) {
    int pages = 0;
    const std::uint64_t changes_before = list_changes_;
    const Result<Step> step = Continue(ctx, refresh_reads_.back(), allowance - *used, &pages);
    *used += pages;
    refresh_pass_found_change_ |= list_changes_ != changes_before;
    if (!step) return std::unexpected(step.error());
    if (*step == Step::kPaused) break;
    refresh_reads_.pop_back();
  }
  if (refresh_reads_.empty()) {
    refresh_current_as_of_ = refresh_pass_started_;
    refresh_backoff_ = refresh_pass_found_change_ ? 1 : std::min(2 * refresh_backoff_, kMaxRefreshBackoff);
  }
  return {};
}

Duration MailtrapCollector::RefreshWait() const { return account_.refresh_interval * refresh_backoff_; }

void MailtrapCollector::WarnIfBehind(TimePoint now) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  struct Part {
    const char* name;
    std::optional<TimePoint> current_as_of;
    Duration tolerated;
  };
  const Part parts[] = {
      {"enqueued", stragglers_current_as_of_, std::max<Duration>(10 * collection_.interval, std::chrono::minutes(5))},
      {"refresh", refresh_current_as_of_, account_.refresh_interval * kMaxRefreshBackoff + collection_.lookback / 4},
      {"events", details_current_as_of_, std::max<Duration>(10 * collection_.interval, std::chrono::minutes(5))},
  };
  for (const Part& part : parts) {
    if (!part.current_as_of || now - *part.current_as_of <= part.tolerated) continue;
    if (!behind_warning_.Open(now)) return;
    LogWarn("the request budget cannot keep up; changes of older messages are counted late (see email_logs_exporter_part_lag_seconds)",
            {{"provider", "mailtrap"}, {"account", account_.name}, {"part", part.name},
             {"lag_seconds", static_cast<long long>(duration_cast<seconds>(now - *part.current_as_of).count())}});
    return;
  }
}


// A list call, with detail calls in the moments it would leave the detail
// budget idle (README, "Mailtrap events"): while it waits for its slot of
// the list budget, and while it is in flight when the worker lets it run on
// a second thread (ctx.overlap_list_calls; the detail calls then use their
// own HTTP client). Either way a list call waits for at most one detail
// call.
Result<HttpResponse> MailtrapCollector::ListGet(CycleContext& ctx, const HttpRequest& request) {
  try {
    if (!ctx.overlap_list_calls || ctx.detail_api == nullptr) {
      FetchDetailsBefore(ctx, ctx.api.budget().NextSlot(ctx.clock.Now()));
      return ctx.api.Get(request);
    }
    std::future<Result<HttpResponse>> call;
    try {
      call = std::async(std::launch::async, [&ctx, &request] { return ctx.api.Get(request); });
    } catch (const std::system_error&) {  // no thread to be had: one call at a time
      return ctx.api.Get(request);
    }
    // A detail call starts only once its slot is due, so a list reply that
    // arrives meanwhile is taken at once.
    while (state_.pending_details() > 0 && !detail_error_) {
      if (call.wait_until(ctx.detail_api->budget().NextSlot(ctx.clock.Now())) == std::future_status::ready) break;
      if (!FetchOneDetail(ctx)) break;
    }
    return call.get();
  } catch (const std::exception& e) {  // allocation failure: this cycle fails, the next reads the same window
    return Fail(std::string("list call failed: ") + e.what());
  }
}

// Details while a detail call can start before `deadline`.
void MailtrapCollector::FetchDetailsBefore(CycleContext& ctx, TimePoint deadline) {
  while (ctx.detail_api != nullptr && ctx.detail_api->budget().NextSlot(ctx.clock.Now()) < deadline && FetchOneDetail(ctx)) {
  }
}

// Fetches the front of the detail queue: false when there was nothing to
// fetch (no detail budget, an empty queue, or a failure earlier in this
// cycle, which stops the details until the next; the list reads go on).
bool MailtrapCollector::FetchOneDetail(CycleContext& ctx) {
  if (ctx.detail_api == nullptr || detail_error_) return false;
  const std::optional<PendingDetail> next = state_.NextDetail();
  if (!next) return false;
  const Result<void> fetched = FetchDetail(ctx, *next);
  if (!fetched) detail_error_ = fetched.error();
  return fetched.has_value();
}

Result<void> MailtrapCollector::FetchDetail(CycleContext& ctx, const PendingDetail& next) {
  const HttpRequest request = Request(EmailLogsUrl() + "/" + PercentEncode(next.message_id));
  const Result<HttpResponse> response = ctx.detail_api->Get(request);
  if (!response) return std::unexpected(response.error().Within("message detail: request failed"));
  if (response->status == 404) {  // aged out of retention: nothing left to count
    LogDebug("message detail gone (404); dropped", {{"provider", "mailtrap"}, {"account", account_.name}});
    state_.DropDetail();
    return {};
  }
  if (!response->ok()) return Fail("message detail: " + DescribeHttpError(*response));
  auto detail = mailtrap::ParseMessageDetail(response->body);
  if (!detail) {
    ctx.CountParseError("mailtrap", account_.name);
    state_.PostponeDetail();
    return std::unexpected(detail.error().Within("message detail was not the documented JSON"));
  }
  state_.ApplyDetail(*detail);
  return {};
}

void MailtrapCollector::NoteDetailsCurrent(TimePoint now) {
  const std::optional<PendingDetail> next = state_.NextDetail();
  details_current_as_of_ = next ? FromUnixMillis(next->queued_at_ms) : now;
}

CycleResult MailtrapCollector::RunCycle(CycleContext& ctx) {
  CycleResult result;
  const TimePoint now = ctx.clock.Now();
  detail_error_.reset();
  RefreshDomains(ctx);
  const int allowance = PerCycle(account_.requests_per_minute);
  int used = 0;
  const std::uint64_t changes_before = list_changes_;
  const Result<std::int64_t> covered_from = ReadNew(ctx, now, &used);
  if (!covered_from) result.outcome = std::unexpected(covered_from.error());
  if (result.success()) result.outcome = ReadStragglers(ctx, now, *covered_from, allowance, &used);
  // New or newly delivered messages bring opens and clicks: refresh at the
  // configured pace again.
  if (list_changes_ != changes_before) refresh_backoff_ = 1;
  if (result.success()) result.outcome = ReadRefresh(ctx, now, *covered_from, allowance, &used);
  if (result.success()) {
    // The rest of the interval, up to the next cycle, is the details' too.
    state_.QueueLongEnqueued(ctx.clock.Now());
    FetchDetailsBefore(ctx, now + collection_.interval);
    if (detail_error_) result.outcome = std::unexpected(*detail_error_);
  }
  if (ctx.detail_api != nullptr) NoteDetailsCurrent(ctx.clock.Now());
  WarnIfBehind(now);
  state_.Evict(ctx.clock.Now());
  result.watermark = watermark_;
  return result;
}

CollectorStatus MailtrapCollector::Status() const {
  CollectorStatus status{"mailtrap", account_.name, watermark_, {}, state_.tracked()};
  if (watermark_) status.parts.push_back({"new", *watermark_});
  if (stragglers_current_as_of_) status.parts.push_back({"enqueued", *stragglers_current_as_of_});
  if (refresh_current_as_of_) status.parts.push_back({"refresh", *refresh_current_as_of_});
  if (details_current_as_of_) status.parts.push_back({"events", *details_current_as_of_});
  return status;
}

std::string MailtrapCollector::EncodeState() const { return MailtrapStateCodec::Encode(state_, watermark_); }

Result<void> MailtrapCollector::RestoreState(std::string_view blob) {
  if (!MailtrapStateCodec::Decode(blob, &state_, &watermark_)) return Fail("the saved Mailtrap state is malformed or of an unknown layout");
  return {};
}

void MailtrapCollector::Snapshot(metrics::MetricSet& out) const {
  AddMailtrapSeries(state_, out);
  AddSendingDomainSeries(account_.name, sending_domains_, out);
}

}  // namespace ele
