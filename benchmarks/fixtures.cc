#include "benchmarks/fixtures.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "exporter/metrics/catalogue.h"

namespace ele::bench {
namespace {

const char* const kDomains[] = {"example.com", "mail.example.org", "inbound.example.net", "support.example.io"};
const char* const kJetStatuses[] = {"delivered", "delivered", "delivered", "rejected", "queued", "deferred"};
const char* const kMtStatuses[] = {"delivered", "delivered", "delivered", "not_delivered", "enqueued", "opted_out"};
const char* const kCategories[] = {"welcome", "password_reset", "newsletter", "receipt"};

// 20 lowercase hex digits, like JetEmail's uids ("67020a88e9ab3a023e12").
std::string Uid(std::int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "6702%016llx", static_cast<unsigned long long>(n) * 0x9E3779B97F4A7C15ull);
  return buf;
}

std::string Uuid(std::int64_t n, int salt) {
  const auto x = static_cast<unsigned long long>(n) * 0x9E3779B97F4A7C15ull + static_cast<unsigned long long>(salt);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-8%03llx-%012llx", x >> 32, (x >> 16) & 0xFFFF, (x >> 4) & 0xFFF,
                x & 0xFFF, (x * 31) & 0xFFFFFFFFFFFFull);
  return buf;
}

std::string IsoMs(std::int64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

void JetAction(std::string& out, const std::string& id, const char* logtype, std::int64_t date_ms, double delay, const char* score,
               const char* response) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                R"({"id":"%s","logtype":"%s","response":"%s","date":%lld,"timestamp":"%s","host":"mx1.example.net",)"
                R"("ip":"198.51.100.23","port":25,"mode":"smtp","delay":%.3f,"spam_score":%s,"spam_report":""})",
                id.c_str(), logtype, response, static_cast<long long>(date_ms), IsoMs(date_ms).c_str(), delay, score);
  out += buf;
}

}  // namespace

std::string JetEmailPage(int entries, std::int64_t first_uid, std::int64_t base_ms) {
  std::string out = R"({"success":true,"data":[)";
  out.reserve(static_cast<size_t>(entries) * 1400 + 512);
  for (int i = 0; i < entries; ++i) {
    const std::int64_t n = first_uid + i;
    const char* domain = kDomains[n % 4];
    const char* status = kJetStatuses[n % 6];
    const std::int64_t arrival = base_ms - n * 1000;
    const bool delivered = std::string(status) == "delivered";
    if (i > 0) out += ',';
    char head[1024];
    std::snprintf(head, sizeof head,
                  R"({"_domain":"%s","_domain_uuid":"550e8400-e29b-41d4-a716-44665544%04lld","_domain_type":"domain",)"
                  R"("uid":"%s","status":"%s","from":"sender%lld@customer.example","to":"info@%s",)"
                  R"("subject":"Re: order %lld - delivery update for your recent purchase","rejected_count":%d,)"
                  R"("delivery_count":%d,"delivered_timestamp":%s,"rejected_response":"%s",)"
                  R"("response":"250 2.0.0 Ok: queued as 638B63A5AD5","actions":[)",
                  domain, static_cast<long long>(n % 4), Uid(n).c_str(), status, static_cast<long long>(n % 977), domain,
                  static_cast<long long>(n), n % 7 == 0 ? 2 : 0, delivered ? 1 : 0,
                  delivered ? std::to_string(arrival + 1800).c_str() : "null",
                  n % 7 == 0 ? "RCPT TO failed for info@example.com: 450 4.1.8 Sender address rejected" : "");
    out += head;
    JetAction(out, Uuid(n, 1), "inbound", arrival, 0, "1.2", "250 2.0.0 Ok: queued as 638B63A5AD5");
    out += ',';
    JetAction(out, Uuid(n, 2), "delivery", arrival + 1800, 1.8, "null", "250 2.0.0 Ok: delivered to backend mailbox");
    if (n % 4 == 0) {
      out += ',';
      JetAction(out, Uuid(n, 3), "spam", arrival + 200, 0.2, "4.7", "checked by rspamd");
    }
    out += "]}";
  }
  char tail[512];
  std::snprintf(tail, sizeof tail,
                R"(],"pagination":{"total":%d,"limit":%d,"offset":0,"returned":%d},"domains_queried":[)"
                R"({"domain":"example.com","domain_uuid":"550e8400-e29b-41d4-a716-446655440000","domain_type":"domain","count":%d,"status":"success"}],)"
                R"("total_domains":4,"domains_included":4})",
                entries, entries, entries, entries);
  out += tail;
  return out;
}

