#include "exporter/providers/mailtrap/mailtrap_collector.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "exporter/metrics/catalogue.h"
#include "exporter/providers/mailtrap/mailtrap_time.h"
#include "exporter/providers/mailtrap/mailtrap_wire.h"
#include "tests/unit/scripted_http_client.h"

namespace ele {
namespace {

using namespace std::chrono_literals;
using testing_support::MaxInAnyMinute;
using testing_support::Respond;
using testing_support::ScriptedHttpClient;
namespace m = metrics;

const TimePoint kStart = FromUnixMillis(1'767'225'600'000);

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::multimap<std::string, std::string> Query(const std::string& url) {
  std::multimap<std::string, std::string> out;
  const size_t q = url.find('?');
  std::string rest = q == std::string::npos ? "" : url.substr(q + 1);
  size_t pos = 0;
  while (pos < rest.size()) {
    const size_t amp = std::min(rest.find('&', pos), rest.size());
    const std::string pair = rest.substr(pos, amp - pos);
    const size_t eq = pair.find('=');
    out.emplace(pair.substr(0, eq), Unescape(pair.substr(eq + 1)));
    pos = amp + 1;
  }
  return out;
}

std::string One(const std::multimap<std::string, std::string>& q, const std::string& key) {
  auto it = q.find(key);
  return it == q.end() ? "" : it->second;
}

// A tiny Mailtrap list endpoint: newest first, cursor pages of `page_size`,
// honouring the sent window, status and opens/clicks filters.
struct MiniMailtrap {
  struct Row {
    std::string id, status;
    std::int64_t sent_ms, opens = 0, clicks = 0;
  };
  std::vector<Row> rows;  // newest first
  size_t page_size = 3;
  bool domains_fail = false;
  std::map<std::string, nlohmann::json> events;  // detail endpoint; absent ids answer 404

  bool Matches(const Row& r, const std::multimap<std::string, std::string>& q) const {
    const auto after = mailtrap::ParseIso8601Ms(One(q, "filters[sent_after]"));
    const auto before = mailtrap::ParseIso8601Ms(One(q, "filters[sent_before]"));
    if (r.sent_ms < *after || r.sent_ms > *before) return false;
    if (q.count("filters[status][value]")) {
      const bool equal = r.status == One(q, "filters[status][value]");
      if (equal != (One(q, "filters[status][operator]") == "equal")) return false;
    }
    auto count_ok = [&](const char* field, std::int64_t v) {
      const std::string op = One(q, std::string("filters[") + field + "][operator]");
      if (op.empty()) return true;
      const std::int64_t want = std::stoll(One(q, std::string("filters[") + field + "][value]"));
      return op == "greater_than" ? v > want : op == "equal" ? v == want : v < want;
    };
    return count_ok("opens_count", r.opens) && count_ok("clicks_count", r.clicks);
  }

  HttpResponse Answer(const HttpRequest& request) const {
    if (request.url.find("/sending_domains") != std::string::npos) {
      return domains_fail ? Respond(500, "") : Respond(200, R"({"data":[{"id":7,"domain_name":"mail.example.com"}]})");
    }
    if (const size_t at = request.url.find("/email_logs/"); at != std::string::npos) {
      const std::string id = request.url.substr(at + 12);
      auto it = events.find(id);
      if (it == events.end()) return Respond(404, R"({"error":"Not Found"})");
      const Row& row = *std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return r.id == id; });
      nlohmann::json body = {{"message_id", id}, {"status", row.status}, {"sent_at", mailtrap::FormatIso8601Ms(row.sent_ms)},
                             {"sending_stream", "transactional"}, {"sending_domain_id", 7}, {"opens_count", row.opens},
                             {"clicks_count", row.clicks}, {"events", it->second}};
      return Respond(200, body.dump());
    }
    auto q = Query(request.url);
    std::vector<const Row*> matching;
    for (const auto& r : rows) {
      if (Matches(r, q)) matching.push_back(&r);
    }
    size_t start = 0;
    if (const std::string cursor = One(q, "search_after"); !cursor.empty()) {
      while (start < matching.size() && matching[start]->id != cursor) ++start;
      ++start;
    }
    nlohmann::json messages = nlohmann::json::array();
    for (size_t i = start; i < matching.size() && messages.size() < page_size; ++i) {
      const Row& r = *matching[i];
      messages.push_back({{"message_id", r.id}, {"status", r.status}, {"sent_at", mailtrap::FormatIso8601Ms(r.sent_ms)},
                          {"sending_stream", "transactional"}, {"sending_domain_id", 7}, {"category", nullptr},
                          {"opens_count", r.opens}, {"clicks_count", r.clicks}});
    }
    const bool more = start + messages.size() < matching.size();
    nlohmann::json body = {{"messages", messages}, {"total_count", matching.size()},
                           {"next_page_cursor", more ? nlohmann::json(messages.back()["message_id"]) : nlohmann::json(nullptr)}};
    return Respond(200, body.dump());
  }
};

