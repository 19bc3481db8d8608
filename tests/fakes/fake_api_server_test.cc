// Black-box tests of the fake provider APIs: the real server on a free port,
// a controlled clock, requests through libcurl. Only the public header is
// used, so the ground-truth check below is an independent recount.
#include "tests/fakes/fake_api_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/fakes/curl_header_sink.h"

namespace ele::fake {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t kStart = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr char kJetToken[] = "jet-token";
constexpr char kJetOtherToken[] = "jet-other-token";
constexpr char kMtToken[] = "mt-token";
constexpr char kMtStagingToken[] = "mt-staging-token";
constexpr char kNewDomains[] =
    "d21.example.com,d22.example.com,d23.example.com,d24.example.com,d25.example.com";

struct HttpResult {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  Json json() const { return Json::parse(body); }
};

// One easy handle reused across calls, so connections are kept alive.
class Http {
 public:
  Http() : curl_(curl_easy_init()) {}
  ~Http() { curl_easy_cleanup(curl_); }
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  HttpResult Get(const std::string& url, const std::vector<std::string>& headers = {}) {
    HttpResult result;
    curl_slist* list = nullptr;
    for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Http::OnBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &CollectHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &result.headers);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10'000L);
    const CURLcode code = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    EXPECT_EQ(code, CURLE_OK) << url;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.status);
    return result;
  }

 private:
  static size_t OnBody(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  }

  CURL* curl_;
};

