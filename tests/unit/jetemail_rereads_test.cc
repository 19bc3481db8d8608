// JetEmail's in-flight re-reads against the fake API (real HTTP on
// loopback) on a manual clock, so hours of cycles take seconds: what a
// deferred message costs, and that counters still equal the ground truth
// under either reading of the API's date filter.
#include <gtest/gtest.h>

#include <set>

#include "exporter/collect/api_caller.h"
#include "exporter/http/curl_http_client.h"
#include "exporter/metrics/exposition.h"
#include "exporter/providers/jetemail/jetemail_collector.h"
#include "tests/e2e/metrics_text.h"
#include "tests/fakes/fake_api_server.h"
#include "tests/unit/scripted_http_client.h"

namespace ele {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kStartMs = 1'767'225'600'000;

// The real HTTP client, recording each request's time and query.
class RecordingHttpClient final : public HttpClient {
 public:
  explicit RecordingHttpClient(const Clock& clock) : clock_(clock) {}
  Result<HttpResponse> Get(const HttpRequest& request) override {
    times.push_back(clock_.Now());
    urls.push_back(request.url);
    return inner_.Get(request);
  }
  std::vector<TimePoint> times;
  std::vector<std::string> urls;

 private:
  const Clock& clock_;
  CurlHttpClient inner_;
};

std::int64_t Param(const std::string& url, const std::string& name) {
  const size_t at = url.find(name + "=");
  return at == std::string::npos ? -1 : std::stoll(url.substr(at + name.size() + 1));
}

class JetEmailRereadsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitCurlGlobally(); }

  // Cycles every `interval` from now until `end`, as the worker runs them
  // (a cycle that overruns starts the next one late); `each` after every
  // cycle with the cycle's start.
  void RunUntil(JetEmailCollector& collector, TimePoint end, const std::function<void(TimePoint)>& each) {
    while (clock.Now() < end) {
      const TimePoint started = clock.Now();
      ApiCaller caller("jetemail", "main", *http, clock, stop, *budget, self, 1);
      CycleContext ctx{clock, caller, self};
      const CycleResult result = collector.RunCycle(ctx);
      ASSERT_TRUE(result.success()) << result.outcome.error();
      each(started);
      clock.SleepUntil(started + collection.interval, stop);
    }
  }
  // Now minus the time up to which the open messages are current by the rule.
  double OpenLagSeconds(const JetEmailCollector& collector) const {
    for (const PartWatermark& part : collector.Status().parts) {
      if (part.part == "open") return std::chrono::duration<double>(clock.Now() - part.current_as_of).count();
    }
    return -1;
  }
  void Start(const fake::ScenarioSpec& spec, TimePoint at) {
    clock.Set(at);
    api = std::make_unique<fake::FakeApiServer>(spec, [this] { return ToUnixMillis(clock.Now()); });
    ASSERT_TRUE(api->Start());
    http = std::make_unique<RecordingHttpClient>(clock);
    budget = std::make_unique<RequestBudget>(account.requests_per_minute);
    account.base_url = api->base_url();
  }

  ManualClock clock{FromUnixMillis(kStartMs)};
  StopSignal stop;
  metrics::MetricSet self;
  JetEmailAccount account = [] {
    JetEmailAccount a;
    a.name = "main";
    a.token = Secret("jetemail-token");
    a.requests_per_minute = 120;
    return a;
  }();
  CollectionConfig collection = [] {
    CollectionConfig c;
    c.interval = 5s;
    return c;  // lookback 24 h, overlap 5 min
  }();
  std::unique_ptr<fake::FakeApiServer> api;
  std::unique_ptr<RecordingHttpClient> http;
  std::unique_ptr<RequestBudget> budget;
};

