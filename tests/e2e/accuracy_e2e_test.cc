// Invariant 1 and 2 of the contract, end to end: after scripted traffic stops,
// every provider counter of the real binary equals the fake API's ground
// truth exactly, and no 60-second window saw more requests than the budget.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <utility>

#include "exporter/providers/mailtrap/mailtrap_collector.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/truth.h"
#include "tests/fakes/fake_api_server.h"

namespace ele::e2e {
namespace {

using namespace std::chrono_literals;

int MaxInAnyMinute(const std::vector<fake::RequestRecord>& requests, const std::string& provider, const std::string& account,
                   const std::set<std::string>& kinds) {
  std::vector<std::int64_t> times;
  for (const auto& r : requests) {
    if (r.provider == provider && r.account == account && kinds.contains(r.kind)) times.push_back(r.unix_ms);
  }
  int best = 0;
  for (size_t i = 0, j = 0; i < times.size(); ++i) {
    while (times[i] - times[j] >= 60'000) ++j;
    best = std::max(best, static_cast<int>(i - j + 1));
  }
  return best;
}

std::unique_ptr<ExporterProcess> Launch(const TempDir& dir, const std::string& config, const std::map<std::string, std::string>& env) {
  auto p = std::make_unique<ExporterProcess>(
      std::vector<std::string>{"--config.file=" + dir.Write("config.yaml", config), "--web.listen-address=127.0.0.1:0"},
      dir.path() + "/exporter.log", env);
  if (!p->WaitForAddress()) {
    ADD_FAILURE() << "the exporter did not start:\n" << p->Log();
    return nullptr;
  }
  return p;
}

// The JetEmail accuracy runs: 3,000 messages arriving over 20 s in 25
// domains, read at 1 s intervals with a 10 s overlap and 200 requests a
// minute, the highest the config accepts.
constexpr int kJetRpm = 200;

fake::ScenarioSpec JetEmailSpec(std::uint64_t seed) {
  fake::ScenarioSpec spec;
  spec.seed = seed;
  fake::JetEmailAccountSpec jet;
  jet.token = "acc-jet-token";
  jet.domain_count = 25;
  jet.message_count = 3000;
  jet.duration_s = 20;
  jet.page_jitter = true;
  spec.jetemail = {jet};
  // A status is observable only if it lasts longer than a cycle; at 200
  // requests a minute a cycle here takes 2-3 s, so 6 s leaves a 2x margin
  // on slow machines and under sanitizers.
  spec.min_status_dwell_s = 6;
  spec.late_activity_s = 5;
  return spec;
}

std::unique_ptr<ExporterProcess> LaunchForJetEmail(const TempDir& dir, const fake::FakeApiServer& api) {
  std::string domains;
  for (int i = 1; i <= 25; ++i) domains += std::string(i == 1 ? "" : ", ") + (i < 10 ? "d0" : "d") + std::to_string(i) + ".example.com";
  return Launch(dir,
                "collection:\n  interval: 1s\n  lookback: 1h\n  overlap: 10s\n  request_timeout: 5s\n"
                "jetemail:\n  - name: main\n    api_token_env: ACC_JET_TOKEN\n    base_url: " + api.base_url() +
                    "\n    requests_per_minute: " + std::to_string(kJetRpm) + "\n    domains: [" + domains + "]\n",
                {{"ACC_JET_TOKEN", "acc-jet-token"}});
}

const std::set<std::string> kJetNames = {
    "jetemail_inbound_messages_total", "jetemail_inbound_messages", "jetemail_inbound_deliveries_total",
    "jetemail_inbound_rejections_total", "jetemail_inbound_actions_total", "jetemail_inbound_spam_score_count",
    "jetemail_inbound_spam_score_sum", "jetemail_inbound_delivery_delay_seconds_count", "jetemail_inbound_delivery_delay_seconds_sum"};

// The real binary against `spec`: every JetEmail counter reaches the ground
// truth within `timeout`, and no minute saw more requests than the budget.
void ExpectJetEmailConverges(const fake::ScenarioSpec& spec, std::chrono::seconds timeout) {
  fake::FakeApiServer api(spec);
  ASSERT_TRUE(api.Start());
  TempDir dir;
  auto exporter = LaunchForJetEmail(dir, api);
  ASSERT_TRUE(exporter);
  const auto truth = api.GroundTruth({});
  ASSERT_GT(truth.size(), 100u);
  EXPECT_TRUE(ConvergesToTruth(*exporter, truth, kJetNames, timeout)) << exporter->Log().substr(0, 4000);
  const auto requests = api.Requests();
  EXPECT_LE(MaxInAnyMinute(requests, "jetemail", "main", {"logs"}), kJetRpm);
  EXPECT_EQ(std::count_if(requests.begin(), requests.end(), [](const auto& r) { return r.status == 429; }), 0);
}

TEST(AccuracyE2ETest, JetEmailCountersEqualTheGroundTruth) { ExpectJetEmailConverges(JetEmailSpec(20261123), 180s); }

// 50 of the messages stay deferred for two minutes, tried again every 20 s,
// and are then delivered: long after they left the 10 s overlap, so only
// the planned re-reads (by the freshness rule) see them change.
TEST(AccuracyE2ETest, JetEmailMessagesDeferredForMinutesEqualTheGroundTruth) {
  fake::ScenarioSpec spec = JetEmailSpec(20261202);
  spec.jetemail[0].long_deferred_count = 50;
  spec.jetemail[0].long_deferral_s = 120;
  spec.jetemail[0].long_retry_s = 20;
  ExpectJetEmailConverges(spec, 300s);
}

// Both Mailtrap tests: a fake enforcing the API's 60 list calls a minute,
// statuses that outlast a 3 s cycle, and an exporter allowed all 60 calls
// with a refresh pass every kMailtrapRefreshS seconds.
constexpr int kMailtrapRefreshS = 15;

fake::ScenarioSpec MailtrapSpec(std::uint64_t seed, int messages, int duration_s) {
  fake::ScenarioSpec spec;
  spec.seed = seed;
  fake::MailtrapAccountSpec mt;
  mt.token = "acc-mt-token";
  mt.message_count = messages;
  mt.duration_s = duration_s;
  mt.page_size = 200;
  mt.list_limit_per_minute = 60;
  spec.mailtrap = {mt};
  spec.min_status_dwell_s = 15;
  spec.late_activity_s = 30;
  return spec;
}

std::unique_ptr<ExporterProcess> LaunchForMailtrap(const TempDir& dir, const fake::FakeApiServer& api, const std::string& account_lines) {
  return Launch(dir,
                "collection:\n  interval: 3s\n  lookback: 1h\n  overlap: 5s\n  request_timeout: 5s\n"
                "mailtrap:\n  - name: prod\n    account_id: 123456\n    api_token_env: ACC_MT_TOKEN\n    base_url: " + api.base_url() +
                    "\n    requests_per_minute: 60\n    refresh_interval: " + std::to_string(kMailtrapRefreshS) + "s\n" + account_lines,
                {{"ACC_MT_TOKEN", "acc-mt-token"}});
}

// The list call allows 60 requests a minute, so the exporter reads about
// 3 pages per 3 s cycle; a status must last longer than a cycle period to be
// observed, hence the 15 s dwell.
TEST(AccuracyE2ETest, MailtrapCountersEqualTheGroundTruthWithinSixtyCallsAMinute) {
  fake::FakeApiServer api(MailtrapSpec(777, 3000, 60));
  ASSERT_TRUE(api.Start());

  TempDir dir;
  auto exporter = LaunchForMailtrap(dir, api, "    categories: [welcome, password_reset]\n    events: off\n");
  ASSERT_TRUE(exporter);
  fake::TruthOptions options;
  options.mailtrap_categories = {"welcome", "password_reset"};
  const auto truth = api.GroundTruth(options);
  ASSERT_GT(truth.size(), 20u);
  const std::set<std::string> names = {"mailtrap_messages_total", "mailtrap_messages", "mailtrap_opens_total", "mailtrap_clicks_total",
                                       "mailtrap_opened_messages_total", "mailtrap_clicked_messages_total"};
  EXPECT_TRUE(ConvergesToTruth(*exporter, truth, names, 300s)) << exporter->Log().substr(0, 4000);
  // Every part of the budget plan keeps up at this volume: each is current
  // to within a few cycles, the refresh within its longest wait once the
  // traffic is over (kMaxRefreshBackoff refresh intervals).
  const auto metrics = ParseMetrics(HttpGet(exporter->url("/metrics")).body);
  for (const auto& [part, within_s] :
       {std::pair{"new", 45}, {"enqueued", 45}, {"refresh", kMailtrapRefreshS * MailtrapCollector::kMaxRefreshBackoff + 45}}) {
    const std::string series = std::string("email_logs_exporter_part_lag_seconds{account=\"prod\",part=\"") + part + "\",provider=\"mailtrap\"}";
    ASSERT_TRUE(metrics.contains(series)) << series;
    EXPECT_LT(metrics.at(series), within_s) << series;
    std::printf("%s = %.1f\n", series.c_str(), metrics.at(series));
  }
  const auto requests = api.Requests();
  EXPECT_LE(MaxInAnyMinute(requests, "mailtrap", "prod", {"list", "domains"}), 60);
  EXPECT_EQ(std::count_if(requests.begin(), requests.end(), [](const auto& r) { return r.status == 429; }), 0) << "the fake never had to answer 429";
}

// Events from the detail endpoint, whose own budget (here 1000 a minute, the
// API's limit) is spent after the list reads of each cycle.
class MailtrapEventsAccuracyTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MailtrapEventsAccuracyTest, EventCountersEqualTheGroundTruthWithinBothBudgets) {
  const std::string mode = GetParam();
  // `all` fetches every message, some twice.
  fake::ScenarioSpec spec = MailtrapSpec(mode == "all" ? 4242 : 4343, mode == "all" ? 600 : 1500, 40);
  spec.mailtrap[0].detail_limit_per_minute = 1000;
  fake::FakeApiServer api(spec);
  ASSERT_TRUE(api.Start());