// `filters[status][operator]` with the brackets percent-encoded.
std::string Q(const std::string& key) {
  std::string out;
  for (const char c : key) {
    if (c == '[') {
      out += "%5B";
    } else if (c == ']') {
      out += "%5D";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Two JetEmail accounts (one past 20 domains) and two Mailtrap accounts.
ScenarioSpec SmallSpec() {
  ScenarioSpec spec;
  spec.seed = 42;
  spec.start_ms = kStart;
  JetEmailAccountSpec main;
  main.name = "main";
  main.token = kJetToken;
  main.domain_count = 25;
  main.message_count = 300;
  main.duration_s = 120;
  JetEmailAccountSpec other;
  other.name = "other";
  other.token = kJetOtherToken;
  other.domain_count = 3;
  other.message_count = 20;
  other.duration_s = 60;
  spec.jetemail = {main, other};
  MailtrapAccountSpec prod;
  prod.name = "prod";
  prod.account_id = 123456;
  prod.token = kMtToken;
  prod.message_count = 150;
  prod.duration_s = 120;
  prod.page_size = 7;
  prod.list_limit_per_minute = 100'000;  // walks; the limit has its own test
  MailtrapAccountSpec staging;
  staging.name = "staging";
  staging.account_id = 777;
  staging.token = kMtStagingToken;
  staging.message_count = 10;
  spec.mailtrap = {prod, staging};
  return spec;
}

class FakeApiTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(SmallSpec()); }

  void StartServer(const ScenarioSpec& spec) {
    server_ = std::make_unique<FakeApiServer>(spec, [this] { return now_.load(); });
    std::string error;
    ASSERT_TRUE(server_->Start("127.0.0.1:0", &error)) << error;
  }

  HttpResult Jet(const std::string& query, const std::string& token = kJetToken) {
    return http_.Get(server_->base_url() + "/inbound/account/logs?" + query,
                     {"Authorization: Bearer " + token});
  }
  HttpResult Mt(const std::string& path, const std::string& token = kMtToken) {
    return http_.Get(server_->base_url() + "/api/accounts/" + path, {"Api-Token: " + token});
  }

  // Every JetEmail entry of `main` now: the first 20 domains, then the rest.
  std::vector<Json> JetAll(int limit, bool by_page, const std::string& order) {
    std::vector<Json> entries;
    for (const std::string domains : {"", kNewDomains}) {
      for (int i = 0;; ++i) {
        std::string query = "limit=" + std::to_string(limit) + "&sort_order=" + order;
        query +=
            by_page ? "&page=" + std::to_string(i + 1) : "&offset=" + std::to_string(i * limit);
        if (!domains.empty()) query += "&domains=" + domains;
        const HttpResult r = Jet(query);
        EXPECT_EQ(r.status, 200) << r.body;
        const Json page = r.json();
        for (const Json& e : page["data"]) entries.push_back(e);
        if (page["pagination"]["returned"].get<int>() < limit) break;
      }
    }
    return entries;
  }

  // Follows next_page_cursor to the end; checks total_count on the way.
  std::vector<Json> MtWalk(const std::string& filters = "", const std::string& account = "123456") {
    std::vector<Json> messages;
    std::string cursor;
    std::int64_t total = -1;
    for (int guard = 0; guard < 1000; ++guard) {
      std::string path = account + "/email_logs?" + filters;
      if (!cursor.empty()) path += "&search_after=" + cursor;
      const HttpResult r = Mt(path);
      EXPECT_EQ(r.status, 200) << r.body;
      const Json page = r.json();
      total = page["total_count"].get<std::int64_t>();
      for (const Json& m : page["messages"]) messages.push_back(m);
      if (page["next_page_cursor"].is_null()) break;
      cursor = page["next_page_cursor"].get<std::string>();
    }
    EXPECT_EQ(static_cast<std::int64_t>(messages.size()), total);
    return messages;
  }

  std::atomic<std::int64_t> now_{kStart};
  std::unique_ptr<FakeApiServer> server_;
  Http http_;
};

std::vector<std::string> Field(const std::vector<Json>& items, const char* name) {
  std::vector<std::string> out;
  for (const Json& item : items) out.push_back(item[name].get<std::string>());
  return out;
}

// ---------------------------------------------------------------- JetEmail

TEST_F(FakeApiTest, JetEmailPagesAndOffsetsCoverEveryEntryOnce) {
  now_ = server_->scripted_end_ms();
  for (const bool by_page : {true, false}) {
    for (const char* order : {"DESC", "ASC"}) {
      const std::vector<std::string> uids = Field(JetAll(13, by_page, order), "uid");
      const std::set<std::string> unique(uids.begin(), uids.end());
      EXPECT_EQ(uids.size(), 300u) << by_page << order;
      EXPECT_EQ(unique.size(), uids.size()) << by_page << order;
      for (const std::string& uid : uids) EXPECT_EQ(uid.size(), 20u);
    }
  }
}

TEST_F(FakeApiTest, JetEmailSortsByArrival) {
  now_ = server_->scripted_end_ms();
  const Json desc = Jet("limit=1000").json();
  std::int64_t previous = INT64_MAX;
  for (const Json& e : desc["data"]) {
    const std::int64_t date = e["actions"][0]["date"].get<std::int64_t>();
    EXPECT_LE(date, previous);
    previous = date;
    EXPECT_EQ(e["actions"][0]["logtype"], "inbound");
  }
}

TEST_F(FakeApiTest, JetEmailQueriesFirstTwentyDomainsUnlessNamed) {
  now_ = server_->scripted_end_ms();
  const Json all = Jet("limit=1").json();
  EXPECT_EQ(all["total_domains"], 25);
  EXPECT_EQ(all["domains_included"], 20);
  ASSERT_EQ(all["domains_queried"].size(), 20u);
  EXPECT_EQ(all["domains_queried"][0]["domain"], "d01.example.com");
  EXPECT_EQ(all["domains_queried"][19]["domain"], "d20.example.com");
  std::int64_t sum = 0;
  for (const Json& d : all["domains_queried"]) {
    EXPECT_EQ(d["status"], "success");
    sum += d["count"].get<std::int64_t>();
  }
  EXPECT_EQ(sum, all["pagination"]["total"].get<std::int64_t>());

  const Json named =
      Jet("limit=1&domains=d22.example.com,unknown.example.com,d25.example.com").json();
  EXPECT_EQ(named["domains_included"], 2);
  EXPECT_EQ(named["domains_queried"][0]["domain"], "d22.example.com");
  EXPECT_GT(named["pagination"]["total"].get<int>(), 0);  // d22 is a popular one

  std::string too_many = "limit=1&domains=";
  for (int i = 1; i <= 21; ++i) too_many += "d" + std::to_string(10 + i) + ".example.com,";
  EXPECT_EQ(Jet(too_many).status, 400);
}

TEST_F(FakeApiTest, JetEmailDateFilterIsInclusiveInSeconds) {
  now_ = server_->scripted_end_ms();
  const Json all = Jet("limit=1000").json();
  const std::int64_t second = all["data"][17]["actions"][0]["date"].get<std::int64_t>() / 1000;
  std::size_t expected = 0;
  for (const Json& e : all["data"]) {
    if (e["actions"][0]["date"].get<std::int64_t>() / 1000 == second) ++expected;
  }
  const std::string s = std::to_string(second);
  const Json one = Jet("limit=1000&date_from=" + s + "&date_to=" + s).json();
  EXPECT_EQ(one["data"].size(), expected);
  EXPECT_GE(expected, 1u);
  const Json after = Jet("limit=1000&date_from=" + std::to_string(second + 1)).json();
  const Json before = Jet("limit=1000&date_to=" + std::to_string(second - 1)).json();
  EXPECT_EQ(after["data"].size() + before["data"].size() + expected, all["data"].size());
}

TEST_F(FakeApiTest, JetEmailRejectsBadParameters) {
  for (const char* query : {"limit=0", "limit=1001", "limit=abc", "page=0", "offset=-1",
                            "sort_order=up", "date_from=yesterday"}) {
    const HttpResult r = Jet(query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(r.json()["success"], false) << query;
  }
  EXPECT_EQ(Jet("limit=1000&page=1&offset=5").json()["pagination"]["offset"], 0);  // page wins
}

TEST_F(FakeApiTest, JetEmailTokenSelectsAccount) {
  now_ = server_->scripted_end_ms();
  const HttpResult missing = http_.Get(server_->base_url() + "/inbound/account/logs");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.json(), Json::parse(R"({"success":false,"message":"Unauthorized"})"));
  EXPECT_EQ(Jet("", "nope").status, 401);
  const Json other = Jet("limit=1000", kJetOtherToken).json();
  EXPECT_EQ(other["total_domains"], 3);
  EXPECT_EQ(other["pagination"]["total"], 20);
}

TEST_F(FakeApiTest, JetEmailBlocksAccountPastTheRateLimit) {
  for (int i = 0; i < 240; ++i) ASSERT_EQ(Jet("limit=1").status, 200) << i;
  const HttpResult blocked = Jet("limit=1");
  EXPECT_EQ(blocked.status, 429);
  EXPECT_EQ(blocked.headers.at("retry-after"), "300");
  EXPECT_EQ(Jet("limit=1", kJetOtherToken).status, 200);  // per account
  now_ += 61'000;  // the window has passed, the block has not
  EXPECT_EQ(Jet("limit=1").status, 429);
  now_ = kStart + 300'000;
  EXPECT_EQ(Jet("limit=1").status, 200);
}

TEST_F(FakeApiTest, JetEmailPageJitterIncludesUpToTwoSecondsMore) {
  ScenarioSpec spec = SmallSpec();
  spec.jetemail[0].page_jitter = true;
  StartServer(spec);
  now_ = server_->scripted_end_ms();
  const Json all = Jet("limit=1000&sort_order=ASC").json();
  const std::int64_t date_to = all["data"][100]["actions"][0]["date"].get<std::int64_t>() / 1000;
  std::set<std::int64_t> totals;
  for (int i = 0; i < 40; ++i) {
    now_ += 1;
    const Json page = Jet("limit=3&date_to=" + std::to_string(date_to)).json();  // newest first
    for (const Json& e : page["data"]) {
      EXPECT_LT(e["actions"][0]["date"].get<std::int64_t>(), (date_to + 3) * 1000);
    }
    totals.insert(page["pagination"]["total"].get<std::int64_t>());
  }
  EXPECT_GT(totals.size(), 1u);  // varies from call to call
}

TEST_F(FakeApiTest, JetEmailLongDeferralsAreSpreadRetriedAndDeliveredAtTheEnd) {
  ScenarioSpec spec = SmallSpec();
  spec.jetemail[0].long_deferred_count = 3;
  spec.jetemail[0].long_deferral_s = 7200;
  spec.jetemail[0].long_retry_s = 1800;
  StartServer(spec);
  EXPECT_GE(server_->scripted_end_ms(), kStart + 7'200'000);
  now_ = kStart + 3'600'000;
  const Json all = Jet("limit=1000&sort_order=ASC").json();  // the first 20 domains
  std::vector<std::int64_t> deferred_at;
  for (const Json& e : all["data"]) {
    if (e["status"] == "deferred") deferred_at.push_back(e["actions"][0]["date"].get<std::int64_t>());
  }
  ASSERT_GE(deferred_at.size(), 1u) << "one hour in, the long-deferred ones are still deferred";
  EXPECT_LE(deferred_at.size(), 3u);
  now_ = kStart + 7'300'000;
  const Json later = Jet("limit=1000&sort_order=ASC").json();  // named: a range-for over a temporary's member dangles
  for (const Json& e : later["data"]) {
    EXPECT_NE(e["status"], "deferred");
    const std::int64_t arrival = e["actions"][0]["date"].get<std::int64_t>();
    if (std::find(deferred_at.begin(), deferred_at.end(), arrival) == deferred_at.end()) continue;
    EXPECT_EQ(e["status"], "delivered");
    EXPECT_GE(e["rejected_count"].get<int>(), 3) << "tried again every half hour";
  }
}

TEST_F(FakeApiTest, JetEmailDateFilterCanCompareTheLastChange) {
  ScenarioSpec spec = SmallSpec();
  spec.jetemail[0].long_deferred_count = 1;  // the oldest message, delivered 2 h after arriving
  spec.jetemail[0].long_deferral_s = 7200;
  spec.jetemail[0].date_filter_on_last_change = true;
  StartServer(spec);
  now_ = kStart + 7'300'000;
  const std::string recent = "limit=1000&sort_order=ASC&date_from=" + std::to_string((kStart + 3'600'000) / 1000);
  const Json changed = Jet(recent).json();
  ASSERT_EQ(changed["data"].size(), 1u) << "only the message that changed in the last hour";
  EXPECT_EQ(changed["data"][0]["status"], "delivered");
  const std::int64_t arrival = changed["data"][0]["actions"][0]["date"].get<std::int64_t>();
  const std::string around = "limit=1000&date_from=" + std::to_string(arrival / 1000) + "&date_to=" + std::to_string(arrival / 1000);
  const Json by_arrival = Jet(around).json();
  for (const Json& e : by_arrival["data"]) EXPECT_NE(e["uid"], changed["data"][0]["uid"]) << "not by its arrival";
}

// ---------------------------------------------------------------- Mailtrap

TEST_F(FakeApiTest, MailtrapCursorWalkCoversEveryMessageOnce) {
  now_ = server_->scripted_end_ms();
  const std::vector<Json> messages = MtWalk();
  ASSERT_EQ(messages.size(), 150u);
  const std::vector<std::string> ids = Field(messages, "message_id");
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  for (std::size_t i = 1; i < messages.size(); ++i) {
    const auto previous = std::make_pair(messages[i - 1]["sent_at"], messages[i - 1]["message_id"]);
    const auto current = std::make_pair(messages[i]["sent_at"], messages[i]["message_id"]);
    EXPECT_GT(previous, current);  // newest first, id as tie-break
  }
}

TEST_F(FakeApiTest, MailtrapFiltersStatusWindowAndCounts) {
  now_ = kStart + 70'000;  // mid-scenario: every status occurs
  const std::vector<Json> all = MtWalk();
  std::map<std::string, std::size_t> by_status;
  std::size_t opened = 0;
  for (const Json& m : all) {
    ++by_status[m["status"].get<std::string>()];
    if (m["opens_count"].get<int>() > 0) ++opened;
  }
  ASSERT_GT(by_status["enqueued"], 0u);
  ASSERT_GT(by_status["delivered"], 0u);

  const std::string status =
      Q("filters[status][operator]") + "=equal&" + Q("filters[status][value]");
  EXPECT_EQ(MtWalk(status + "=delivered").size(), by_status["delivered"]);
  EXPECT_EQ(MtWalk(Q("filters[status][operator]") + "=equal&" + Q("filters[status][value][]") +
                   "=delivered&" + Q("filters[status][value][]") + "=enqueued")
                .size(),
            by_status["delivered"] + by_status["enqueued"]);
  EXPECT_EQ(MtWalk(Q("filters[status][operator]") + "=not_equal&" + Q("filters[status][value]") +
                   "=enqueued")
                .size(),
            all.size() - by_status["enqueued"]);
  const std::vector<Json> opens = MtWalk(Q("filters[opens_count][operator]") + "=greater_than&" +
                                         Q("filters[opens_count][value]") + "=0");
  EXPECT_EQ(opens.size(), opened);
  for (const Json& m : opens) EXPECT_GT(m["opens_count"].get<int>(), 0);

  const std::string sent_at = all[20]["sent_at"].get<std::string>();
  const std::vector<Json> window = MtWalk(Q("filters[sent_after]") + "=" + sent_at + "&" +
                                          Q("filters[sent_before]") + "=" + sent_at);
  ASSERT_GE(window.size(), 1u);
  for (const Json& m : window) EXPECT_EQ(m["sent_at"], sent_at);
  const std::vector<Json> newer = MtWalk(Q("filters[sent_after]") + "=" + sent_at);
  EXPECT_EQ(newer.size(), 20u + window.size());

  // Unknown or malformed filters are ignored, like the real API does.
  EXPECT_EQ(
      MtWalk(Q("filters[bogus][operator]") + "=equal&" + Q("filters[bogus][value]") + "=1").size(),
      all.size());
  EXPECT_EQ(MtWalk(Q("filters[status][operator]") + "=maybe&" + Q("filters[status][value]") + "=x")
                .size(),
            all.size());
}

TEST_F(FakeApiTest, MailtrapFiltersStreamCategoryAndDomain) {
  now_ = server_->scripted_end_ms();
  const std::vector<Json> all = MtWalk();
  std::size_t bulk = 0, welcome = 0, domain = 0;
  for (const Json& m : all) {
    bulk += m["sending_stream"] == "bulk";
    welcome += m["category"] == "welcome";
    domain += m["sending_domain_id"] == 3939;
  }
  auto equal = [](const std::string& field, const std::string& value) {
    return Q("filters[" + field + "][operator]") + "=equal&" + Q("filters[" + field + "][value]") +
           "=" + value;
  };
  EXPECT_EQ(MtWalk(equal("sending_stream", "bulk")).size(), bulk);
  EXPECT_EQ(MtWalk(equal("category", "welcome")).size(), welcome);
  EXPECT_EQ(MtWalk(equal("sending_domain_id", "3939")).size(), domain);
  EXPECT_GT(bulk * welcome * domain, 0u);
}

TEST_F(FakeApiTest, MailtrapUnknownCursorIsRejected) {
  now_ = server_->scripted_end_ms();
  const HttpResult r = Mt("123456/email_logs?search_after=00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json(), Json::parse(R"({"error":"invalid search_after"})"));
}

TEST_F(FakeApiTest, MailtrapAuthErrors) {
  const std::string url = server_->base_url() + "/api/accounts/123456/email_logs";
  const HttpResult missing = http_.Get(url);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.json(), Json::parse(R"({"error":"Incorrect API token"})"));
  EXPECT_EQ(http_.Get(url, {"Authorization: Bearer mt-token"}).status, 200);
  const HttpResult other = Mt("123456/email_logs", kMtStagingToken);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.json(), Json::parse(R"({"errors":"Account access forbidden"})"));
  const HttpResult unknown = Mt("999/email_logs");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json(), Json::parse(R"({"error":"Not Found"})"));
  EXPECT_EQ(Mt("123456/nothing_here").status, 404);
  EXPECT_EQ(http_.Get(server_->base_url() + "/nowhere").status, 404);
}