TEST_F(JetEmailRereadsTest, OneMessageDeferred22HoursAgoCostsANarrowReadOnlyWhenDue) {
  fake::ScenarioSpec spec;
  spec.start_ms = kStartMs;
  fake::JetEmailAccountSpec jet;
  jet.domain_count = 5;
  jet.message_count = 2000;
  jet.duration_s = 22 * 3600;
  jet.long_deferred_count = 1;  // the oldest
  jet.long_deferral_s = 5 * 86400;
  spec.jetemail = {jet};
  Start(spec, FromUnixMillis(kStartMs) + 22h + 10min);
  JetEmailCollector collector(account, collection);
  const std::int64_t first_s = ToUnixMillis(clock.Now()) / 1000;
  std::vector<TimePoint> reread_cycles;
  double worst_lag = 0;
  RunUntil(collector, clock.Now() + 40min, [&](TimePoint started) {
    const std::int64_t now_s = ToUnixMillis(started) / 1000;
    for (size_t i = 0; i < http->urls.size(); ++i) {
      if (http->times[i] < started || Param(http->urls[i], "date_to") == now_s) continue;  // the new-message window
      EXPECT_LE(Param(http->urls[i], "date_to") - Param(http->urls[i], "date_from"), 60) << http->urls[i];
      EXPECT_LT(Param(http->urls[i], "date_to"), first_s - 22 * 3600) << "around the oldest arrival";
      if (reread_cycles.empty() || reread_cycles.back() != started) reread_cycles.push_back(started);
    }
    if (now_s > first_s) worst_lag = std::max(worst_lag, OpenLagSeconds(collector));
  });
  ASSERT_GE(reread_cycles.size(), 2u);
  EXPECT_LE(reread_cycles.size(), 3u) << "every 15 minutes, not every cycle";
  for (size_t i = 1; i < reread_cycles.size(); ++i) {
    EXPECT_LE(reread_cycles[i] - reread_cycles[i - 1], 15min);
    EXPECT_GE(reread_cycles[i] - reread_cycles[i - 1], 14min);
  }
  EXPECT_LE(worst_lag, 10.0) << "never behind the rule by more than 2 intervals";
}

// 50 messages deferred for two hours, then delivered, among 300 over half
// an hour; statuses last at least a minute, longer than the re-read period
// (54 s at most) of a message under 9 minutes old, so every status is seen.
class JetEmailRereadAccuracyTest : public JetEmailRereadsTest, public ::testing::WithParamInterface<bool> {};

TEST_P(JetEmailRereadAccuracyTest, FiftyDeferredThenDeliveredEqualTheGroundTruth) {
  fake::ScenarioSpec spec;
  spec.start_ms = kStartMs;
  spec.min_status_dwell_s = 60;
  fake::JetEmailAccountSpec jet;
  jet.domain_count = 25;  // two domain groups
  jet.message_count = 300;
  jet.duration_s = 1800;
  jet.long_deferred_count = 50;
  jet.long_deferral_s = 2 * 3600;
  jet.long_retry_s = 900;
  jet.date_filter_on_last_change = GetParam();
  spec.jetemail = {jet};
  Start(spec, FromUnixMillis(kStartMs));
  for (int i = 1; i <= 25; ++i) account.domains.push_back((i < 10 ? "d0" : "d") + std::to_string(i) + ".example.com");
  collection.interval = 20s;
  JetEmailCollector collector(account, collection);
  double worst_lag = 0;
  RunUntil(collector, FromUnixMillis(api->scripted_end_ms()) + 16min,
           [&](TimePoint) { worst_lag = std::max(worst_lag, OpenLagSeconds(collector)); });
  EXPECT_LE(worst_lag, 40.0) << "every open message read within the rule, give or take 2 intervals";
  EXPECT_LE(testing_support::MaxInAnyMinute(http->times), account.requests_per_minute);

  metrics::MetricSet out;
  collector.Snapshot(out);
  const metrics::MetricSet* sets[] = {&out};
  const auto actual = e2e::ParseMetrics(metrics::RenderText(sets));
  const std::set<std::string> names = {
      "jetemail_inbound_messages_total", "jetemail_inbound_messages", "jetemail_inbound_deliveries_total",
      "jetemail_inbound_rejections_total", "jetemail_inbound_actions_total", "jetemail_inbound_spam_score_count",
      "jetemail_inbound_spam_score_sum", "jetemail_inbound_delivery_delay_seconds_count", "jetemail_inbound_delivery_delay_seconds_sum"};
  auto wanted = [&](const std::string& series) { return names.contains(series.substr(0, series.find('{'))); };
  const auto truth = api->GroundTruth({});
  int compared = 0;
  for (const auto& [series, value] : truth) {
    if (!wanted(series)) continue;
    ++compared;
    const auto it = actual.find(series);
    EXPECT_NEAR(it == actual.end() ? 0 : it->second, value, 1e-6 * std::max(1.0, value)) << series;
  }
  for (const auto& [series, value] : actual) {
    if (wanted(series) && value != 0) {
      EXPECT_TRUE(truth.contains(series)) << series << " = " << value;
    }
  }
  EXPECT_GT(compared, 100);
}

INSTANTIATE_TEST_SUITE_P(DateFilter, JetEmailRereadAccuracyTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "OnLastChange" : "OnArrival"; });

}  // namespace
}  // namespace ele
