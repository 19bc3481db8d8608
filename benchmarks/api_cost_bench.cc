// API cost in steady state: requests per collection cycle per account once
// nothing new arrives; and what JetEmail's messages still in flight cost. Both collectors run against the fake JetEmail and
// Mailtrap APIs (tests/fakes, real HTTP on loopback) on a manual clock, so
// a day of cycles takes seconds: a scripted burst of 2,000 messages per
// account, then cycles every 60 s until every scripted change has happened,
// then the measured cycles, in which nothing changes any more.
#include <benchmark/benchmark.h>

#include <map>

#include "exporter/collect/api_caller.h"
#include "exporter/collect/request_budget.h"
#include "exporter/http/curl_http_client.h"
#include "exporter/providers/jetemail/jetemail_collector.h"
#include "exporter/providers/mailtrap/mailtrap_collector.h"
#include "tests/fakes/fake_api_server.h"

namespace ele::bench {
namespace {

using namespace std::chrono_literals;

// Counts requests, and Mailtrap's message detail calls apart (they have a
// budget of their own).
class CountingHttpClient final : public HttpClient {
 public:
  Result<HttpResponse> Get(const HttpRequest& request) override {
    ++total;
    if (request.url.find("/email_logs/") != std::string::npos) ++details;
    return inner_.Get(request);
  }
  int total = 0;
  int details = 0;

 private:
  CurlHttpClient inner_;
};

struct Fixture {
  ManualClock clock{FromUnixMillis(1'767'225'600'000)};
  fake::FakeApiServer api;
  StopSignal stop;
  metrics::MetricSet self;
  CollectionConfig collection;