TEST_F(FakeApiTest, MailtrapListRateLimitHasNoRetryAfter) {
  ScenarioSpec spec = SmallSpec();
  spec.mailtrap[0].list_limit_per_minute = 60;
  StartServer(spec);
  for (int i = 0; i < 60; ++i) {
    const HttpResult r = Mt("123456/email_logs");
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(r.headers.at("x-ratelimit-limit"), "60");
    EXPECT_EQ(r.headers.at("x-ratelimit-remaining"), std::to_string(59 - i));
  }
  const HttpResult limited = Mt("123456/email_logs");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.json(), Json::parse(R"({"errors":"Rate limit exceeded"})"));
  EXPECT_EQ(limited.headers.count("retry-after"), 0u);
  EXPECT_EQ(Mt("123456/sending_domains").status, 200);  // not the list budget
  now_ += 60'000;
  EXPECT_EQ(Mt("123456/email_logs").status, 200);
}

TEST_F(FakeApiTest, MailtrapDetailShowsEventsSoFar) {
  now_ = server_->scripted_end_ms();
  const std::vector<Json> final_list = MtWalk();
  now_ = kStart + 70'000;
  int checked = 0;
  for (const Json& listed : final_list) {
    const std::string id = listed["message_id"];
    const HttpResult r = Mt("123456/email_logs/" + id);
    const std::string sent_at = listed["sent_at"];
    if (r.status == 404) continue;  // not sent yet at this time
    ASSERT_EQ(r.status, 200);
    const Json m = r.json();
    int opens = 0;
    for (const Json& e : m["events"]) {
      EXPECT_LE(e["created_at"].get<std::string>(), "2023-11-14T22:14:30.000Z");
      opens += e["event_type"] == "open";
    }
    EXPECT_EQ(m["opens_count"], opens);
    ++checked;
  }
  EXPECT_GT(checked, 10);
  EXPECT_LT(checked, 150);  // later ones answer 404 before they are sent
  const Json domains = Mt("123456/sending_domains").json();
  EXPECT_EQ(domains["data"][1]["domain_name"], "news.example.com");
  EXPECT_EQ(domains["data"][1]["id"], 3939);
}

