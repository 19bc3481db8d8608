#include "exporter/app/exporter_app.h"

#include "exporter/base/logger.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/providers/jetemail/jetemail_collector.h"
#include "exporter/providers/mailtrap/mailtrap_collector.h"
#include "exporter/server/landing_page.h"

namespace ele {
namespace {

// Every collector this app runs is persistent too (AdoptOrStart makes them
// all from provider classes that are both); the worker knows only Collector.
const PersistentState& PersistenceOf(const Collector& collector) { return dynamic_cast<const PersistentState&>(collector); }

}  // namespace

ExporterApp::ExporterApp(std::string config_path, Clock& clock, HttpClientFactory http_factory)
    : config_path_(std::move(config_path)), clock_(clock), http_factory_(std::move(http_factory)) {}

ExporterApp::~ExporterApp() { Stop(); }

void ExporterApp::RecordReload(bool ok) {
  hub_.SetGlobal(metrics::kConfigReloadSuccessful, {}, ok ? 1 : 0);
  if (ok) hub_.SetGlobal(metrics::kConfigLastReloadSuccessTimestamp, {}, ToUnixSeconds(clock_.Now()));
}

void ExporterApp::OpenStateFile(const std::string& path) {
  if (path.empty()) {
    state_file_.reset();
    LogInfo("state_file is empty: state is kept in memory only; counters restart from zero after a restart");
    return;
  }
  if (state_file_ && state_file_->path() == path) return;
  state_file_ = std::make_shared<StateFile>(path);
  if (const Result<void> loaded = state_file_->Load(); !loaded) {
    LogError("state file could not be used", {{"error", loaded.error().message}});
    hub_.IncGlobal(metrics::kStateFileErrorsTotal, {"load"});
  }
}

bool ExporterApp::SaveState(const Collector& collector) {
  if (!state_file_) return true;
  const CollectorStatus status = collector.Status();
  const std::string key = AccountWorker::KeyOf(status.provider, status.account);
  if (const Result<void> saved = state_file_->Save(key, PersistenceOf(collector).EncodeState()); !saved) {
    LogError("state file not saved", {{"provider", std::string(status.provider)}, {"account", status.account}, {"error", saved.error().message}});
    hub_.IncGlobal(metrics::kStateFileErrorsTotal, {"save"});
    return false;
  }
  hub_.SetGlobal(metrics::kStateFileLastSave, {}, ToUnixSeconds(clock_.Now()));
  if (const std::optional<Error> compaction = state_file_->TakeCompactionError()) {
    LogWarn("state file journal not compacted; the journal keeps growing until a compaction succeeds",
            {{"error", compaction->message}});
    hub_.IncGlobal(metrics::kStateFileErrorsTotal, {"compact"});
  }
  return true;
}

Result<void> ExporterApp::Start() {
  auto config = LoadConfigFile(config_path_);
  if (!config) return std::unexpected(config.error());
  std::lock_guard lock(mutex_);
  OpenStateFile(config->state_file);
  Apply(std::move(*config));
  RecordReload(true);
  return {};
}

Result<void> ExporterApp::Reload() {
  auto config = LoadConfigFile(config_path_);
  if (!config) {
    LogError("configuration not reloaded; the previous one keeps running", {{"error", config.error().message}});
    RecordReload(false);
    return std::unexpected(config.error());
  }
  std::lock_guard lock(mutex_);
  OpenStateFile(config->state_file);
  Apply(std::move(*config));
  RecordReload(true);
  LogInfo("configuration reloaded", {{"file", config_path_}});
  return {};
}

std::unique_ptr<AccountWorker> ExporterApp::MakeWorker(std::unique_ptr<Collector> collector, int requests_per_minute,
                                                       int detail_requests_per_minute) {
  WorkerOptions options{config_->collection.interval, requests_per_minute, detail_requests_per_minute};
  // Saves before the worker publishes, so /metrics only ever shows counts
  // that a crash cannot take back. Skips cycles that changed nothing.
  auto saved_changes = std::make_shared<std::uint64_t>(PersistenceOf(*collector).changes());
  auto after_cycle = [this, saved_changes](const Collector& c, const CycleResult&) {
    const std::uint64_t changes = PersistenceOf(c).changes();
    if (changes == *saved_changes) return true;
    if (!SaveState(c)) return false;  // tried again after the next cycle; /metrics keeps the saved counts
    *saved_changes = changes;
    return true;
  };
  // A detail endpoint gets its own HTTP client, so its calls can go on
  // while a list call waits for its reply.
  auto worker = std::make_unique<AccountWorker>(std::move(collector), options, clock_, http_factory_(), hub_, after_cycle,
                                                options.detail_requests_per_minute > 0 ? http_factory_() : nullptr);
  worker->Start();
  return worker;
}

namespace {

bool SameCollection(const CollectionConfig& a, const CollectionConfig& b) {
  return a.interval == b.interval && a.lookback == b.lookback && a.overlap == b.overlap &&
         a.request_timeout == b.request_timeout && a.label_value_limit == b.label_value_limit &&
         a.max_tracked_messages == b.max_tracked_messages;
}

// The detail endpoint's budget: only Mailtrap has one, and only with events on.
int DetailBudgetOf(const JetEmailAccount&) { return 0; }
int DetailBudgetOf(const MailtrapAccount& account) {
  return account.events == EventsMode::kOff ? 0 : account.detail_requests_per_minute;
}

template <typename Account>
const Account* FindByName(const std::vector<Account>& accounts, const std::string& name) {
  for (const auto& a : accounts) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace

// A new collector for `account`, with its saved state when the state file
// has a usable one.
template <typename ProviderCollector, typename Account>
std::unique_ptr<Collector> ExporterApp::Restored(const std::string& key, const Account& account) {
  auto collector = std::make_unique<ProviderCollector>(account, config_->collection);
  const StateFile::BlobRef blob = state_file_ ? state_file_->Blob(key) : StateFile::BlobRef();
  if (blob.empty()) return collector;
  const CollectorStatus status = collector->Status();
  if (const Result<void> restored = collector->RestoreState(blob.bytes()); !restored) {
    LogError("saved state of this account is malformed; starting it afresh",
             {{"provider", std::string(status.provider)}, {"account", account.name}, {"error", restored.error().message}});
    hub_.IncGlobal(metrics::kStateFileErrorsTotal, {"load"});
    return std::make_unique<ProviderCollector>(account, config_->collection);
  }
  LogInfo("state restored", {{"provider", std::string(status.provider)}, {"account", account.name},
                             {"tracked_messages", static_cast<unsigned long>(collector->Status().tracked_messages)}});
  return collector;
}

template <typename ProviderCollector, typename Account>
void ExporterApp::AdoptOrStart(Workers& previous, std::string_view provider, const Account* old_account, const Account& account,
                               bool same_collection) {
  const std::string key = AccountWorker::KeyOf(provider, account.name);
  auto it = previous.find(key);
  if (it != previous.end() && same_collection && old_account != nullptr && *old_account == account) {
    workers_[key] = std::move(it->second);  // unchanged: keeps running undisturbed
    previous.erase(it);
    return;
  }
  std::unique_ptr<Collector> collector;
  if (it != previous.end()) {
    it->second->Stop();
    // A cycle stopped midway has counted what it has not saved; the new
    // worker publishes at once, and /metrics shows only what is saved.
    SaveState(it->second->collector());
    auto* old_collector = dynamic_cast<ProviderCollector*>(&it->second->collector());
    if (old_collector != nullptr && old_collector->Reconfigure(account, config_->collection)) {
      collector = it->second->ReleaseCollector();
    } else {
      LogInfo("account identity changed; its state starts afresh", {{"provider", std::string(provider)}, {"account", account.name}});
    }
    previous.erase(it);
  }
  if (!collector) collector = Restored<ProviderCollector>(key, account);
  workers_[key] = MakeWorker(std::move(collector), account.requests_per_minute, DetailBudgetOf(account));
}

void ExporterApp::Apply(Config config) {
  const std::optional<Config> old = std::move(config_);
  config_ = std::move(config);
  Workers previous = std::move(workers_);
  workers_.clear();
  const bool same_collection = old && SameCollection(old->collection, config_->collection);
  for (const auto& account : config_->jetemail) {
    AdoptOrStart<JetEmailCollector>(previous, "jetemail", old ? FindByName(old->jetemail, account.name) : nullptr, account, same_collection);
  }
  for (const auto& account : config_->mailtrap) {
    AdoptOrStart<MailtrapCollector>(previous, "mailtrap", old ? FindByName(old->mailtrap, account.name) : nullptr, account, same_collection);
  }
  for (auto& [key, worker] : previous) {
    worker->Stop();
    hub_.Remove(key);
    if (state_file_) (void)state_file_->Remove(key);  // a failed write is retried by the next save
    LogInfo("account removed from the configuration", {{"account", key}});
  }
}

void ExporterApp::Stop() {
  std::lock_guard lock(mutex_);
  for (auto& [key, worker] : workers_) {
    worker->Stop();
    SaveState(worker->collector());
  }
  workers_.clear();
}

Result<void> ExporterApp::Ready() const {
  std::lock_guard lock(mutex_);
  if (!config_) return Fail("configuration not loaded");
  int waiting = 0;
  for (const auto& [key, worker] : workers_) waiting += worker->status().first_cycle_done ? 0 : 1;
  if (waiting > 0) return Fail(std::to_string(waiting) + " account(s) have not finished their first collection cycle");
  return {};
}

std::vector<AccountStatus> ExporterApp::Statuses() const {
  std::lock_guard lock(mutex_);
  std::vector<AccountStatus> out;
  for (const auto& [key, worker] : workers_) out.push_back(worker->status());
  return out;
}

std::string ExporterApp::RenderLandingPage() const { return ele::RenderLandingPage(Statuses(), clock_.Now()); }

}  // namespace ele
