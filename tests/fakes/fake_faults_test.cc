// The fake's fault injection (FakeApiServer::SetFaults), black-box: every
// fault kind as a client sees it on the wire, the share, the provider filter,
// and that authentication still comes first.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/fakes/curl_header_sink.h"
#include "tests/fakes/fake_api_server.h"

namespace ele::fake {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t kStart = 1'700'000'000'000;
constexpr char kJetToken[] = "fault-jet-token";
constexpr char kMtToken[] = "fault-mt-token";

struct Result {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercased names
  double seconds = 0;
};

struct Sink {
  Result* result;
  std::size_t cap;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->result->body.size() + size * n > sink->cap) return 0;  // aborts like the exporter
  sink->result->body.append(data, size * n);
  return size * n;
}

// A fresh connection per call, so a closed socket cannot leak into the next.
Result Get(const std::string& url, const std::string& header, long timeout_ms = 10'000,
           std::size_t cap = std::size_t{1} << 30) {
  Result result;
  Sink sink{&result, cap};
  CURL* curl = curl_easy_init();
  curl_slist* list = curl_slist_append(nullptr, header.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const auto started = std::chrono::steady_clock::now();
  result.code = curl_easy_perform(curl);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

ScenarioSpec Spec() {
  ScenarioSpec spec;
  spec.seed = 5;
  spec.start_ms = kStart;
  JetEmailAccountSpec jet;
  jet.token = kJetToken;
  jet.domain_count = 3;
  jet.message_count = 30;
  jet.duration_s = 60;
  jet.requests_per_minute = 100'000;
  MailtrapAccountSpec mt;
  mt.token = kMtToken;
  mt.message_count = 30;
  mt.duration_s = 60;
  mt.page_size = 10;
  mt.list_limit_per_minute = 100'000;
  spec.jetemail = {jet};
  spec.mailtrap = {mt};
  return spec;
}

class FakeFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }

  Result Jet(long timeout_ms = 10'000, std::size_t cap = std::size_t{1} << 30,
             const std::string& token = kJetToken) {
    return Get(server_.base_url() + "/inbound/account/logs?limit=10&page=1",
               std::string("Authorization: Bearer ") + token, timeout_ms, cap);
  }
  Result Mt(const std::string& what = "email_logs") {
    return Get(server_.base_url() + "/api/accounts/123456/" + what, std::string("Api-Token: ") + kMtToken);
  }
  void Only(Fault fault) {
    FaultPlan plan;
    plan.share = 1;
    plan.mix = {fault};
    plan.slow_reply_ms = 600;
    plan.oversized_bytes = 3u << 20;
    server_.SetFaults(plan);
  }

  FakeApiServer server_{Spec(), [] { return kStart + 3'600'000; }};
};

TEST_F(FakeFaultsTest, StatusFaultsAnswerTheProvidersErrorBodies) {
  for (const auto& [fault, status] : std::vector<std::pair<Fault, long>>{
           {Fault::kStatus500, 500}, {Fault::kStatus502, 502}, {Fault::kStatus503, 503}}) {
    Only(fault);
    const Result jet = Jet();
    EXPECT_EQ(jet.status, status);
    const Json error = Json::parse(jet.body);
    EXPECT_TRUE(error.contains("error") || error.contains("message")) << jet.body;
    const Result mt = Mt();
    EXPECT_EQ(mt.status, status);
  }
}

TEST_F(FakeFaultsTest, RateLimitFaultsWithAndWithoutRetryAfter) {
  FaultPlan plan;
  plan.share = 1;
  plan.mix = {Fault::k429WithRetryAfter};
  plan.retry_after_s = 7;
  server_.SetFaults(plan);
  Result with = Jet();
  EXPECT_EQ(with.status, 429);
  EXPECT_EQ(with.headers["retry-after"], "7");
  Only(Fault::k429WithoutRetryAfter);
  const Result without = Mt();
  EXPECT_EQ(without.status, 429);
  EXPECT_FALSE(without.headers.contains("retry-after"));
  EXPECT_EQ(Json::parse(without.body)["errors"], "Rate limit exceeded");
}

TEST_F(FakeFaultsTest, ConnectionResetClosesWithoutAReply) {
  Only(Fault::kConnectionReset);
  const Result r = Jet(5'000);
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_NE(r.code, CURLE_OPERATION_TIMEDOUT) << "closed at once, not left hanging";
  EXPECT_EQ(r.status, 0);
  EXPECT_LT(r.seconds, 2.0);
  const auto requests = server_.Requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().status, 0);
  EXPECT_EQ(requests.back().fault, "reset");
}