namespace {

// Message n was sent n x 40 ms before base_ms, wrapping every 2,000,000
// messages: all within 22 hours, so the state keeps every one (a message sent
// before the lookback and overlap, 24 h by default, is not counted).
std::int64_t SentAtMs(std::int64_t base_ms, std::int64_t n) { return base_ms - (n % 2'000'000) * 40; }

}  // namespace

std::string MailtrapPage(int messages, std::int64_t first_id, std::int64_t base_ms) {
  std::string out = R"({"messages":[)";
  out.reserve(static_cast<size_t>(messages) * 700 + 256);
  std::string last_id;
  for (int i = 0; i < messages; ++i) {
    const std::int64_t n = first_id + i;
    last_id = Uuid(n, 0);
    const char* category = kCategories[n % 4];
    char buf[1536];
    std::snprintf(buf, sizeof buf,
                  R"(%s{"message_id":"%s","status":"%s","subject":"Your order #%lld has shipped","from":"orders@shop.example",)"
                  R"("to":"customer%lld@mail.example","sent_at":"%s","client_ip":"203.0.113.17","category":%s%s%s,)"
                  R"("custom_variables":{"order_id":"%lld","locale":"de"},"sending_stream":"%s","sending_domain_id":%d,)"
                  R"("template_id":52718,"template_variables":{"first_name":"Anna","carrier":"DHL"},"opens_count":%lld,"clicks_count":%lld})",
                  i > 0 ? "," : "", last_id.c_str(), kMtStatuses[n % 6], static_cast<long long>(n), static_cast<long long>(n),
                  IsoMs(SentAtMs(base_ms, n)).c_str(), n % 7 == 0 ? "" : "\"", n % 7 == 0 ? "null" : category, n % 7 == 0 ? "" : "\"",
                  static_cast<long long>(n), n % 5 == 0 ? "bulk" : "transactional", 3938 + static_cast<int>(n % 3),
                  static_cast<long long>(n % 3), static_cast<long long>(n % 5 == 1));
    out += buf;
  }
  out += R"(],"total_count":)" + std::to_string(messages) + R"(,"next_page_cursor":")" + last_id + "\"}";
  return out;
}

namespace {

// Sample lines one domain of a JetEmail account adds to /metrics: what a
// busy inbound domain exports (statuses, actions, both histograms).
int AddDomain(metrics::MetricSet& set, const std::string& account, const std::string& domain) {
  namespace m = metrics;
  int lines = 0;
  for (const char* status : {"delivered", "rejected", "queued", "deferred", "bounced", "failed"}) {
    set.Inc(m::kJetMessagesTotal, {account, domain, status}, 1234);
    set.Set(m::kJetMessages, {account, domain, status}, 56);
    lines += 2;
  }
  set.Inc(m::kJetDeliveriesTotal, {account, domain}, 4321);
  set.Inc(m::kJetRejectionsTotal, {account, domain}, 12);
  lines += 2;
  for (const char* logtype : {"inbound", "delivery", "spam", "reject", "defer"}) {
    set.Inc(m::kJetActionsTotal, {account, domain, logtype}, 987);
    ++lines;
  }
  for (double v : {0.5, 3.0, 7.5}) set.Observe(m::kJetSpamScore, {account, domain}, v);
  for (double v : {0.8, 45.0, 4000.0}) set.Observe(m::kJetDeliveryDelay, {account, domain}, v);
  lines += static_cast<int>(m::kJetSpamScore.buckets.size() + 3 + m::kJetDeliveryDelay.buckets.size() + 3);
  set.Set(m::kJetDomainUp, {account, domain}, 1);
  return lines + 1;
}

}  // namespace

int FillSeries(metrics::MetricsHub& hub, int series) {
  metrics::MetricSet accounts[2];
  int lines = 0;
  for (int d = 0; lines < series; ++d) {
    const int a = d % 2;
    std::string domain = "d";  // built in steps: g++ 12 warns (-Wrestrict) on "d" + to_string(d) + ...
    domain += std::to_string(d);
    domain += ".example.com";
    lines += AddDomain(accounts[a], a == 0 ? "main" : "support", domain);
  }
  hub.Publish("jetemail/main", accounts[0]);
  hub.Publish("jetemail/support", accounts[1]);
  return lines;
}

JetEmailStateOptions JetOptions() {
  JetEmailStateOptions options;
  options.account = "main";
  return options;
}

MailtrapStateOptions MailtrapOptions() {
  MailtrapStateOptions options;
  options.account = "prod";
  return options;
}

std::int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<std::int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

}  // namespace ele::bench