class MailtrapCollectorTest : public ::testing::Test {
 protected:
  MailtrapCollectorTest() {
    account.name = "prod";
    account.account_id = 42;
    account.token = Secret("mt-token-xyz");
    account.base_url = "http://mt.test";
    collection.interval = 60s;
  }
  CycleResult Cycle(MailtrapCollector& collector, ScriptedHttpClient& http, RequestBudget& budget) {
    ApiCaller api("mailtrap", "prod", http, clock, stop, budget, self, 1);
    CycleContext ctx{clock, api, self};
    return collector.RunCycle(ctx);
  }
  double Value(const MailtrapCollector& c, const m::Desc& d, m::LabelValues l) {
    m::MetricSet out;
    c.Snapshot(out);
    return out.Value(d, l);
  }
  const m::LabelValues labels{"prod", "mail.example.com", "transactional", ""};
  m::LabelValues With(const std::string& s) const {
    auto l = labels;
    l.push_back(s);
    return l;
  }

  MailtrapAccount account;
  CollectionConfig collection;
  ManualClock clock{kStart};
  StopSignal stop;
  m::MetricSet self;
};

TEST_F(MailtrapCollectorTest, FollowsTheCursorThroughTheWholeFirstWindow) {
  MiniMailtrap api;
  for (int i = 0; i < 10; ++i) api.rows.push_back({"id" + std::to_string(i), "delivered", ToUnixMillis(kStart - std::chrono::minutes(i))});
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  EXPECT_EQ(Value(collector, m::kMtMessagesTotal, With("delivered")), 10);
  ASSERT_GE(http.requests.size(), 5u);
  EXPECT_EQ(http.requests[0].url, "http://mt.test/api/accounts/42/sending_domains");
  const auto q = Query(http.requests[1].url);
  EXPECT_EQ(One(q, "filters[sent_after]"), mailtrap::FormatIso8601Ms(ToUnixMillis(kStart - 24h)));
  EXPECT_EQ(One(q, "filters[sent_before]"), mailtrap::FormatIso8601Ms(ToUnixMillis(kStart)));
  EXPECT_EQ(http.requests[1].headers[0], (std::pair<std::string, std::string>{"Api-Token", "mt-token-xyz"}));
  EXPECT_EQ(collector.Status().watermark, kStart);
}

TEST_F(MailtrapCollectorTest, EmptyPageWithNonZeroTotalEndsTheRead) {
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) {
    if (r.url.find("sending_domains") != std::string::npos) return Respond(200, R"({"data":[]})");
    return Respond(200, R"({"messages":[],"total_count":57,"next_page_cursor":"0f8e"})");
  });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  EXPECT_TRUE(Cycle(collector, http, budget).success());
}

TEST_F(MailtrapCollectorTest, ACursorAnsweredAgainFailsTheReadInsteadOfLoopingForHours) {
  const std::string sent_at = mailtrap::FormatIso8601Ms(ToUnixMillis(kStart - 1h));
  int list_calls = 0;
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) {
    if (r.url.find("sending_domains") != std::string::npos) return Respond(200, R"({"data":[]})");
    ++list_calls;
    return Respond(200, R"({"messages":[{"message_id":"m1","status":"delivered","sent_at":")" + sent_at +
                            R"(","sending_stream":"transactional","sending_domain_id":7,"opens_count":0,"clicks_count":0}],)"
                            R"("total_count":1000000,"next_page_cursor":"c1"})");
  });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  const CycleResult result = Cycle(collector, http, budget);
  ASSERT_FALSE(result.success());
  EXPECT_NE(result.outcome.error().message.find("next_page_cursor"), std::string::npos) << result.outcome.error().message;
  EXPECT_EQ(list_calls, 2) << "the first page, and the same one again";
}

