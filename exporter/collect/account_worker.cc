#include "exporter/collect/account_worker.h"

#include <functional>

#include "exporter/base/logger.h"
#include "exporter/metrics/catalogue.h"

namespace ele {
namespace {

// Codes exported at 0 from the start, so alerts on 401/429/5xx see a series.
constexpr const char* kKnownCodes[] = {"200", "401", "403", "404", "429", "500", "502", "503", "error"};

unsigned SeedFor(const std::string& key) { return static_cast<unsigned>(std::hash<std::string>{}(key)); }

}  // namespace

std::string AccountWorker::KeyOf(std::string_view provider, std::string_view account) {
  return std::string(provider) + "/" + std::string(account);
}

AccountWorker::AccountWorker(std::unique_ptr<Collector> collector, WorkerOptions options, Clock& clock,
                             std::unique_ptr<HttpClient> http, metrics::MetricsHub& hub, AfterCycle after_cycle,
                             std::unique_ptr<HttpClient> detail_http)
    : collector_(std::move(collector)),
      options_(options),
      clock_(clock),
      http_(std::move(http)),
      detail_http_(std::move(detail_http)),
      hub_(hub),
      after_cycle_(std::move(after_cycle)),
      provider_(collector_->Status().provider),
      account_(collector_->Status().account),
      key_(KeyOf(provider_, account_)),
      budget_(options.requests_per_minute),
      api_(provider_, account_, *http_, clock_, stop_, budget_, self_, SeedFor(key_), &self_mutex_),
      detail_budget_(options.detail_requests_per_minute),
      detail_api_(provider_, account_, detail_http_ ? *detail_http_ : *http_, clock_, stop_, detail_budget_, self_, SeedFor(key_) + 1,
                  &self_mutex_) {
  status_.provider = provider_;
  status_.account = account_;
  status_.budget_limit = options.requests_per_minute;
  PreCreateSelfMetrics();
  Publish();
}

AccountWorker::~AccountWorker() { Stop(); }

void AccountWorker::PreCreateSelfMetrics() {
  const metrics::LabelValues labels = {provider_, account_};
  for (const metrics::Desc* d : {&metrics::kUp, &metrics::kCollectionDuration, &metrics::kLastSuccess, &metrics::kLag,
                                 &metrics::kParseErrorsTotal, &metrics::kTrackedMessages}) {
    self_.At(*d, labels);
  }
  self_.At(metrics::kApiRequestDuration, labels);
  for (const char* code : kKnownCodes) self_.At(metrics::kApiRequestsTotal, {provider_, account_, code});
}

void AccountWorker::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void AccountWorker::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

void AccountWorker::Loop() {
  TimePoint next = clock_.Now();
  while (clock_.SleepUntil(next, stop_)) {
    const TimePoint started = clock_.Now();
    RunOneCycle();
    next = started + options_.interval;
  }
}

void AccountWorker::RunOneCycle() {
  const auto steady_start = std::chrono::steady_clock::now();
  CycleContext ctx{clock_, api_, self_, options_.detail_requests_per_minute > 0 ? &detail_api_ : nullptr, detail_http_ != nullptr,
                   &self_mutex_};
  CycleResult result = collector_->RunCycle(ctx);
  if (stop_.stopped() && !result.success()) return;  // interrupted, not failed: publish nothing new
  const TimePoint ended = clock_.Now();
  const metrics::LabelValues labels = {provider_, account_};
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - steady_start).count();
  const CollectorStatus collector = collector_->Status();
  self_.Set(metrics::kUp, labels, result.success() ? 1 : 0);
  self_.Set(metrics::kCollectionDuration, labels, seconds);
  if (result.success()) self_.Set(metrics::kLastSuccess, labels, ToUnixSeconds(ended));
  const std::optional<TimePoint>& watermark = collector.watermark;
  if (watermark) self_.Set(metrics::kLag, labels, std::chrono::duration<double>(ended - *watermark).count());
  for (const PartWatermark& part : collector.parts) {
    self_.Set(metrics::kPartLag, {provider_, account_, std::string(part.part)},
              std::chrono::duration<double>(ended - part.current_as_of).count());
  }
  self_.Set(metrics::kTrackedMessages, labels, static_cast<double>(collector.tracked_messages));
  if (!result.success()) {
    LogWarn("collection cycle failed; the same window is read again next cycle",
            {{"provider", provider_}, {"account", account_}, {"error", result.outcome.error().message}});
  } else {
    LogDebug("collection cycle done", {{"provider", provider_}, {"account", account_}, {"seconds", seconds}});
  }
  const bool durable = !after_cycle_ || after_cycle_(*collector_, result);
  {
    std::lock_guard lock(status_mutex_);
    status_.first_cycle_done = true;
    status_.up = result.success();
    if (result.success()) status_.last_success = ended;
    if (watermark) status_.lag_seconds = std::chrono::duration<double>(ended - *watermark).count();
    status_.last_error = result.success() ? "" : result.outcome.error().message;
    status_.budget_used = budget_.UsedInLastMinute(ended);
    status_.tracked_messages = collector.tracked_messages;
  }
  Publish(durable);
}

void AccountWorker::Publish(bool counts_durable) {
  if (counts_durable || !durable_counts_) {
    durable_counts_.emplace();
    collector_->Snapshot(*durable_counts_);
  }
  metrics::MetricSet snapshot = self_;
  durable_counts_->CopyInto(snapshot);
  hub_.Publish(key_, std::move(snapshot));
}

AccountStatus AccountWorker::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

}  // namespace ele