TEST_F(FakeFaultsTest, SlowReplyOutlastsAShortTimeoutAndArrivesWhole) {
  Only(Fault::kSlowReply);
  const Result cut = Jet(200);
  EXPECT_EQ(cut.code, CURLE_OPERATION_TIMEDOUT);
  const Result whole = Jet(5'000);
  EXPECT_EQ(whole.code, CURLE_OK);
  EXPECT_EQ(whole.status, 200);
  EXPECT_GE(whole.seconds, 0.55);
  EXPECT_EQ(Json::parse(whole.body)["data"].size(), 10u);
}

TEST_F(FakeFaultsTest, TruncatedNotJsonAndWrongShapeAre200s) {
  Only(Fault::kTruncatedBody);
  Result truncated = Jet();
  EXPECT_EQ(truncated.code, CURLE_OK);
  EXPECT_EQ(truncated.status, 200);
  EXPECT_GT(truncated.body.size(), 10u);
  EXPECT_EQ(std::to_string(truncated.body.size()), truncated.headers["content-length"]);
  EXPECT_TRUE(Json::parse(truncated.body, nullptr, false).is_discarded()) << truncated.body;

  Only(Fault::kNotJson);
  Result html = Mt();
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.headers["content-type"], "text/html");
  EXPECT_TRUE(Json::parse(html.body, nullptr, false).is_discarded());

  Only(Fault::kWrongShape);
  const Result shape = Jet();
  EXPECT_EQ(shape.status, 200);
  const Json json = Json::parse(shape.body);
  EXPECT_TRUE(json["data"].is_object());
}

TEST_F(FakeFaultsTest, EmptyPageKeepsANonZeroTotal) {
  Only(Fault::kEmptyPage);
  const Json jet = Json::parse(Jet().body);
  EXPECT_TRUE(jet["data"].empty());
  EXPECT_GT(jet["pagination"]["total"].get<int>(), 0);
  EXPECT_EQ(jet["pagination"]["returned"].get<int>(), 0);
  const Json mt = Json::parse(Mt().body);
  EXPECT_TRUE(mt["messages"].empty());
  EXPECT_GT(mt["total_count"].get<int>(), 0);
  EXPECT_TRUE(mt["next_page_cursor"].is_null());
  // Not a list call: no page to empty, a 503 instead.
  EXPECT_EQ(Mt("sending_domains").status, 503);
}

TEST_F(FakeFaultsTest, OversizedBodyIsStreamedPastTheClientsCap) {
  Only(Fault::kOversizedBody);
  const Result capped = Jet(10'000, 1u << 20);
  EXPECT_EQ(capped.code, CURLE_WRITE_ERROR);
  EXPECT_EQ(capped.status, 200);
  const Result whole = Jet();
  EXPECT_EQ(whole.code, CURLE_OK);
  EXPECT_EQ(whole.body.size(), 3u << 20);
  EXPECT_TRUE(whole.body.starts_with("{\"data\":["));
  EXPECT_TRUE(Json::parse(whole.body, nullptr, false).is_discarded());
}

TEST_F(FakeFaultsTest, ShareProviderFilterAuthFirstAndClear) {
  FaultPlan plan;
  plan.share = 0.1;
  plan.mix = {Fault::kStatus500, Fault::kStatus503, Fault::kEmptyPage};
  server_.SetFaults(plan);
  for (int i = 0; i < 300; ++i) {
    Jet();
    Mt();
  }
  int injected = 0;
  for (const auto& [name, count] : server_.FaultCounts()) injected += count;
  // 600 requests at 10%: 60 expected; far outside 30..90 means the share is wrong.
  EXPECT_GT(injected, 30);
  EXPECT_LT(injected, 90);
  int recorded = 0;
  for (const auto& r : server_.Requests()) recorded += r.fault.empty() ? 0 : 1;
  EXPECT_EQ(recorded, injected);

  plan.share = 1;
  plan.provider = "mailtrap";
  plan.mix = {Fault::kStatus502};
  server_.SetFaults(plan);
  EXPECT_EQ(Jet().status, 200);
  EXPECT_EQ(Mt().status, 502);
  plan.provider = "";
  server_.SetFaults(plan);
  EXPECT_EQ(Jet(10'000, 1u << 30, "wrong-token").status, 401) << "authentication comes before faults";
  server_.ClearFaults();
  EXPECT_EQ(Jet().status, 200);
  EXPECT_EQ(Mt().status, 200);
}

TEST_F(FakeFaultsTest, EveryFaultHasAName) {
  std::set<std::string> names;
  for (const Fault f : AllFaults()) names.insert(std::string(FaultName(f)));
  EXPECT_EQ(names.size(), 12u);
  EXPECT_FALSE(names.contains("unknown"));
}

}  // namespace
}  // namespace ele::fake
