#include "exporter/providers/jetemail/jetemail_collector.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

#include "exporter/metrics/catalogue.h"
#include "tests/unit/scripted_http_client.h"

namespace ele {
namespace {

using namespace std::chrono_literals;
using testing_support::MaxInAnyMinute;
using testing_support::Respond;
using testing_support::ScriptedHttpClient;
namespace m = metrics;

const TimePoint kStart = FromUnixMillis(1'767'225'600'000);

std::map<std::string, std::string> Query(const std::string& url) {
  std::map<std::string, std::string> out;
  const size_t q = url.find('?');
  if (q == std::string::npos) return out;
  std::string rest = url.substr(q + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    const size_t amp = std::min(rest.find('&', pos), rest.size());
    const std::string pair = rest.substr(pos, amp - pos);
    const size_t eq = pair.find('=');
    if (eq != std::string::npos) out[pair.substr(0, eq)] = pair.substr(eq + 1);
    pos = amp + 1;
  }
  return out;
}

// A tiny JetEmail: `entries` newest first, paged by `page` and `limit`.
struct MiniJetEmail {
  std::vector<nlohmann::json> entries;
  int total_domains = 1;
  std::string domain_status = "success";
  int max_limit = 1000;  // the largest page it gives, whatever is asked

  HttpResponse Answer(const HttpRequest& request) const {
    auto q = Query(request.url);
    const int limit = std::min(std::stoi(q["limit"]), max_limit);
    const int page = std::stoi(q["page"]);
    const std::int64_t from_ms = std::stoll(q["date_from"]) * 1000, to_ms = std::stoll(q["date_to"]) * 1000 + 999;
    std::vector<nlohmann::json> in_window;
    for (const auto& e : entries) {
      const std::int64_t arrival = e["actions"][0]["date"].get<std::int64_t>();
      if (arrival >= from_ms && arrival <= to_ms) in_window.push_back(e);
    }
    nlohmann::json data = nlohmann::json::array();
    for (size_t i = static_cast<size_t>((page - 1) * limit); i < in_window.size() && data.size() < static_cast<size_t>(limit); ++i) {
      data.push_back(in_window[i]);
    }
    nlohmann::json body = {{"success", true},
                           {"data", data},
                           {"pagination", {{"total", in_window.size()}, {"limit", limit}, {"offset", (page - 1) * limit}, {"returned", data.size()}}},
                           {"domains_queried", {{{"domain", "example.com"}, {"status", domain_status}, {"count", entries.size()}}}},
                           {"total_domains", total_domains},
                           {"domains_included", std::min(total_domains, 20)}};
    return Respond(200, body.dump());
  }
};

nlohmann::json Entry(int i, const std::string& status, TimePoint arrival = kStart - std::chrono::minutes(1)) {
  return {{"_domain", "example.com"}, {"uid", "uid" + std::to_string(i)}, {"status", status}, {"delivery_count", status == "delivered" ? 1 : 0},
          {"rejected_count", 0},
          {"actions", {{{"id", "a" + std::to_string(i)}, {"logtype", "inbound"}, {"date", ToUnixMillis(arrival)}, {"delay", 0}, {"spam_score", 1.0}}}}};
}

class JetEmailCollectorTest : public ::testing::Test {
 protected:
  JetEmailCollectorTest() {
    account.name = "main";
    account.token = Secret("jet-token-abc");
    account.base_url = "http://jet.test";
    collection.interval = 60s;
  }
  CycleResult Cycle(JetEmailCollector& collector, ScriptedHttpClient& http, RequestBudget& budget) {
    ApiCaller api("jetemail", "main", http, clock, stop, budget, self, 1);
    CycleContext ctx{clock, api, self};
    return collector.RunCycle(ctx);
  }
  m::MetricSet Export(const JetEmailCollector& c) {
    m::MetricSet out;
    c.Snapshot(out);
    return out;
  }

