#include "exporter/collect/api_caller.h"

#include <algorithm>
#include <charconv>

#include "exporter/config/duration.h"
#include "exporter/base/logger.h"
#include "exporter/metrics/catalogue.h"

namespace ele {

namespace {
constexpr std::chrono::milliseconds kBackoffBase{1000};
constexpr std::chrono::milliseconds kBackoffCap{5 * 60 * 1000};
}  // namespace

long long ParseRetryAfterSeconds(const HttpResponse& response) {
  const std::string* value = response.Header("retry-after");
  if (value == nullptr || value->empty()) return -1;
  long long seconds = -1;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (ec != std::errc() || end != value->data() + value->size() || seconds < 0) return -1;
  return seconds;
}

ApiCaller::ApiCaller(std::string provider, std::string account, HttpClient& http, Clock& clock, const StopSignal& stop,
                     RequestBudget& budget, metrics::MetricSet& self_metrics, unsigned seed, std::mutex* self_mutex)
    : provider_(std::move(provider)), account_(std::move(account)), http_(http), clock_(clock), stop_(stop),
      budget_(budget), self_(self_metrics), self_mutex_(self_mutex), backoff_(kBackoffBase, kBackoffCap, seed) {}

bool ApiCaller::WaitForSlot() {
  for (;;) {
    const TimePoint now = clock_.Now();
    const TimePoint slot = budget_.NextSlot(now);
    if (slot <= now) {
      budget_.Record(now);
      return !stop_.stopped();
    }
    if (!clock_.SleepUntil(slot, stop_)) return false;
  }
}

void ApiCaller::Record(const Result<HttpResponse>& response, double seconds) {
  const std::string code = response ? std::to_string(response->status) : "error";
  const std::unique_lock<std::mutex> lock = LockIfShared(self_mutex_);
  self_.Inc(metrics::kApiRequestsTotal, {provider_, account_, code});
  self_.Observe(metrics::kApiRequestDuration, {provider_, account_}, seconds);
}

bool ApiCaller::ShouldRetry(const Result<HttpResponse>& response, int attempt) {
  const TimePoint now = clock_.Now();
  if (response && response->status == 429) {
    const long long retry_after = ParseRetryAfterSeconds(*response);
    const auto wait = retry_after >= 0 ? std::chrono::milliseconds(std::min<long long>(retry_after, kMaxRetryAfter.count()) * 1000)
                                       : backoff_.Delay(attempt);
    budget_.BlockUntil(now + wait);
    LogWarn("rate limited by the API; pausing this account's requests",
            {{"provider", provider_}, {"account", account_}, {"wait", FormatDuration(std::chrono::duration_cast<Duration>(wait))},
             {"retry_after_header", retry_after >= 0 ? "yes" : "no"}});
    return true;
  }
  const bool transient = !response || response->status >= 500;
  if (!transient) return false;
  budget_.BlockUntil(now + backoff_.Delay(attempt));
  return true;
}

Result<HttpResponse> ApiCaller::Get(const HttpRequest& request) {
  Result<HttpResponse> response;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (!WaitForSlot()) return Fail("stopping");
    const auto started = std::chrono::steady_clock::now();
    response = http_.Get(request);
    Record(response, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    const std::string* remaining = response ? response->Header("x-ratelimit-remaining") : nullptr;
    if (remaining != nullptr && *remaining == "0") {
      // The quota is spent (by us or by the customer's other tools sharing
      // it): rather than collect a 429, wait until our oldest request of the
      // last minute has left the provider's rolling window. Should others
      // have used it meanwhile, the 429 that follows backs off as usual.
      budget_.BlockUntil(budget_.OldestLeavesWindow(clock_.Now()));
    }
    if (response && response->ok()) return response;
    if (attempt + 1 == kMaxAttempts || !ShouldRetry(response, attempt)) return response;
    LogDebug("retrying API request", {{"provider", provider_}, {"account", account_},
                                      {"status", response ? std::to_string(response->status) : response.error().message}});
  }
  return response;
}

}  // namespace ele