TEST_F(MailtrapCollectorTest, StragglersAndLateOpensAreCountedAfterLeavingTheOverlap) {
  MiniMailtrap api;
  // Both sent before the overlap of the next cycle's window.
  api.rows = {{"late", "enqueued", ToUnixMillis(kStart - 10min)}, {"opened", "delivered", ToUnixMillis(kStart - 20min)}};
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  clock.Advance(1h);
  api.rows[0].status = "delivered";
  api.rows[1].opens = 3;
  api.rows[1].clicks = 1;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Cycle(collector, http, budget).success());
    clock.Advance(60s);
  }
  EXPECT_EQ(Value(collector, m::kMtMessagesTotal, With("delivered")), 2);
  EXPECT_EQ(Value(collector, m::kMtMessagesTotal, With("enqueued")), 1);
  EXPECT_EQ(Value(collector, m::kMtOpensTotal, labels), 3);
  EXPECT_EQ(Value(collector, m::kMtClickedMessagesTotal, labels), 1);
}

TEST_F(MailtrapCollectorTest, SteadyStateStaysWithinTheBudget) {
  MiniMailtrap api;
  api.page_size = 2;
  for (int i = 0; i < 200; ++i) {
    api.rows.push_back({"id" + std::to_string(i), "delivered", ToUnixMillis(kStart - std::chrono::minutes(i)), i % 3, 0});
  }
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  for (int cycle = 0; cycle < 20; ++cycle) {
    ASSERT_TRUE(Cycle(collector, http, budget).success());
    clock.Advance(60s);
  }
  EXPECT_LE(MaxInAnyMinute(http.times), 30);
  const auto opened = std::count_if(api.rows.begin(), api.rows.end(), [](const auto& r) { return r.opens > 0; });
  EXPECT_EQ(Value(collector, m::kMtOpenedMessagesTotal, labels), static_cast<double>(opened));
}

TEST_F(MailtrapCollectorTest, FailedMessagesAreFetchedThroughTheDetailBudgetAndGoneOnesDropped) {
  MiniMailtrap api;
  api.rows = {{"bounced", "not_delivered", ToUnixMillis(kStart - 1min)},
              {"expired", "not_delivered", ToUnixMillis(kStart - 2min)},
              {"fine", "delivered", ToUnixMillis(kStart - 3min)}};
  api.events["bounced"] = nlohmann::json::array(
      {{{"event_type", "bounce"}, {"created_at", mailtrap::FormatIso8601Ms(ToUnixMillis(kStart - 50s))},
        {"details", {{"bounce_category", "invalid_recipient"}}}}});
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget list_budget(30);
  RequestBudget detail_budget(300);
  ApiCaller list_api("mailtrap", "prod", http, clock, stop, list_budget, self, 1);
  ApiCaller detail_api("mailtrap", "prod", http, clock, stop, detail_budget, self, 2);
  CycleContext ctx{clock, list_api, self, &detail_api};
  MailtrapCollector collector(account, collection);
  ASSERT_TRUE(collector.RunCycle(ctx).success());
  EXPECT_EQ(detail_budget.UsedInLastMinute(clock.Now()), 2) << "detail calls spend their own budget";
  const int list_calls = list_budget.UsedInLastMinute(clock.Now());
  EXPECT_EQ(static_cast<size_t>(list_calls) + 2, http.requests.size());
  clock.Advance(60s);
  ASSERT_TRUE(collector.RunCycle(ctx).success());  // nothing changed: nothing fetched again
  std::vector<std::string> details;
  for (const auto& r : http.requests) {
    if (const size_t at = r.url.find("/email_logs/"); at != std::string::npos) details.push_back(r.url.substr(at + 12));
  }
  EXPECT_EQ(details, (std::vector<std::string>{"bounced", "expired"}));
  EXPECT_EQ(Value(collector, m::kMtEventsTotal, With("bounce")), 1);
  EXPECT_EQ(Value(collector, m::kMtBouncesTotal, {"prod", "mail.example.com", "transactional", "invalid_recipient"}), 1);
  EXPECT_EQ(self.Value(m::kApiRequestsTotal, {"mailtrap", "prod", "404"}), 1);
}

