// Runs one account's collection cycles on its own thread, every
// collection.interval, so that a slow or failing account never delays the
// others. After each cycle it updates the self-metrics and publishes a
// snapshot to the MetricsHub. Start/Stop are for the owner's thread;
// status() may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "exporter/base/account_status.h"
#include "exporter/collect/collector.h"
#include "exporter/collect/api_caller.h"
#include "exporter/base/clock.h"
#include "exporter/collect/request_budget.h"
#include "exporter/config/duration.h"
#include "exporter/http/http_client.h"
#include "exporter/metrics/metrics_hub.h"

namespace ele {

struct WorkerOptions {
  Duration interval = std::chrono::seconds(60);
  int requests_per_minute = 60;
  int detail_requests_per_minute = 0;  // a second endpoint's own budget; 0: none
};

class AccountWorker {
 public:
  // Called after every cycle, before publishing; the state file hooks in here.
  // Runs after each cycle, before it is published; returns whether the
  // collector's counts are durable (saved, or nothing to save).
  using AfterCycle = std::function<bool(const Collector&, const CycleResult&)>;

  // With `detail_http`, the detail endpoint's calls use that client, and a
  // collector may overlap them with a call of the main endpoint
  // (CycleContext::overlap_list_calls); without it both share `http`, one
  // call at a time (tests on a ManualClock).
  AccountWorker(std::unique_ptr<Collector> collector, WorkerOptions options, Clock& clock,
                std::unique_ptr<HttpClient> http, metrics::MetricsHub& hub, AfterCycle after_cycle = nullptr,
                std::unique_ptr<HttpClient> detail_http = nullptr);
  ~AccountWorker();
  AccountWorker(const AccountWorker&) = delete;
  AccountWorker& operator=(const AccountWorker&) = delete;

  void Start();
  void Stop();          // wakes any wait, interrupts nothing mid-request, joins
  void RunOneCycle();   // synchronous; for tests and for Start()'s loop
  AccountStatus status() const;
  const std::string& key() const { return key_; }
  Collector& collector() { return *collector_; }
  // After Stop(): hands the collector (and its state) to a new worker.
  std::unique_ptr<Collector> ReleaseCollector() { return std::move(collector_); }

  static std::string KeyOf(std::string_view provider, std::string_view account);

 private:
  void Loop();
  void PreCreateSelfMetrics();
  // A cycle whose counts are not durable shows the counts of the last one
  // that was (with its own self-metrics): a crash could take newer ones back.
  void Publish(bool counts_durable = true);

  std::unique_ptr<Collector> collector_;
  WorkerOptions options_;
  Clock& clock_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<HttpClient> detail_http_;  // null: the detail calls share http_
  metrics::MetricsHub& hub_;
  AfterCycle after_cycle_;
  std::string provider_;
  std::string account_;
  std::string key_;  // provider/account

  StopSignal stop_;
  RequestBudget budget_;
  metrics::MetricSet self_;
  std::optional<metrics::MetricSet> durable_counts_;  // the collector's, as of the last durable cycle
  std::mutex self_mutex_;  // self_ while a cycle overlaps calls on two threads
  ApiCaller api_;
  RequestBudget detail_budget_;
  ApiCaller detail_api_;
  std::thread thread_;

  mutable std::mutex status_mutex_;
  AccountStatus status_;
};

}  // namespace ele
