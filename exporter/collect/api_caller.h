// Every API request of an account goes through its ApiCaller: it waits for a
// slot of the account's request budget, sends, records the self-metrics, and
// retries what is worth retrying (429, 5xx, transport errors) with backoff.
// A 429 blocks the whole budget until Retry-After (at most kMaxRetryAfter;
// or a jittered backoff when the API gives none); `X-Ratelimit-Remaining: 0`
// does the same for a minute. One ApiCaller per account worker; not
// thread-safe.
#pragma once

#include <mutex>
#include <string>

#include "exporter/base/clock.h"
#include "exporter/collect/request_budget.h"
#include "exporter/http/http_client.h"
#include "exporter/metrics/metric_set.h"

namespace ele {

class ApiCaller {
 public:
  static constexpr int kMaxAttempts = 3;
  // Both APIs limit by the minute: a Retry-After far past that is a wrong
  // header, and must not silence an account for days.
  static constexpr std::chrono::seconds kMaxRetryAfter{15 * 60};

  // `self_mutex`, when given, guards the writes to `self_metrics` (another
  // thread writes them too).
  ApiCaller(std::string provider, std::string account, HttpClient& http, Clock& clock, const StopSignal& stop,
            RequestBudget& budget, metrics::MetricSet& self_metrics, unsigned seed, std::mutex* self_mutex = nullptr);

  // The final answer after retries; an Error when none came (the transport
  // failed every attempt, or the worker is stopping: then stopped() is true).
  Result<HttpResponse> Get(const HttpRequest& request);
  bool stopped() const { return stop_.stopped(); }
  RequestBudget& budget() { return budget_; }

 private:
  bool WaitForSlot();
  void Record(const Result<HttpResponse>& response, double seconds);
  // After a failed attempt: how long to wait; false when not worth retrying.
  bool ShouldRetry(const Result<HttpResponse>& response, int attempt);

  std::string provider_, account_;
  HttpClient& http_;
  Clock& clock_;
  const StopSignal& stop_;
  RequestBudget& budget_;
  metrics::MetricSet& self_;
  std::mutex* self_mutex_;
  Backoff backoff_;
};

// A lock of `mutex`, or none when there is no mutex (one thread only).
inline std::unique_lock<std::mutex> LockIfShared(std::mutex* mutex) {
  return mutex != nullptr ? std::unique_lock<std::mutex>(*mutex) : std::unique_lock<std::mutex>();
}

// "Retry-After" as seconds; -1 when absent or not a number of seconds.
long long ParseRetryAfterSeconds(const HttpResponse& response);

}  // namespace ele