  JetEmailAccount account;
  CollectionConfig collection;
  ManualClock clock{kStart};
  StopSignal stop;
  m::MetricSet self;
};

TEST_F(JetEmailCollectorTest, ReadsEveryPageOfTheFirstWindowFromTheLookbackWhateverPageSizeTheApiApplies) {
  MiniJetEmail api;
  for (int i = 0; i < 2500; ++i) api.entries.push_back(Entry(i, "delivered"));
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  const CycleResult result = Cycle(collector, http, budget);
  ASSERT_TRUE(result.success()) << result.outcome.error();
  ASSERT_EQ(http.requests.size(), 3u);
  auto q = Query(http.requests[0].url);
  EXPECT_EQ(q["limit"], "1000");
  EXPECT_EQ(q["sort_order"], "DESC");
  EXPECT_EQ(std::stoll(q["date_from"]), ToUnixMillis(kStart - 24h) / 1000) << "first start reads the whole lookback";
  EXPECT_EQ(std::stoll(q["date_to"]), ToUnixMillis(kStart) / 1000);
  EXPECT_EQ(http.requests[0].headers[0].second, "Bearer jet-token-abc");
  EXPECT_EQ(Export(collector).Value(m::kJetMessagesTotal, {"main", "example.com", "delivered"}), 2500);
  EXPECT_EQ(collector.Status().watermark, kStart);

  // An API that caps the page size lower pages by it: a page of 300 is not
  // the last one.
  api.max_limit = 300;
  http.requests.clear();
  JetEmailCollector capped(account, collection);
  ASSERT_TRUE(Cycle(capped, http, budget).success());
  EXPECT_EQ(http.requests.size(), 9u);
  EXPECT_EQ(Export(capped).Value(m::kJetMessagesTotal, {"main", "example.com", "delivered"}), 2500);
}

TEST_F(JetEmailCollectorTest, NextWindowStartsAtWatermarkMinusOverlap) {
  MiniJetEmail api;
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  clock.Advance(60s);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  auto q = Query(http.requests.back().url);
  EXPECT_EQ(std::stoll(q["date_from"]), ToUnixMillis(kStart - collection.overlap) / 1000);
  EXPECT_EQ(std::stoll(q["date_to"]), ToUnixMillis(kStart + 60s) / 1000);
}

// The queries of requests from `first` on but the first of them: in these
// tests the new-message window is one request, the re-reads follow it.
std::vector<std::map<std::string, std::string>> Rereads(const ScriptedHttpClient& http, size_t first) {
  std::vector<std::map<std::string, std::string>> out;
  for (size_t i = first + 1; i < http.requests.size(); ++i) out.push_back(Query(http.requests[i].url));
  return out;
}

TEST_F(JetEmailCollectorTest, MessagesStillInFlightAreReadAgainAfterLeavingTheOverlap) {
  MiniJetEmail api;
  api.entries = {Entry(1, "queued", kStart - 10s), Entry(2, "delivered", kStart - 10s)};
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  clock.Advance(2h);  // far past the 5-minute overlap; this window still starts before it
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  api.entries[0] = Entry(1, "delivered", kStart - 10s);
  // Read at 2 h of age: read again within min(15 min, 2 h / 10) = 12 min,
  // not every cycle.
  size_t before = http.requests.size();
  clock.Advance(1min);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  EXPECT_EQ(http.requests.size() - before, 1u) << "not due yet: only the new window";
  EXPECT_EQ(Export(collector).Value(m::kJetMessagesTotal, {"main", "example.com", "delivered"}), 1);
  for (int i = 0; i < 11; ++i) {
    clock.Advance(1min);
    ASSERT_TRUE(Cycle(collector, http, budget).success());
  }
  EXPECT_EQ(Export(collector).Value(m::kJetMessagesTotal, {"main", "example.com", "delivered"}), 2);
  EXPECT_EQ(Export(collector).Value(m::kJetDeliveriesTotal, {"main", "example.com"}), 2);
  before = http.requests.size();
  clock.Advance(1min);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  EXPECT_EQ(http.requests.size() - before, 1u) << "nothing in flight: only the new window is read";
}

TEST_F(JetEmailCollectorTest, FreshOpenMessagesOutsideTheWindowAreReadEveryCycle) {
  collection.interval = 5s;
  collection.overlap = 0s;
  MiniJetEmail api;
  api.entries = {Entry(1, "queued", kStart - 3s)};
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(600);
  JetEmailCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  // Cycles start on time, as the worker starts them (the budget's spacing
  // moves the manual clock during a cycle).
  auto cycle_at = [&](std::chrono::seconds at) {
    clock.Set(kStart + at);
    const size_t before = http.requests.size();
    EXPECT_TRUE(Cycle(collector, http, budget).success());
    return Rereads(http, before).size();
  };
  // Fresh (arrived within 4 intervals): every cycle although just read.
  EXPECT_EQ(cycle_at(5s), 1u);
  EXPECT_EQ(cycle_at(10s), 1u);
  EXPECT_EQ(cycle_at(15s), 1u);
  // 23 s old, read at 18 s: due again 2 intervals after that read.
  EXPECT_EQ(cycle_at(20s), 0u);
  EXPECT_EQ(cycle_at(25s), 1u);
}

TEST_F(JetEmailCollectorTest, AClusterOfOpenMessagesIsReadAgainAsOneRange) {
  MiniJetEmail api;
  for (int i = 0; i < 130; ++i) {
    api.entries.push_back(Entry(i, i % 5 == 0 ? "deferred" : "delivered", kStart - 3h - std::chrono::seconds(i)));
  }
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  for (auto& e : api.entries) e["status"] = "delivered";
  clock.Advance(15min);  // the period of a 3-hour-old message
  const size_t before = http.requests.size();
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  const auto rereads = Rereads(http, before);
  ASSERT_EQ(rereads.size(), 1u) << "26 open messages within two minutes: one range";
  EXPECT_LE(std::stoll(rereads[0].at("date_from")), ToUnixMillis(kStart - 3h - 129s) / 1000);
  EXPECT_GE(std::stoll(rereads[0].at("date_to")), ToUnixMillis(kStart - 3h) / 1000);
  EXPECT_EQ(Export(collector).Value(m::kJetMessagesTotal, {"main", "example.com", "delivered"}), 130);
}

TEST_F(JetEmailCollectorTest, AFailedReReadIsRetriedNextCycle) {
  MiniJetEmail api;
  api.entries = {Entry(1, "deferred", kStart - 2h)};
  bool fail_rereads = false;
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) {
    HttpResponse response = api.Answer(r);
    if (fail_rereads && std::stoll(Query(r.url)["date_to"]) < ToUnixMillis(kStart) / 1000) response.body = "<html>";
    return response;
  });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  api.entries[0] = Entry(1, "delivered", kStart - 2h);
  fail_rereads = true;
  clock.Advance(12min);  // the period of a 2-hour-old message
  EXPECT_FALSE(Cycle(collector, http, budget).success());
  EXPECT_EQ(Export(collector).Value(m::kJetMessagesTotal, {"main", "example.com", "delivered"}), 0);
  fail_rereads = false;
  clock.Advance(1min);
  const size_t before = http.requests.size();
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  EXPECT_EQ(Rereads(http, before).size(), 1u) << "still due: read again at once";
  EXPECT_EQ(Export(collector).Value(m::kJetMessagesTotal, {"main", "example.com", "delivered"}), 1);
}