// The first read of a busy account runs for many intervals (here 6,000
// failed messages at 500 a page through 5 list calls a minute: minutes in
// one cycle), queueing details faster than they can be fetched. The detail
// budget is spent by the clock meanwhile, not once per cycle: every full
// minute of the read has at least 90% of detail_requests_per_minute, no
// minute more than all of it, and every event is counted once the queue
// drains.
TEST_F(MailtrapCollectorTest, DetailBudgetIsSpentByTheClockWhileAListReadRunsLong) {
  MiniMailtrap api;
  api.page_size = 500;
  for (int i = 0; i < 6000; ++i) {
    const std::string id = "m" + std::to_string(i);
    api.rows.push_back({id, "not_delivered", ToUnixMillis(kStart - std::chrono::seconds(10 * i + 1))});
    api.events[id] = nlohmann::json::array({{{"event_type", "reject"}, {"created_at", mailtrap::FormatIso8601Ms(api.rows.back().sent_ms)}}});
  }
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  account.requests_per_minute = 5;
  account.detail_requests_per_minute = 300;
  RequestBudget list_budget(account.requests_per_minute);
  RequestBudget detail_budget(account.detail_requests_per_minute);
  ApiCaller list_api("mailtrap", "prod", http, clock, stop, list_budget, self, 1);
  ApiCaller detail_api("mailtrap", "prod", http, clock, stop, detail_budget, self, 2);
  CycleContext ctx{clock, list_api, self, &detail_api};
  collection.interval = 5s;
  MailtrapCollector collector(account, collection);
  const TimePoint started = clock.Now();
  ASSERT_TRUE(collector.RunCycle(ctx).success());
  const TimePoint read_ended = http.times.back();
  ASSERT_GT(read_ended - started, 2min) << "the list read is meant to run long";

  auto detail_times = [&] {
    std::vector<TimePoint> times;
    for (size_t i = 0; i < http.requests.size(); ++i) {
      if (http.requests[i].url.find("/email_logs/") != std::string::npos) times.push_back(http.times[i]);
    }
    return times;
  };
  const std::vector<TimePoint> during_read = detail_times();
  ASSERT_FALSE(during_read.empty());
  // From the first page on, which queued the first details.
  for (TimePoint from = during_read.front(); from + 60s <= read_ended; from += 60s) {
    const auto in_minute = std::count_if(during_read.begin(), during_read.end(), [&](TimePoint t) { return t >= from && t < from + 60s; });
    EXPECT_GE(in_minute, 270) << "minute " << (from - started) / 60s;
  }
  for (int cycle = 0; cycle < 400 && detail_times().size() < 6000; ++cycle) {
    clock.Set(std::max(clock.Now(), started + (cycle + 1) * collection.interval));
    ASSERT_TRUE(collector.RunCycle(ctx).success());
  }
  EXPECT_EQ(detail_times().size(), 6000u);
  EXPECT_LE(MaxInAnyMinute(detail_times()), 300);
  EXPECT_EQ(Value(collector, m::kMtEventsTotal, With("reject")), 6000);
}

TEST_F(MailtrapCollectorTest, RefreshPassesArePacedAndBackOffWhileNothingChanges) {
  MiniMailtrap api;
  api.page_size = 50;
  for (int i = 0; i < 30; ++i) api.rows.push_back({"id" + std::to_string(i), "delivered", ToUnixMillis(kStart - std::chrono::minutes(30 + i)), 1, 0});
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(30);
  account.refresh_interval = 10min;
  MailtrapCollector collector(account, collection);
  std::vector<int> pass_minutes;
  for (int minute = 0; minute <= 135; ++minute) {
    if (minute == 71) api.rows[3].opens = 2;  // read by the pass at 110, which resets the wait
    if (minute == 125) api.rows.insert(api.rows.begin(), {"new", "delivered", ToUnixMillis(clock.Now()), 0, 0});  // activity: resets it too
    const size_t before = http.requests.size();
    ASSERT_TRUE(Cycle(collector, http, budget).success());
    // A pass starts with the opened-messages read, without a cursor.
    const bool pass_started = std::any_of(http.requests.begin() + static_cast<long>(before), http.requests.end(), [](const HttpRequest& r) {
      const auto q = Query(r.url);
      return One(q, "filters[opens_count][operator]") == "greater_than" && !q.contains("search_after");
    });
    if (pass_started) pass_minutes.push_back(minute);
    clock.Advance(60s);
  }
  // The first read covered the lookback. Then waits of 10, 20 and 40
  // minutes while passes find nothing; the change found at 110 brings the
  // wait back to 10 (120); the pass at 120 finds nothing, but the new
  // message at 125 brings it back to 10 again (130).
  EXPECT_EQ(pass_minutes, (std::vector<int>{10, 30, 70, 110, 120, 130}));
  EXPECT_EQ(Value(collector, m::kMtOpensTotal, labels), 31);
  EXPECT_LE(static_cast<double>(http.requests.size()) / 136, 1.5) << "an idle account costs about one call a cycle";
}