// ---------------------------------------------------------------- oracle

// Everything the test saw of one provider message over the run.
struct Observed {
  std::set<std::string> statuses;
  Json last;
};

// Polls both APIs every 8 s of fake time (every status is held at least
// 10 s) from the start to the end, then recounts every series from what it
// saw.
class GroundTruthTest : public FakeApiTest {
 protected:
  static ScenarioSpec WalkSpec() {
    ScenarioSpec spec = SmallSpec();
    spec.seed = 7;
    spec.jetemail.resize(1);
    spec.jetemail[0].message_count = 120;
    spec.jetemail[0].requests_per_minute = 100'000;
    spec.mailtrap.resize(1);
    spec.mailtrap[0].message_count = 80;
    spec.mailtrap[0].page_size = 25;
    spec.mailtrap[0].list_limit_per_minute = 100'000;
    return spec;
  }

  void Walk() {
    StartServer(WalkSpec());
    for (now_ = kStart; now_ <= server_->scripted_end_ms() + 8000; now_ += 8000) {
      for (const Json& e : JetAll(1000, true, "DESC")) Observe(jet_, e, "uid");
      for (const Json& m : MtWalk()) Observe(mt_, m, "message_id");
    }
    for (auto& [id, seen] : mt_) {
      events_[id] = Mt("123456/email_logs/" + id).json()["events"];
    }
    domains_ = Mt("123456/sending_domains").json()["data"];
    for (const Json& d : domains_) {
      domain_names_[d["id"].get<std::int64_t>()] = d["domain_name"];
    }
  }

