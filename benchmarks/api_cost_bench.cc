// API cost in steady state: requests per collection cycle per account once
// nothing new arrives. Both collectors run against the fake JetEmail and
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