TEST_F(JetEmailCollectorTest, MalformedPageIsRejectedWholeCountedAndReadAgain) {
  MiniJetEmail api;
  api.entries = {Entry(1, "queued"), Entry(2, "queued")};
  bool truncate = true;
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) {
    HttpResponse response = api.Answer(r);
    if (truncate) response.body.resize(response.body.size() / 2);
    return response;
  });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  const CycleResult failed = Cycle(collector, http, budget);
  EXPECT_FALSE(failed.success());
  EXPECT_EQ(self.Value(m::kParseErrorsTotal, {"jetemail", "main"}), 1);
  EXPECT_EQ(collector.Status().tracked_messages, 0u) << "nothing half-applied";
  EXPECT_FALSE(collector.Status().watermark.has_value());
  truncate = false;
  clock.Advance(60s);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  EXPECT_EQ(std::stoll(Query(http.requests.back().url)["date_from"]), ToUnixMillis(kStart + 60s - 24h) / 1000) << "same window again";
  EXPECT_EQ(Export(collector).Value(m::kJetMessagesTotal, {"main", "example.com", "queued"}), 2);
}

TEST_F(JetEmailCollectorTest, QueriesMoreThanTwentyDomainsInGroups) {
  for (int i = 0; i < 45; ++i) account.domains.push_back("d" + std::to_string(i) + ".example.com");
  MiniJetEmail api;
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  ASSERT_EQ(http.requests.size(), 3u);
  size_t listed = 0;
  for (const auto& r : http.requests) {
    const std::string domains = Query(r.url)["domains"];
    size_t commas = 0;  // commas are escaped as %2C
    for (size_t p = domains.find("%2C"); p != std::string::npos; p = domains.find("%2C", p + 1)) ++commas;
    EXPECT_LE(commas + 1, 20u);
    listed += commas + 1;
  }
  EXPECT_EQ(listed, 45u);
}

TEST_F(JetEmailCollectorTest, FailedDomainMarksItDownAndKeepsTheWatermark) {
  MiniJetEmail api;
  api.domain_status = "error";
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  EXPECT_FALSE(Cycle(collector, http, budget).success());
  EXPECT_EQ(Export(collector).Value(m::kJetDomainUp, {"main", "example.com"}), 0);
  EXPECT_FALSE(collector.Status().watermark.has_value());
}

TEST_F(JetEmailCollectorTest, AuthenticationFailureNamesNoToken) {
  ScriptedHttpClient http(clock, [&](const HttpRequest&) { return Respond(401, R"({"success":false,"message":"Unauthorized"})"); });
  RequestBudget budget(60);
  JetEmailCollector collector(account, collection);
  const CycleResult result = Cycle(collector, http, budget);
  EXPECT_FALSE(result.success());
  EXPECT_NE(result.outcome.error().message.find("HTTP 401"), std::string::npos) << result.outcome.error();
  EXPECT_EQ(result.outcome.error().message.find("jet-token-abc"), std::string::npos);
}

TEST_F(JetEmailCollectorTest, ManyCyclesNeverExceedTheBudget) {
  MiniJetEmail api;
  for (int i = 0; i < 5500; ++i) api.entries.push_back(Entry(i, "queued"));
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(4);
  JetEmailCollector collector(account, collection);
  for (int cycle = 0; cycle < 5; ++cycle) {
    ASSERT_TRUE(Cycle(collector, http, budget).success());
    clock.Advance(10s);
  }
  EXPECT_GE(http.requests.size(), 30u);
  EXPECT_LE(MaxInAnyMinute(http.times), 4);
}

}  // namespace
}  // namespace ele
