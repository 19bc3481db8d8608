// Wiring of one running exporter: the configuration, one AccountWorker per
// configured account, and the MetricsHub they publish to. Reload() swaps in
// a new configuration under a lock; a bad one is refused and the old one
// keeps running. Accounts whose settings did not change keep their worker;
// changed ones keep their state when they are still the same account.
// Thread-safe.
#pragma once

#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/base/error.h"
#include "exporter/collect/account_worker.h"
#include "exporter/collect/persistent_state.h"
#include "exporter/base/clock.h"
#include "exporter/config/config.h"
#include "exporter/http/http_client.h"
#include "exporter/metrics/metrics_hub.h"
#include "exporter/state/state_file.h"

namespace ele {

class ExporterApp {
 public:
  using HttpClientFactory = std::function<std::unique_ptr<HttpClient>()>;

  ExporterApp(std::string config_path, Clock& clock, HttpClientFactory http_factory);
  ~ExporterApp();

  // Loads the configuration and starts every account; the error is one line.
  Result<void> Start();
  Result<void> Reload();
  void Stop();

  // Every account finished its first cycle; else why not.
  Result<void> Ready() const;
  std::vector<AccountStatus> Statuses() const;
  metrics::MetricsHub& hub() { return hub_; }
  std::string RenderLandingPage() const;

 private:
  using Workers = std::map<std::string, std::unique_ptr<AccountWorker>>;
  void Apply(Config config);
  template <typename ProviderCollector, typename Account>
  void AdoptOrStart(Workers& previous, std::string_view provider, const Account* old_account, const Account& account,
                    bool same_collection);
  template <typename ProviderCollector, typename Account>
  std::unique_ptr<Collector> Restored(const std::string& key, const Account& account);
  std::unique_ptr<AccountWorker> MakeWorker(std::unique_ptr<Collector> collector, int requests_per_minute,
                                            int detail_requests_per_minute);
  void OpenStateFile(const std::string& path);
  bool SaveState(const Collector& collector);  // false when the save failed (logged and counted)
  void RecordReload(bool ok);

  std::string config_path_;
  Clock& clock_;
  HttpClientFactory http_factory_;
  metrics::MetricsHub hub_;

  mutable std::mutex mutex_;  // guards everything below; held during reload
  std::optional<Config> config_;
  std::shared_ptr<StateFile> state_file_;  // null: memory only
  Workers workers_;  // by provider/account
};

}  // namespace ele