  // The last delivery or (soft) bounce naming a mailbox provider, lowercased.
  static std::string MailboxProvider(const Json& events) {
    std::string provider = "unknown";
    for (const Json& e : events) {
      const std::string type = e["event_type"];
      if (type != "delivery" && type != "bounce" && type != "soft_bounce") continue;
      if (!e["details"].contains("email_service_provider") || !e["details"]["email_service_provider"].is_string()) continue;
      provider = e["details"]["email_service_provider"];
      for (char& c : provider) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return provider;
  }

  void RecountSendingDomains(std::map<std::string, double>& out) const {
    for (const Json& d : domains_) {
      const std::string ad = "{account=\"prod\",domain=\"" + d["domain_name"].get<std::string>() + "\"}";
      Add(out, "mailtrap_sending_domain_dns_verified" + ad, d["dns_verified"].get<bool>() ? 1 : 0);
      Add(out, "mailtrap_sending_domain_open_tracking_enabled" + ad, d["open_tracking_enabled"].get<bool>() ? 1 : 0);
      Add(out, "mailtrap_sending_domain_click_tracking_enabled" + ad, d["click_tracking_enabled"].get<bool>() ? 1 : 0);
      Add(out, "mailtrap_sending_domain_info{account=\"prod\",compliance_status=\"" + d["compliance_status"].get<std::string>() +
                   "\",domain=\"" + d["domain_name"].get<std::string>() + "\"}", 1);
    }
  }

  static void Observe(std::map<std::string, Observed>& seen, const Json& item, const char* key) {
    Observed& o = seen[item[key].get<std::string>()];
    o.statuses.insert(Lower(item["status"].get<std::string>()));
    o.last = item;
  }

  static void Add(std::map<std::string, double>& out, const std::string& series, double v) {
    out[series] += v;
  }

  std::map<std::string, double> RecountJetEmail() const {
    std::map<std::string, double> out;
    for (const auto& [uid, o] : jet_) {
      const std::string ad =
          "account=\"main\",domain=\"" + o.last["_domain"].get<std::string>() + "\"";
      for (const std::string& s : o.statuses) {
        Add(out, "jetemail_inbound_messages_total{" + ad + ",status=\"" + s + "\"}", 1);
      }
      Add(out,
          "jetemail_inbound_messages{" + ad + ",status=\"" +
              Lower(o.last["status"].get<std::string>()) + "\"}",
          1);
      Add(out, "jetemail_inbound_deliveries_total{" + ad + "}",
          o.last["delivery_count"].get<double>());
      Add(out, "jetemail_inbound_rejections_total{" + ad + "}",
          o.last["rejected_count"].get<double>());
      double max_score = 0;
      for (const Json& a : o.last["actions"]) {
        Add(out,
            "jetemail_inbound_actions_total{" + ad + ",logtype=\"" +
                a["logtype"].get<std::string>() + "\"}",
            1);
        max_score = std::max(max_score, a["spam_score"].get<double>());
        if (a["logtype"] == "delivery") {
          Add(out, "jetemail_inbound_delivery_delay_seconds_count{" + ad + "}", 1);
          Add(out, "jetemail_inbound_delivery_delay_seconds_sum{" + ad + "}",
              a["delay"].get<double>());
        }
      }
      if (!o.last["actions"].empty()) {
        Add(out, "jetemail_inbound_spam_score_count{" + ad + "}", 1);
        Add(out, "jetemail_inbound_spam_score_sum{" + ad + "}", max_score);
      }
    }
    return out;
  }

  std::map<std::string, double> RecountMailtrap(const TruthOptions& options) const {
    std::map<std::string, double> out;
    for (const auto& [id, o] : mt_) {
      const Json& m = o.last;
      std::string category;
      if (!options.mailtrap_categories.empty()) {
        const auto& allow = options.mailtrap_categories;
        const bool listed =
            m["category"].is_string() &&
            std::find(allow.begin(), allow.end(), m["category"].get<std::string>()) != allow.end();
        category = listed ? m["category"].get<std::string>() : "other";
      }
      const std::int64_t domain_id = m["sending_domain_id"];
      const std::string domain =
          options.mailtrap_domain_names ? domain_names_.at(domain_id) : std::to_string(domain_id);
      const std::string stream = m["sending_stream"];
      const std::string a = "account=\"prod\"";
      const std::string d = "domain=\"" + domain + "\"";
      const std::string st = "stream=\"" + stream + "\"";
      const std::string acds = a + ",category=\"" + category + "\"," + d;
      for (const std::string& s : o.statuses) {
        Add(out, "mailtrap_messages_total{" + acds + ",status=\"" + s + "\"," + st + "}", 1);
      }
      Add(out,
          "mailtrap_messages{" + acds + ",status=\"" + m["status"].get<std::string>() + "\"," + st +
              "}",
          1);
      Add(out, "mailtrap_opens_total{" + acds + "," + st + "}", m["opens_count"].get<double>());
      Add(out, "mailtrap_clicks_total{" + acds + "," + st + "}", m["clicks_count"].get<double>());
      Add(out, "mailtrap_opened_messages_total{" + acds + "," + st + "}",
          m["opens_count"] > 0 ? 1 : 0);
      Add(out, "mailtrap_clicked_messages_total{" + acds + "," + st + "}",
          m["clicks_count"] > 0 ? 1 : 0);
      const std::string provider = MailboxProvider(events_.at(id));
      for (const Json& e : events_.at(id)) {
        const std::string type = e["event_type"];
        Add(out, "mailtrap_events_total{" + acds + ",event=\"" + type + "\"," + st + "}", 1);
        Add(out, "mailtrap_mailbox_provider_events_total{" + a + "," + d + ",event=\"" + type + "\",mailbox_provider=\"" + provider + "\"}", 1);
        if (type == "bounce" || type == "soft_bounce") {
          Add(out,
              "mailtrap_bounces_total{" + a + ",bounce_category=\"" +
                  e["details"]["bounce_category"].get<std::string>() + "\"," + d + "," + st + "}",
              1);
        }
        if (type == "delivery") {
          const double delay = SecondsBetween(m["sent_at"], e["created_at"]);
          Add(out, "mailtrap_delivery_delay_seconds_count{" + a + "," + d + "," + st + "}", 1);
          Add(out, "mailtrap_delivery_delay_seconds_sum{" + a + "," + d + "," + st + "}", delay);
        }
      }
    }
    RecountSendingDomains(out);
    return out;
  }

  // Both stamps are "YYYY-MM-DDTHH:MM:SS.mmmZ"; messages live well within a day.
  static double SecondsBetween(const std::string& from, const std::string& to) {
    auto ms_of_day = [](const std::string& t) {
      return ((std::stoll(t.substr(11, 2)) * 60 + std::stoll(t.substr(14, 2))) * 60 +
              std::stoll(t.substr(17, 2))) *
                 1000 +
             std::stoll(t.substr(20, 3));
    };
    std::int64_t diff = ms_of_day(to) - ms_of_day(from);
    if (diff < 0) diff += 86'400'000;
    return static_cast<double>(diff) / 1000.0;
  }

  std::map<std::string, double> Recount(const TruthOptions& options) const {
    std::map<std::string, double> out = RecountJetEmail();
    out.merge(RecountMailtrap(options));
    std::erase_if(out, [](const auto& entry) { return entry.second == 0; });
    return out;
  }

  static void ExpectSame(const std::map<std::string, double>& expected,
                         const std::map<std::string, double>& actual) {
    std::vector<std::string> missing, extra;
    for (const auto& [k, v] : expected) {
      if (!actual.contains(k)) missing.push_back(k);
    }
    for (const auto& [k, v] : actual) {
      if (!expected.contains(k)) extra.push_back(k);
    }
    EXPECT_TRUE(missing.empty()) << "missing from truth, first: " << missing.front();
    EXPECT_TRUE(extra.empty()) << "not recounted, first: " << extra.front();
    for (const auto& [k, v] : expected) {
      if (!actual.contains(k)) continue;
      // Sums of one-decimal spam scores depend on the order of additions.
      EXPECT_NEAR(actual.at(k), v, 1e-9 * std::max(1.0, std::abs(v))) << k;
    }
  }

  std::map<std::string, Observed> jet_;
  std::map<std::string, Observed> mt_;
  std::map<std::string, Json> events_;
  std::map<std::int64_t, std::string> domain_names_;
  Json domains_;
};

TEST_F(GroundTruthTest, EqualsAnIndependentRecountOfTheApi) {
  Walk();
  ASSERT_EQ(jet_.size(), 120u);
  ASSERT_EQ(mt_.size(), 80u);
  const TruthOptions plain;
  const std::map<std::string, double> truth = server_->GroundTruth(plain);
  ExpectSame(Recount(plain), truth);
  TruthOptions allow;
  allow.mailtrap_categories = {"welcome", "receipt"};
  allow.mailtrap_domain_names = false;
  ExpectSame(Recount(allow), server_->GroundTruth(allow));

  // The scenario exercises what the exporter must handle.
  EXPECT_TRUE(
      truth.contains("jetemail_inbound_messages_total{account=\"main\",domain=\"d01.example.com\","
                     "status=\"queued\"}"));
  std::set<std::string> statuses;
  for (const auto& [uid, o] : jet_) statuses.insert(o.statuses.begin(), o.statuses.end());
  for (const char* s :
       {"queued", "deferred", "delivered", "rejected", "spam", "bounced", "blocked"}) {
    EXPECT_TRUE(statuses.contains(s)) << s;
  }
  std::set<std::string> raw_statuses;
  for (const auto& [uid, o] : jet_) raw_statuses.insert(o.last["status"].get<std::string>());
  EXPECT_TRUE(raw_statuses.contains("Blocked"));
}

TEST_F(GroundTruthTest, TruthEndpointMatchesTheMethod) {
  StartServer(WalkSpec());
  TruthOptions options;
  options.mailtrap_categories = {"welcome", "newsletter"};
  options.mailtrap_domain_names = false;
  const Json body =
      http_.Get(server_->base_url() + "/_fake/truth?categories=welcome,newsletter&domain_names=0")
          .json();
  std::map<std::string, double> served;
  for (const auto& [k, v] : body.items()) served[k] = v.get<double>();
  EXPECT_EQ(served, server_->GroundTruth(options));
  const Json status = http_.Get(server_->base_url() + "/_fake/status").json();
  EXPECT_EQ(status["scripted_end_ms"], server_->scripted_end_ms());
  EXPECT_EQ(status["now_ms"], kStart);
}

// ---------------------------------------------------------------- misc

TEST_F(FakeApiTest, SameSeedSameAnswers) {
  now_ = kStart + 50'000;
  const std::string jet = Jet("limit=100").body;
  const std::string mt = Mt("123456/email_logs").body;
  const auto truth = server_->GroundTruth({});
  StartServer(SmallSpec());
  EXPECT_EQ(Jet("limit=100").body, jet);
  EXPECT_EQ(Mt("123456/email_logs").body, mt);
  EXPECT_EQ(server_->GroundTruth({}), truth);
  ScenarioSpec other = SmallSpec();
  other.seed = 43;
  StartServer(other);
  EXPECT_NE(Jet("limit=100").body, jet);
}

TEST_F(FakeApiTest, RequestsAreRecorded) {
  now_ = kStart + 1000;
  Jet("limit=1");
  Jet("limit=1", "bad");
  Mt("123456/email_logs");
  Mt("123456/sending_domains");
  Mt("123456/email_logs/00000000-0000-4000-8000-000000000000");
  const std::vector<RequestRecord> log = server_->Requests();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[0].unix_ms, kStart + 1000);
  EXPECT_EQ(log[0].provider, "jetemail");
  EXPECT_EQ(log[0].account, "main");
  EXPECT_EQ(log[0].kind, "logs");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[1].account, "");
  EXPECT_EQ(log[1].status, 401);
  EXPECT_EQ(log[2].kind, "list");
  EXPECT_EQ(log[3].kind, "domains");
  EXPECT_EQ(log[4].kind, "detail");
  EXPECT_EQ(log[4].status, 404);
  EXPECT_EQ(http_.Get(server_->base_url() + "/_fake/requests").json().size(), 5u);
}