// At a 1 s interval and 30 list calls a minute, a new-message read every
// cycle would take every call; it runs every 4 s (two spacings) instead, so
// the refresh still reads the late opens of older messages, and new mail is
// still counted within seconds.
TEST_F(MailtrapCollectorTest, ShortIntervalLeavesListCallsForTheRefresh) {
  MiniMailtrap api;
  for (int i = 0; i < 10; ++i) api.rows.push_back({"old" + std::to_string(i), "delivered", ToUnixMillis(kStart - std::chrono::minutes(30 + i)), 1, 0});
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(30);
  account.refresh_interval = 15s;
  collection.interval = 1s;
  MailtrapCollector collector(account, collection);
  const TimePoint started = clock.Now();
  for (int cycle = 0; clock.Now() < started + 3min; ++cycle) {
    if (cycle == 20) {
      for (auto& row : api.rows) row.opens = 3;  // late opens of every old message
    }
    if (cycle == 40) api.rows.insert(api.rows.begin(), {"new", "delivered", ToUnixMillis(clock.Now()), 0, 0});
    ASSERT_TRUE(Cycle(collector, http, budget).success());
    clock.Set(std::max(clock.Now(), started + (cycle + 1) * collection.interval));
  }
  EXPECT_EQ(Value(collector, m::kMtOpensTotal, labels), 30) << "the refresh read the late opens";
  EXPECT_EQ(Value(collector, m::kMtMessagesTotal, With("delivered")), 11);
  EXPECT_LE(MaxInAnyMinute(http.times), 30);
  const auto status = collector.Status();
  ASSERT_TRUE(status.watermark.has_value());
  EXPECT_LE(clock.Now() - *status.watermark, 6s) << "new mail stays within two list-call spacings and a cycle";
}

// The health gauges come from the hourly domains list; when it has not been
// read for three hours (the third failed attempt) they are dropped rather
// than shown stale.
TEST_F(MailtrapCollectorTest, SendingDomainHealthIsDroppedWhenTheListStaysUnreadable) {
  MiniMailtrap api;
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) {
    if (r.url.find("/sending_domains") != std::string::npos && !api.domains_fail) {
      return Respond(200, R"({"data":[{"id":7,"domain_name":"mail.example.com","dns_verified":false}]})");
    }
    return api.Answer(r);
  });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  EXPECT_EQ(Value(collector, m::kMtSendingDomainDnsVerified, {"prod", "mail.example.com"}), 0);
  m::MetricSet out;
  collector.Snapshot(out);
  ASSERT_NE(out.Find(m::kMtSendingDomainDnsVerified), nullptr);
  EXPECT_EQ(out.Find(m::kMtSendingDomainDnsVerified)->size(), 1u);
  api.domains_fail = true;
  for (int hour = 1; hour <= 4; ++hour) {
    clock.Advance(1h);
    ASSERT_TRUE(Cycle(collector, http, budget).success());
    m::MetricSet now;
    collector.Snapshot(now);
    const size_t series = now.Find(m::kMtSendingDomainDnsVerified) == nullptr ? 0 : now.Find(m::kMtSendingDomainDnsVerified)->size();
    EXPECT_EQ(series, hour < 3 ? 1u : 0u) << "hour " << hour << ": dropped at the third failed attempt";
  }
}

