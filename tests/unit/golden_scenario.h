// The fixed scenario behind the golden /metrics files: one JetEmail and one
// Mailtrap account, each run for three cycles by a real AccountWorker on a
// manual clock, answered by a scripted HTTP client from the fixture pages in
// tests/testdata/golden/. Everything but the wall-clock timings is a
// function of those pages and the clock, so the rendered text is too.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "exporter/collect/account_worker.h"
#include "exporter/metrics/exposition.h"
#include "exporter/metrics/metrics_hub.h"
#include "exporter/providers/jetemail/jetemail_collector.h"
#include "exporter/providers/mailtrap/mailtrap_collector.h"
#include "tests/unit/scripted_http_client.h"

namespace ele::golden {

inline const std::string kFixtureDir = std::string(ELE_TESTDATA_DIR) + "/golden";
inline const TimePoint kStart = FromUnixMillis(1'767'225'600'000);  // 2026-01-01T00:00:00Z

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline std::string Fixture(const std::string& name) { return ReadFile(kFixtureDir + "/" + name); }

// What /metrics shows of one collector's own series (no self-metrics).
inline std::string RenderCollector(const Collector& collector) {
  metrics::MetricSet set;
  collector.Snapshot(set);
  const metrics::MetricSet* sets[] = {&set};
  return metrics::RenderText(sets);
}

inline JetEmailAccount GoldenJetEmailAccount() {
  JetEmailAccount account;
  account.name = "inbound";
  account.token = Secret("jet-golden-token");
  account.base_url = "http://jetemail.test";
  account.domains = {"a.example", "b.example", "c.example"};
  return account;
}

inline MailtrapAccount GoldenMailtrapAccount() {
  MailtrapAccount account;
  account.name = "shop";
  account.account_id = 42;
  account.token = Secret("mt-golden-token");
  account.base_url = "http://mailtrap.test";
  account.categories = {"order-shipped", "newsletter"};
  account.events = EventsMode::kAll;
  return account;
}

inline CollectionConfig GoldenCollection() {
  CollectionConfig collection;
  collection.interval = std::chrono::seconds(60);
  collection.label_value_limit = 3;  // small enough that the scenario folds a value into "other"
  return collection;
}

class Scenario {
 public:
  Scenario() : clock_(kStart) {}

  // Three JetEmail cycles a minute apart: new messages, a status change with
  // new actions, then a cycle whose domain query fails.
  std::string RunJetEmail(size_t cycles = 3) {
    auto collector = std::make_unique<JetEmailCollector>(GoldenJetEmailAccount(), GoldenCollection());
    jetemail_ = collector.get();
    std::vector<std::string> pages = {"jetemail_cycle1.json", "jetemail_cycle2.json", "jetemail_cycle3.json"};
    pages.resize(cycles);
    return Run(std::move(collector), pages, WorkerOptions{std::chrono::seconds(60), 60, 0});
  }
  // From this cycle on, the worker is told the state was not saved.
  size_t saves_fail_from_cycle = SIZE_MAX;

  // Three Mailtrap cycles with `events: all`: a first page and its details, a
  // second page with a status change, more opens and a new opted-out
  // message, then a cycle in which the list answers 500.
  std::string RunMailtrap() {
    auto collector = std::make_unique<MailtrapCollector>(GoldenMailtrapAccount(), GoldenCollection());
    mailtrap_ = collector.get();
    return Run(std::move(collector), {"mailtrap_list1.json", "mailtrap_list2.json", ""}, WorkerOptions{std::chrono::seconds(60), 30, 300});
  }

  std::map<std::string, std::string> SavedBlobs() const { return saved_; }

  // A new collector of the account `key` names, restored from `blob`.
  static Result<std::unique_ptr<Collector>> Restore(const std::string& key, const std::string& blob) {
    if (key.starts_with("jetemail/")) return RestoreInto(std::make_unique<JetEmailCollector>(GoldenJetEmailAccount(), GoldenCollection()), blob);
    return RestoreInto(std::make_unique<MailtrapCollector>(GoldenMailtrapAccount(), GoldenCollection()), blob);
  }

  std::string RenderLiveCollector(const std::string& key) const { return RenderCollector(Live(key)); }
  CollectorStatus LiveStatus(const std::string& key) const { return Live(key).Status(); }

 private:
  template <typename ProviderCollector>
  static Result<std::unique_ptr<Collector>> RestoreInto(std::unique_ptr<ProviderCollector> collector, const std::string& blob) {
    if (auto restored = collector->RestoreState(blob); !restored) return std::unexpected(restored.error());
    return collector;
  }

  const Collector& Live(const std::string& key) const {
    return key.starts_with("jetemail/") ? static_cast<const Collector&>(*jetemail_) : *mailtrap_;
  }

  HttpResponse Answer(const HttpRequest& request, const std::string& list_page) const {
    using testing_support::Respond;
    if (request.url.find("/sending_domains") != std::string::npos) return Respond(200, Fixture("mailtrap_sending_domains.json"));
    if (const size_t at = request.url.find("/email_logs/"); at != std::string::npos) {
      const std::string body = Fixture("mailtrap_detail_" + request.url.substr(at + 12) + ".json");
      return body.empty() ? Respond(404, R"({"error":"Not Found"})") : Respond(200, body);
    }
    if (list_page.empty()) return Respond(500, R"({"error":"upstream unavailable"})");
    return Respond(200, Fixture(list_page));
  }

  std::string Run(std::unique_ptr<Collector> collector, const std::vector<std::string>& pages, WorkerOptions options) {
    size_t cycle = 0;
    auto http = std::make_unique<testing_support::ScriptedHttpClient>(
        clock_, [&](const HttpRequest& request) { return Answer(request, pages[cycle]); });
    AccountWorker worker(std::move(collector), options, clock_, std::move(http), hub_,
                         [this, &cycle](const Collector& c, const CycleResult&) {
                           const CollectorStatus status = c.Status();
                           if (cycle >= saves_fail_from_cycle) return false;  // the state file refused it
                           saved_[AccountWorker::KeyOf(status.provider, status.account)] = dynamic_cast<const PersistentState&>(c).EncodeState();
                           return true;
                         });
    for (cycle = 0; cycle < pages.size(); ++cycle) {
      clock_.Set(kStart + std::chrono::minutes(static_cast<int>(cycle)));
      worker.RunOneCycle();
    }
    const auto published = hub_.Get(worker.key());
    const metrics::MetricSet* sets[] = {published.get()};
    // The worker dies here; the collector it owned goes with it, so keep it.
    owned_.push_back(worker.ReleaseCollector());
    return metrics::RenderText(sets);
  }

  ManualClock clock_;
  metrics::MetricsHub hub_;
  std::map<std::string, std::string> saved_;
  std::vector<std::unique_ptr<Collector>> owned_;
  JetEmailCollector* jetemail_ = nullptr;
  MailtrapCollector* mailtrap_ = nullptr;
};

}  // namespace ele::golden