  TempDir dir;
  auto exporter = LaunchForMailtrap(dir, api, "    events: " + mode + "\n    detail_requests_per_minute: 1000\n");
  ASSERT_TRUE(exporter);
  fake::TruthOptions options;
  options.mailtrap_events = mode;
  const auto truth = api.GroundTruth(options);
  ASSERT_TRUE(std::ranges::any_of(truth, [](const auto& kv) { return kv.first.starts_with("mailtrap_bounces_total{"); }));
  const std::set<std::string> names = {"mailtrap_messages_total", "mailtrap_events_total", "mailtrap_bounces_total",
                                       "mailtrap_delivery_delay_seconds_count", "mailtrap_delivery_delay_seconds_sum",
                                       "mailtrap_mailbox_provider_events_total", "mailtrap_sending_domain_dns_verified",
                                       "mailtrap_sending_domain_info", "mailtrap_sending_domain_open_tracking_enabled",
                                       "mailtrap_sending_domain_click_tracking_enabled"};
  EXPECT_TRUE(ConvergesToTruth(*exporter, truth, names, 300s)) << exporter->Log().substr(0, 4000);
  const auto requests = api.Requests();
  EXPECT_LE(MaxInAnyMinute(requests, "mailtrap", "prod", {"list", "domains"}), 60);
  EXPECT_LE(MaxInAnyMinute(requests, "mailtrap", "prod", {"detail"}), 1000);
  EXPECT_EQ(std::count_if(requests.begin(), requests.end(), [](const auto& r) { return r.status == 429; }), 0);
  std::printf("detail requests: %lld for %d messages\n",
              static_cast<long long>(std::count_if(requests.begin(), requests.end(), [](const auto& r) { return r.kind == "detail"; })),
              spec.mailtrap[0].message_count);
}

// The detail budget is spent whenever the list reads leave it idle, not once
// per cycle. The setup of the issue that found it (interval 1s, 50 list
// calls and 300 detail calls a minute, `events: all`), with every list reply
// taking 1.5 s while the traffic lasts, so list reads run long and cycles
// outlast their interval: the detail calls reach at least 90% of their
// budget in a minute, never more, and every event, bounce, delivery-delay
// and mailbox-provider count and every domain's DNS state equals the ground
// truth within 200 s of the traffic stopping. (At this interval the
// new-message read runs every 2.4 s, leaving list calls for the refresh.)
TEST(AccuracyE2ETest, MailtrapEventsKeepUpWhileListReadsRunLong) {
  constexpr int kTrafficS = 40;
  fake::ScenarioSpec spec = MailtrapSpec(4545, 500, kTrafficS);
  spec.mailtrap[0].page_size = 50;
  spec.mailtrap[0].list_limit_per_minute = 50;
  spec.mailtrap[0].detail_limit_per_minute = 300;
  fake::FakeApiServer api(spec);
  ASSERT_TRUE(api.Start());
  fake::FaultPlan slow_lists;
  slow_lists.share = 1;
  slow_lists.mix = {fake::Fault::kSlowReply};
  slow_lists.kind = "list";
  slow_lists.slow_reply_ms = 1500;
  slow_lists.until_ms = api.start_ms() + kTrafficS * 1000;
  api.SetFaults(slow_lists);

  TempDir dir;
  auto exporter = Launch(dir,
                         "collection:\n  interval: 1s\n  lookback: 1h\n  overlap: 5s\n  request_timeout: 5s\n"
                         "mailtrap:\n  - name: prod\n    account_id: 123456\n    api_token_env: ACC_MT_TOKEN\n    base_url: " + api.base_url() +
                             "\n    requests_per_minute: 50\n    refresh_interval: 15s\n    events: all\n    detail_requests_per_minute: 300\n",
                         {{"ACC_MT_TOKEN", "acc-mt-token"}});
  ASSERT_TRUE(exporter);
  fake::TruthOptions options;
  options.mailtrap_events = "all";
  const auto truth = api.GroundTruth(options);
  const std::set<std::string> names = {"mailtrap_events_total", "mailtrap_bounces_total", "mailtrap_delivery_delay_seconds_count",
                                       "mailtrap_delivery_delay_seconds_sum", "mailtrap_mailbox_provider_events_total",
                                       "mailtrap_sending_domain_dns_verified"};
  EXPECT_TRUE(ConvergesToTruth(*exporter, truth, names, std::chrono::seconds(kTrafficS + 200))) << exporter->Log().substr(0, 4000);
  for (const auto& [series, value] : ParseMetrics(HttpGet(exporter->url("/metrics")).body)) {
    if (series.starts_with("email_logs_exporter_part_lag_seconds{")) std::printf("%s = %.1f\n", series.c_str(), value);
  }
  const auto requests = api.Requests();
  EXPECT_LE(MaxInAnyMinute(requests, "mailtrap", "prod", {"list", "domains"}), 50);
  EXPECT_LE(MaxInAnyMinute(requests, "mailtrap", "prod", {"detail"}), 300);
  EXPECT_GE(MaxInAnyMinute(requests, "mailtrap", "prod", {"detail"}), 270);
  EXPECT_EQ(std::count_if(requests.begin(), requests.end(), [](const auto& r) { return r.status == 429; }), 0);
  std::printf("detail requests: %lld, busiest minute %d\n",
              static_cast<long long>(std::count_if(requests.begin(), requests.end(), [](const auto& r) { return r.kind == "detail"; })),
              MaxInAnyMinute(requests, "mailtrap", "prod", {"detail"}));
}

INSTANTIATE_TEST_SUITE_P(Modes, MailtrapEventsAccuracyTest, ::testing::Values("failures", "all"),
                         [](const ::testing::TestParamInfo<const char*>& param) { return std::string(param.param); });

}  // namespace
}  // namespace ele::e2e
