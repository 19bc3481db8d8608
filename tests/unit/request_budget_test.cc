#include "exporter/collect/request_budget.h"

#include <gtest/gtest.h>

#include "exporter/collect/api_caller.h"
#include "exporter/metrics/catalogue.h"
#include "tests/unit/scripted_http_client.h"

namespace ele {
namespace {

using namespace std::chrono_literals;
using testing_support::MaxInAnyMinute;
using testing_support::Respond;
using testing_support::ScriptedHttpClient;

const TimePoint kStart = FromUnixMillis(1'767'225'600'000);  // 2026-01-01T00:00:00Z

// Spends `wanted` requests as fast as the budget allows on a manual clock.
std::vector<TimePoint> Spend(RequestBudget& budget, ManualClock& clock, int wanted) {
  std::vector<TimePoint> starts;
  StopSignal stop;
  while (static_cast<int>(starts.size()) < wanted) {
    const TimePoint slot = budget.NextSlot(clock.Now());
    clock.SleepUntil(slot, stop);
    budget.Record(clock.Now());
    starts.push_back(clock.Now());
  }
  return starts;
}

TEST(RequestBudgetTest, NeverMoreThanTheBudgetInAnyMinute) {
  for (int rpm : {1, 7, 30, 60, 200}) {
    ManualClock clock(kStart);
    RequestBudget budget(rpm);
    const auto starts = Spend(budget, clock, rpm * 5 + 3);
    EXPECT_LE(MaxInAnyMinute(starts), rpm) << "rpm=" << rpm;
    EXPECT_GE(MaxInAnyMinute(starts), rpm - 1) << "the budget is usable, not just safe; rpm=" << rpm;
  }
}

TEST(RequestBudgetTest, SpreadsRequestsInsteadOfBursting) {
  ManualClock clock(kStart);
  RequestBudget budget(30);
  const auto starts = Spend(budget, clock, 10);
  for (size_t i = 1; i < starts.size(); ++i) EXPECT_GE(starts[i] - starts[i - 1], 2s);
}

TEST(RequestBudgetTest, BlockDelaysTheNextSlotButNeverShortensIt) {
  RequestBudget budget(60);
  budget.BlockUntil(kStart + 300s);
  budget.BlockUntil(kStart + 10s);
  EXPECT_EQ(budget.NextSlot(kStart), kStart + 300s);
}

TEST(BackoffTest, GrowsExponentiallyWithinBounds) {
  Backoff backoff(1000ms, 60'000ms, 42);
  for (int attempt = 0; attempt < 12; ++attempt) {
    for (int i = 0; i < 50; ++i) {
      const auto d = backoff.Delay(attempt);
      EXPECT_GE(d, 500ms);
      EXPECT_LE(d, std::min<std::chrono::milliseconds>(60'000ms, std::chrono::milliseconds(1000LL << attempt)));
    }
  }
}

class ApiCallerTest : public ::testing::Test {
 protected:
  ManualClock clock{kStart};
  StopSignal stop;
  metrics::MetricSet self;
};

TEST_F(ApiCallerTest, WaitsAtLeastRetryAfterOn429) {
  int calls = 0;
  ScriptedHttpClient http(clock, [&](const HttpRequest&) {
    return ++calls == 1 ? Respond(429, "{}", {{"retry-after", "300"}}) : Respond(200, "{}");
  });
  RequestBudget budget(60);
  ApiCaller api("jetemail", "main", http, clock, stop, budget, self, 1);
  const Result<HttpResponse> r = api.Get(HttpRequest{"http://x/", {}, 1s});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(http.times.size(), 2u);
  EXPECT_GE(http.times[1] - http.times[0], 300s);
  EXPECT_EQ(self.Value(metrics::kApiRequestsTotal, {"jetemail", "main", "429"}), 1);
  EXPECT_EQ(self.Value(metrics::kApiRequestsTotal, {"jetemail", "main", "200"}), 1);
}

TEST_F(ApiCallerTest, RetryAfterPastFifteenMinutesWaitsFifteenMinutes) {
  // A day, and a number whose milliseconds overflow 64 bits.
  for (const char* retry_after : {"86400", "99999999999999999"}) {
    int calls = 0;
    ScriptedHttpClient http(clock, [&](const HttpRequest&) {
      return ++calls == 1 ? Respond(429, "{}", {{"retry-after", retry_after}}) : Respond(200, "{}");
    });
    RequestBudget budget(60);
    ApiCaller api("jetemail", "main", http, clock, stop, budget, self, 1);
    ASSERT_EQ(api.Get(HttpRequest{"http://x/", {}, 1s})->status, 200) << retry_after;
    ASSERT_EQ(http.times.size(), 2u);
    EXPECT_EQ(http.times[1] - http.times[0], ApiCaller::kMaxRetryAfter) << retry_after;
  }
}

TEST_F(ApiCallerTest, BacksOffWithoutRetryAfterAndGivesUpAfterThreeAttempts) {
  ScriptedHttpClient http(clock, [&](const HttpRequest&) { return Respond(503, "unavailable"); });
  RequestBudget budget(600);
  ApiCaller api("mailtrap", "prod", http, clock, stop, budget, self, 7);
  EXPECT_EQ(api.Get(HttpRequest{"http://x/", {}, 1s})->status, 503);
  ASSERT_EQ(http.times.size(), static_cast<size_t>(ApiCaller::kMaxAttempts));
  EXPECT_GE(http.times[1] - http.times[0], 500ms);
  EXPECT_EQ(self.Value(metrics::kApiRequestsTotal, {"mailtrap", "prod", "503"}), 3);
}

TEST_F(ApiCallerTest, DoesNotRetryClientErrors) {
  ScriptedHttpClient http(clock, [&](const HttpRequest&) { return Respond(401, R"({"error":"Incorrect API token"})"); });
  RequestBudget budget(60);
  ApiCaller api("mailtrap", "prod", http, clock, stop, budget, self, 7);
  EXPECT_EQ(api.Get(HttpRequest{"http://x/", {}, 1s})->status, 401);
  EXPECT_EQ(http.times.size(), 1u);
}

TEST_F(ApiCallerTest, ExhaustedRateLimitAfterOneRequestWaitsAWholeWindow) {
  ScriptedHttpClient http(clock, [&](const HttpRequest&) { return Respond(200, "{}", {{"x-ratelimit-remaining", "0"}}); });
  RequestBudget budget(60);
  ApiCaller api("mailtrap", "prod", http, clock, stop, budget, self, 7);
  (void)api.Get(HttpRequest{"http://x/", {}, 1s});
  (void)api.Get(HttpRequest{"http://x/", {}, 1s});
  ASSERT_EQ(http.times.size(), 2u);
  EXPECT_GE(http.times[1] - http.times[0], 60s);
}

TEST_F(ApiCallerTest, ExhaustedRateLimitWaitsOnlyUntilTheOldestRequestLeavesTheWindow) {
  int calls = 0;
  ScriptedHttpClient http(clock, [&](const HttpRequest&) {
    ++calls;
    return Respond(200, "{}", {{"x-ratelimit-remaining", calls == 5 ? "0" : "1"}});
  });
  RequestBudget budget(6);  // 10 s spacing
  ApiCaller api("mailtrap", "prod", http, clock, stop, budget, self, 7);
  for (int i = 0; i < 6; ++i) (void)api.Get(HttpRequest{"http://x/", {}, 1s});
  ASSERT_EQ(http.times.size(), 6u);
  EXPECT_EQ(http.times[4] - http.times[0], 40s);
  // Not a whole minute after the fifth request: the first one's expiry.
  EXPECT_EQ(http.times[5] - http.times[0], RequestBudget::kWindow + RequestBudget::kSafetyMargin);
}

TEST_F(ApiCallerTest, TransportErrorsAreCountedAsError) {
  ScriptedHttpClient http(clock, [&](const HttpRequest&) -> Result<HttpResponse> { return Fail("Timeout was reached"); });
  RequestBudget budget(60);
  ApiCaller api("jetemail", "main", http, clock, stop, budget, self, 3);
  const Result<HttpResponse> r = api.Get(HttpRequest{"http://x/", {}, 1s});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "Timeout was reached");
  EXPECT_EQ(self.Value(metrics::kApiRequestsTotal, {"jetemail", "main", "error"}), 3);
}

}  // namespace
}  // namespace ele