  explicit Fixture(int messages)
      : api(Spec(messages), [this] { return ToUnixMillis(clock.Now()); }) {
    InitCurlGlobally();
    api.Start();
  }
  static fake::ScenarioSpec Spec(int messages) {
    fake::ScenarioSpec spec;
    spec.start_ms = 1'767'225'600'000;
    fake::JetEmailAccountSpec jet;
    jet.domain_count = 5;
    jet.message_count = messages;
    spec.jetemail.push_back(jet);
    fake::MailtrapAccountSpec mt;
    mt.message_count = messages;
    spec.mailtrap.push_back(mt);
    return spec;
  }
};

// Runs cycles until the scripted traffic is over (and an hour more, so the
// first Mailtrap refresh passes are done), then `measured` cycles; the
// counter is the mean requests of the measured ones.
template <typename Collector>
void SteadyState(benchmark::State& state, Fixture& f, Collector& collector, const char* provider, const std::string& account,
                 int requests_per_minute) {
  CountingHttpClient http;
  RequestBudget budget(requests_per_minute);
  auto cycle = [&] {
    ApiCaller api(provider, account, http, f.clock, f.stop, budget, f.self, 1);
    CycleContext ctx{f.clock, api, f.self};
    const CycleResult result = collector.RunCycle(ctx);
    if (!result.success()) state.SkipWithError(result.outcome.error().message.c_str());
    f.clock.Advance(60s);
  };
  while (ToUnixMillis(f.clock.Now()) < f.api.scripted_end_ms() + 3'600'000) cycle();
  // Long enough for four of Mailtrap's longest refresh waits (4 x 10 m), so
  // the mean includes the passes an idle account still pays for.
  const int measured = 160;
  for (auto _ : state) {
    const int before = http.total, details_before = http.details;
    for (int i = 0; i < measured; ++i) cycle();
    state.counters["requests_per_cycle"] = static_cast<double>(http.total - before) / measured;
    state.counters["detail_requests_per_cycle"] = static_cast<double>(http.details - details_before) / measured;
  }
  state.counters["tracked"] = static_cast<double>(collector.Status().tracked_messages);
}

void JetEmailApiCost(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  JetEmailAccount account;
  account.name = "main";
  account.token = Secret("jetemail-token");
  account.base_url = f.api.base_url();
  JetEmailCollector collector(account, f.collection);
  SteadyState(state, f, collector, "jetemail", account.name, account.requests_per_minute);
}
BENCHMARK(JetEmailApiCost)->Arg(2000)->Iterations(1)->Unit(benchmark::kSecond);

// JetEmail's in-flight re-reads (issue 13): a busy inbound account
// (lookback 24 h, interval 5 s, 120 requests a minute, 25 domains in two
// query groups) with 20,000 messages over the last 22 hours and no new
// traffic, of which range(0) stay deferred, spread over those 22 hours (one:
// the oldest). Cycles start every interval, or when the previous one ends
// if it overran, as the worker runs them; after 20 minutes of warm-up, an
// hour is measured: requests a minute, and the worst lag of the new-message
// read (cycle end minus watermark) and of the open part (how far the open
// messages are behind the freshness rule).
void JetEmailInFlightCost(benchmark::State& state) {
  const std::int64_t start_ms = 1'767'225'600'000;
  ManualClock clock{FromUnixMillis(start_ms) + 22h};
  fake::ScenarioSpec spec;
  spec.start_ms = start_ms;
  fake::JetEmailAccountSpec jet;
  jet.domain_count = 25;
  jet.message_count = 20'000;
  jet.duration_s = 22 * 3600;
  jet.long_deferred_count = static_cast<int>(state.range(0));
  jet.long_deferral_s = 5 * 86400;
  spec.jetemail.push_back(jet);
  InitCurlGlobally();
  fake::FakeApiServer api(spec, [&] { return ToUnixMillis(clock.Now()); });
  api.Start();
  JetEmailAccount account;
  account.name = "main";
  account.token = Secret("jetemail-token");
  account.base_url = api.base_url();
  account.requests_per_minute = 120;
  for (int i = 1; i <= 25; ++i) account.domains.push_back((i < 10 ? "d0" : "d") + std::to_string(i) + ".example.com");
  CollectionConfig collection;
  collection.interval = 5s;
  JetEmailCollector collector(account, collection);
  CountingHttpClient http;
  RequestBudget budget(account.requests_per_minute);
  StopSignal stop;
  metrics::MetricSet self;
  double lag_s = 0, open_lag_s = 0;
  auto run_until = [&](TimePoint end) {
    while (clock.Now() < end) {
      const TimePoint started = clock.Now();
      ApiCaller caller("jetemail", account.name, http, clock, stop, budget, self, 1);
      CycleContext ctx{clock, caller, self};
      if (const CycleResult result = collector.RunCycle(ctx); !result.success()) state.SkipWithError(result.outcome.error().message.c_str());
      const CollectorStatus status = collector.Status();
      lag_s = std::max(lag_s, std::chrono::duration<double>(clock.Now() - *status.watermark).count());
      for (const PartWatermark& part : status.parts) {
        if (part.part == "open") open_lag_s = std::max(open_lag_s, std::chrono::duration<double>(clock.Now() - part.current_as_of).count());
      }
      clock.SleepUntil(started + collection.interval, stop);
    }
  };
  run_until(clock.Now() + 20min);
  for (auto _ : state) {
    const int before = http.total;
    lag_s = open_lag_s = 0;
    run_until(clock.Now() + 60min);
    state.counters["requests_per_minute"] = (http.total - before) / 60.0;
  }
  state.counters["max_lag_s"] = lag_s;
  state.counters["max_open_lag_s"] = open_lag_s;
  state.counters["tracked"] = static_cast<double>(collector.Status().tracked_messages);
}
BENCHMARK(JetEmailInFlightCost)->Arg(0)->Arg(1)->Arg(200)->Iterations(1)->Unit(benchmark::kSecond);

void MailtrapApiCost(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  MailtrapAccount account;
  account.name = "prod";
  account.account_id = 123456;
  account.token = Secret("mailtrap-token");
  account.base_url = f.api.base_url();
  MailtrapCollector collector(account, f.collection);
  SteadyState(state, f, collector, "mailtrap", account.name, account.requests_per_minute);
}
BENCHMARK(MailtrapApiCost)->Arg(2000)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace ele::bench
