// Resource bounds over 1,000 collection cycles: the real collectors, the
// real libcurl client and the real state file against the fake APIs with
// faults (resets, 5xx, 429, bad bodies), on a manual clock shared with the
// fake so that budgets and backoff cost no wall time. After a warm-up, the
// process must hold exactly as many file descriptors and threads as before.
#include <dirent.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "exporter/collect/account_worker.h"
#include "exporter/base/clock.h"
#include "exporter/config/config.h"
#include "exporter/http/curl_http_client.h"
#include "exporter/metrics/metrics_hub.h"
#include "exporter/providers/jetemail/jetemail_collector.h"
#include "exporter/providers/mailtrap/mailtrap_collector.h"
#include "exporter/state/state_file.h"
#include "tests/fakes/fake_api_server.h"

namespace ele {
namespace {

int OpenFds() {
  int n = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory stream itself
}

int Threads() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST(ResourceTest, ThousandCyclesLeakNoFileDescriptorOrThread) {
  InitCurlGlobally();
  const auto start = std::chrono::system_clock::now() - std::chrono::minutes(10);
  ManualClock clock(start);
  fake::ScenarioSpec spec;
  spec.seed = 11;
  spec.start_ms = ToUnixMillis(start);
  fake::JetEmailAccountSpec jet;
  jet.token = "res-jet";
  jet.domain_count = 3;
  jet.message_count = 400;
  jet.duration_s = 3000;  // traffic goes on over the whole run
  fake::MailtrapAccountSpec mt;
  mt.token = "res-mt";
  mt.message_count = 400;
  mt.duration_s = 3000;
  spec.jetemail = {jet};
  spec.mailtrap = {mt};
  spec.min_status_dwell_s = 5;
  fake::FakeApiServer api(spec, [&clock] { return ToUnixMillis(clock.Now()); });
  fake::FaultPlan plan;
  plan.share = 0.05;  // a reset costs civetweb's 0.5 s graceful close
  // Faults that need wall time (slow replies, 40 MiB bodies) are proven end
  // to end; here they would only make 1,000 cycles slow.
  plan.mix = {fake::Fault::kStatus500,      fake::Fault::kStatus503,    fake::Fault::k429WithRetryAfter,
              fake::Fault::k429WithoutRetryAfter, fake::Fault::kConnectionReset, fake::Fault::kTruncatedBody,
              fake::Fault::kNotJson,        fake::Fault::kWrongShape,   fake::Fault::kEmptyPage};
  api.SetFaults(plan);
  ASSERT_TRUE(api.Start());

  CollectionConfig collection;
  collection.interval = std::chrono::seconds(2);
  collection.lookback = std::chrono::minutes(20);
  collection.overlap = std::chrono::seconds(10);
  collection.request_timeout = std::chrono::seconds(5);
  collection.max_tracked_messages = 1000;
  JetEmailAccount jet_account;
  jet_account.name = "main";
  jet_account.token = Secret("res-jet");
  jet_account.base_url = api.base_url();
  jet_account.requests_per_minute = 200;
  MailtrapAccount mt_account;
  mt_account.name = "prod";
  mt_account.account_id = 123456;
  mt_account.token = Secret("res-mt");
  mt_account.base_url = api.base_url();
  mt_account.requests_per_minute = 60;
  mt_account.events = EventsMode::kAll;

  const std::string dir = std::filesystem::temp_directory_path() / ("ele_resource_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  StateFile state(dir + "/state.bin");
  ASSERT_TRUE(state.Load().has_value());
  metrics::MetricsHub hub;
  auto save = [&](const Collector& c, const CycleResult&) {
    const CollectorStatus status = c.Status();
    const auto saved = state.Save(AccountWorker::KeyOf(status.provider, status.account), dynamic_cast<const PersistentState&>(c).EncodeState());
    EXPECT_TRUE(saved.has_value()) << saved.error();
    return saved.has_value();
  };
  AccountWorker jet_worker(std::make_unique<JetEmailCollector>(jet_account, collection),
                           WorkerOptions{collection.interval, jet_account.requests_per_minute}, clock,
                           std::make_unique<CurlHttpClient>(), hub, save);
  AccountWorker mt_worker(std::make_unique<MailtrapCollector>(mt_account, collection),
                          WorkerOptions{collection.interval, mt_account.requests_per_minute, 300}, clock,
                          std::make_unique<CurlHttpClient>(), hub, save);

  auto cycles = [&](int n) {
    for (int i = 0; i < n; ++i) {
      jet_worker.RunOneCycle();
      mt_worker.RunOneCycle();
      clock.Advance(collection.interval);
    }
  };
  cycles(20);  // connections open, lazily created things exist
  const int fds = OpenFds();
  const int threads = Threads();
  const auto wall = std::chrono::steady_clock::now();
  cycles(1000);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  // A kept-alive connection may be closed by then; none may be added.
  EXPECT_LE(OpenFds(), fds) << "file descriptors leaked over 1,000 cycles";
  EXPECT_LE(Threads(), threads) << "threads leaked over 1,000 cycles";
  int injected = 0;
  for (const auto& [name, count] : api.FaultCounts()) injected += count;
  EXPECT_GT(injected, 50);
  EXPECT_LE(jet_worker.collector().Status().tracked_messages, 1000u);
  EXPECT_LE(mt_worker.collector().Status().tracked_messages, 1000u);
  std::printf("1,000 cycles of each account in %.1f s, %d faults injected, %d fds, %d threads\n", seconds, injected, fds,
              threads);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ele