TEST_F(FakeApiTest, SecondServerOnTheSamePortFails) {
  FakeApiServer second(SmallSpec(), [this] { return now_.load(); });
  std::string error;
  EXPECT_FALSE(second.Start("127.0.0.1:" + std::to_string(server_->port()), &error));
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
}

ScenarioSpec ContinuousSpec(double fault_share) {
  ScenarioSpec spec = SmallSpec();
  spec.continuous = true;
  spec.fault_share = fault_share;
  return spec;
}

TEST_F(FakeApiTest, ContinuousTrafficNeverEnds) {
  StartServer(ContinuousSpec(0));
  EXPECT_EQ(server_->scripted_end_ms(), INT64_MAX);
  now_ = kStart + 600'000;
  const Json first = Jet("limit=1000&date_from=" + std::to_string(kStart / 1000)).json();
  const std::int64_t seen = first["pagination"]["total"];
  EXPECT_GT(seen, 600);  // about two a second, 20 of 25 domains queried
  EXPECT_LT(seen, 2400);
  now_ += 9LL * 86'400'000;  // days later traffic still flows
  const std::string recent = std::to_string(now_ / 1000 - 600);
  EXPECT_GT(Jet("limit=10&date_from=" + recent).json()["pagination"]["total"].get<int>(), 600);
  // JetEmail keeps five days: an older window is empty, the edge is not.
  const std::int64_t edge_s = (now_ - 5LL * 86'400'000) / 1000;
  EXPECT_EQ(Jet("limit=10&date_from=" + std::to_string(edge_s - 600) +
                "&date_to=" + std::to_string(edge_s - 1))
                .json()["pagination"]["total"],
            0);
  EXPECT_GT(Jet("limit=10&date_from=" + std::to_string(edge_s + 1) +
                "&date_to=" + std::to_string(edge_s + 600))
                .json()["pagination"]["total"]
                .get<int>(),
            0);

  // A listed Mailtrap message resolves by id; statuses keep moving.
  const std::string after = Q("filters[sent_after]") + "=2023-11-23T22:13:20Z";  // 10 min ago
  const Json page = Mt("123456/email_logs?" + after).json();
  ASSERT_FALSE(page["messages"].empty());
  const std::string id = page["messages"][0]["message_id"];
  EXPECT_EQ(Mt("123456/email_logs/" + id).status, 200);
  now_ += 8LL * 86'400'000;  // past retention
  EXPECT_EQ(Mt("123456/email_logs/" + id).status, 404);
}

TEST_F(FakeApiTest, ContinuousModeInjectsFaults) {
  StartServer(ContinuousSpec(0.5));
  now_ = kStart + 60'000;
  std::map<long, int> codes;
  for (int i = 0; i < 60; ++i)
    ++codes[Jet("limit=1&date_from=" + std::to_string(kStart / 1000)).status];
  EXPECT_GT(codes[200], 0);
  EXPECT_GT(codes[500] + codes[429], 0);
}

}  // namespace
}  // namespace ele::fake