// Detail work changes the state, but it is no list activity: an idle
// account with a detail backlog still backs its refresh passes off.
TEST_F(MailtrapCollectorTest, DetailWorkDoesNotKeepTheRefreshFromBackingOff) {
  MiniMailtrap api;
  api.page_size = 50;
  for (int i = 0; i < 300; ++i) {
    const std::string id = "f" + std::to_string(i);
    api.rows.push_back({id, "not_delivered", ToUnixMillis(kStart - std::chrono::minutes(30) - std::chrono::seconds(i)), 1, 0});
    api.events[id] = nlohmann::json::array({{{"event_type", "reject"}, {"created_at", mailtrap::FormatIso8601Ms(api.rows.back().sent_ms)}}});
  }
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  account.refresh_interval = 10min;
  account.detail_requests_per_minute = 5;  // a backlog for an hour
  RequestBudget list_budget(30);
  RequestBudget detail_budget(account.detail_requests_per_minute);
  ApiCaller list_api("mailtrap", "prod", http, clock, stop, list_budget, self, 1);
  ApiCaller detail_api("mailtrap", "prod", http, clock, stop, detail_budget, self, 2);
  CycleContext ctx{clock, list_api, self, &detail_api};
  MailtrapCollector collector(account, collection);
  std::vector<int> pass_minutes;
  const TimePoint started = clock.Now();
  for (int minute = 0; minute <= 50; ++minute) {
    clock.Set(std::max(clock.Now(), started + std::chrono::minutes(minute)));
    const size_t before = http.requests.size();
    ASSERT_TRUE(collector.RunCycle(ctx).success());
    const bool pass_started = std::any_of(http.requests.begin() + static_cast<long>(before), http.requests.end(), [](const HttpRequest& r) {
      const auto q = Query(r.url);
      return One(q, "filters[opens_count][operator]") == "greater_than" && !q.contains("search_after");
    });
    if (pass_started) pass_minutes.push_back(minute);
  }
  ASSERT_GT(collector.Status().tracked_messages, 0u);
  EXPECT_EQ(pass_minutes, (std::vector<int>{10, 30})) << "waits of 10, then 20 minutes: the passes found nothing new";
}

TEST_F(MailtrapCollectorTest, UnresolvableDomainsLabelById) {
  MiniMailtrap api;
  api.domains_fail = true;
  api.rows = {{"a", "delivered", ToUnixMillis(kStart - 1min)}};
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) { return api.Answer(r); });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  EXPECT_EQ(Value(collector, m::kMtMessagesTotal, {"prod", "7", "transactional", "", "delivered"}), 1);
}

TEST_F(MailtrapCollectorTest, NotFoundSaysTheAccountIdIsProbablyWrong) {
  ScriptedHttpClient http(clock, [&](const HttpRequest&) { return Respond(404, R"({"error":"Not Found"})"); });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  const CycleResult result = Cycle(collector, http, budget);
  EXPECT_FALSE(result.success());
  EXPECT_EQ(result.outcome.error(), "HTTP 404: not found; account_id 42 is probably wrong (API says: Not Found)");
}

TEST_F(MailtrapCollectorTest, MalformedPageCountsAParseErrorAndResumesFromTheCursor) {
  MiniMailtrap api;
  for (int i = 0; i < 9; ++i) api.rows.push_back({"id" + std::to_string(i), "delivered", ToUnixMillis(kStart - std::chrono::minutes(i))});
  int list_calls = 0;
  ScriptedHttpClient http(clock, [&](const HttpRequest& r) {
    HttpResponse response = api.Answer(r);
    if (r.url.find("email_logs") != std::string::npos && ++list_calls == 2) response.body = "{\"messages\": [";
    return response;
  });
  RequestBudget budget(30);
  MailtrapCollector collector(account, collection);
  EXPECT_FALSE(Cycle(collector, http, budget).success());
  EXPECT_EQ(self.Value(m::kParseErrorsTotal, {"mailtrap", "prod"}), 1);
  EXPECT_FALSE(collector.Status().watermark.has_value());
  clock.Advance(60s);
  ASSERT_TRUE(Cycle(collector, http, budget).success());
  EXPECT_EQ(One(Query(http.requests[3].url), "search_after"), "id2") << "resumes after the last good page";
  EXPECT_EQ(Value(collector, m::kMtMessagesTotal, With("delivered")), 9);
}

}  // namespace
}  // namespace ele
