// A fake of the two email-log APIs the exporter polls: JetEmail's
// `GET /inbound/account/logs` and Mailtrap's email logs (list, get by id,
// sending domains), answering exactly like the providers' documented pages.
//
// It is an independent oracle: it shares no code with the exporter. Messages
// follow a scripted, seeded timeline (arrival, status changes, actions,
// opens, clicks); whatever the server answers at time t is a pure function of
// the scenario and t = now(), so a test that controls the clock controls the
// data. The only mutable state is per-account rate-limit counters and the log
// of served requests.
//
// Besides the provider paths it serves, for the simulator and for black-box
// tests:
//   GET /_fake/truth[?categories=a,b][&domain_names=0][&events=all|failures|off]  series -> value
//   GET /_fake/requests[?since=UNIX_MS]                  served requests
//   GET /_fake/status                                    scripted_end_ms, now, counts
//
// Thread-safe: civetweb serves on several threads; the accessors may be
// called from any thread while it runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ele::fake {

// Unix milliseconds. Tests pass a controlled clock.
using NowFn = std::function<std::int64_t()>;
std::int64_t SystemNowMs();

struct JetEmailAccountSpec {
  std::string name = "main";             // value of the `account` label
  std::string token = "jetemail-token";  // `Authorization: Bearer <token>`
  int domain_count = 25;                 // d01.example.com ... dNN.example.com
  int message_count = 200;               // scripted mode only
  int duration_s = 600;                  // arrivals spread over [start, start + duration]
  // Like the real API, `date_to` is not exact: entries up to 2 s after it may
  // be included, varying from call to call, so offset pages shift.
  bool page_jitter = false;
  // Scripted mode: this many messages, spread evenly over the arrival times
  // (the oldest first), stay deferred for long_deferral_s after arriving,
  // tried again every long_retry_s (each a rejected attempt), then are
  // delivered. JetEmail retries inbound mail for up to 5 days.
  int long_deferred_count = 0;
  int long_deferral_s = 3600;
  int long_retry_s = 600;
  // JetEmail does not document whether date_from/date_to compare an entry's
  // arrival (the default here) or its last change; with this set they
  // compare the last change, and entries are sorted by it.
  bool date_filter_on_last_change = false;
  int requests_per_minute = 240;  // rolling 60 s; the next call is answered 429
  int block_s = 300;              // ... and every call is 429 for this long
};

struct SendingDomainSpec {
  std::int64_t id = 0;
  std::string name;
  bool dns_verified = true;
  std::string compliance_status = "compliant";
  bool open_tracking_enabled = true;
  bool click_tracking_enabled = true;
};

struct MailtrapAccountSpec {
  std::string name = "prod";  // value of the `account` label
  std::int64_t account_id = 123456;
  std::string token = "mailtrap-token";  // `Api-Token` or `Authorization: Bearer`
  int message_count = 200;               // scripted mode only
  int duration_s = 600;                  // sent_at spread over [start, start + duration]
  int page_size = 50;                    // fixed by the server, not settable by clients
  int list_limit_per_minute = 60;        // rolling 60 s, 429 past it, no Retry-After
  int detail_limit_per_minute = 1000;    // separate budget of the get-by-id call
  // Share of messages ending not_delivered (bounce or reject); negative: the
  // usual mix, 15%. A high share scripts a delivery-failure burst.
  double failure_share = -1;
  std::vector<SendingDomainSpec> sending_domains = {
      {3938, "mail.example.com"}, {3939, "news.example.com", true, "compliant", true, false},
      {3940, "example.org", false, "pending", false, false}};
  // Categories of sent messages; about 15% of messages have a null category.
  std::vector<std::string> categories = {"welcome", "password_reset", "newsletter", "receipt"};
};

struct ScenarioSpec {
  std::uint64_t seed = 1;
  std::optional<std::int64_t> start_ms;  // default: now() at construction
  std::vector<JetEmailAccountSpec> jetemail;
  std::vector<MailtrapAccountSpec> mailtrap;
  // Every non-final status is held at least this long before the next
  // change, so a poller with a shorter interval observes it.
  int min_status_dwell_s = 10;
  // Opens, clicks and opt-outs arrive up to about this long after delivery.
  int late_activity_s = 60;
  // Endless traffic generated per time slot (the simulator); no ground truth.
  bool continuous = false;
  // Share of provider requests answered 500 or 429 on purpose. Negative:
  // 1% in continuous mode, none otherwise. FakeApiServer::SetFaults()
  // replaces it with a plan of every kind of fault.
  double fault_share = -1;
};

// Allowlist and naming the exporter is configured with, which shape the
// expected label values.
struct TruthOptions {
  // Allowlist of Mailtrap categories; others and null become "other". Empty:
  // no allowlist, the `category` label is "".
  std::vector<std::string> mailtrap_categories;
  // `domain` label: the sending domain's name, else its id as a string.
  bool mailtrap_domain_names = true;
  // The exporter's `events` setting: "all", "failures" (messages that were
  // ever not_delivered or opted_out; none stays enqueued 10 minutes in a
  // scripted run) or "off".
  std::string mailtrap_events = "all";
};

// Faults a test can inject into provider replies (see FaultPlan). Each
// hits a request that passed authentication and the rate limit.
enum class Fault {
  kStatus500,
  kStatus502,
  kStatus503,
  k429WithRetryAfter,     // Retry-After: FaultPlan::retry_after_s
  k429WithoutRetryAfter,
  kConnectionReset,       // the socket is closed without any reply
  kSlowReply,             // the real reply, after FaultPlan::slow_reply_ms
  kTruncatedBody,         // a 200 whose JSON stops halfway (Content-Length matches)
  kNotJson,               // a 200 with an HTML body
  kWrongShape,            // a 200 with valid JSON of another shape
  kEmptyPage,             // list calls: a 200 page with no entries but a non-zero total
  kOversizedBody,         // a 200 streaming FaultPlan::oversized_bytes of body
};
std::string_view FaultName(Fault fault);
// Every fault above, in declaration order.
std::vector<Fault> AllFaults();

// Which faults to inject, and how often. The choice is a pure function of
// the seed and the request's sequence number.
struct FaultPlan {
  double share = 0;                // of provider requests; 0: none, 1: every one
  std::vector<Fault> mix;          // drawn uniformly; empty: AllFaults()
  std::string provider;            // "jetemail" | "mailtrap" | "": both
  std::string kind;                // "logs" | "list" | "detail" | "domains" | "": every kind
  std::int64_t until_ms = 0;       // requests at or after this scenario time (Unix ms) get none; 0: no end
  std::uint64_t seed = 42;
  int retry_after_s = 1;
  int slow_reply_ms = 3000;        // make it longer than the client's request_timeout
  std::size_t oversized_bytes = 40u << 20;  // more than the exporter's 32 MiB cap
};

struct RequestRecord {
  std::int64_t unix_ms = 0;  // now() when it was served
  std::string provider;      // "jetemail" | "mailtrap" | "" (unknown path)
  std::string account;       // the account's name; "" when not authenticated
  std::string kind;          // "logs" | "list" | "detail" | "domains" | "other"
  int status = 0;            // HTTP status code answered (0: connection reset)
  std::string fault;         // FaultName() of the injected fault, "" when none
};

class FakeApiServer {
 public:
  explicit FakeApiServer(ScenarioSpec spec, NowFn now = SystemNowMs);
  ~FakeApiServer();  // stops the server
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // `listen` is host:port; port 0 picks a free one. False (and *error set)
  // when the address cannot be bound.
  bool Start(const std::string& listen = "127.0.0.1:0", std::string* error = nullptr);
  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // Expected exporter series once every scripted change has happened (time
  // >= scripted_end_ms()): keys are `name{label="value",...}` with labels
  // sorted by name, zero-valued series left out. Empty in continuous mode.
  std::map<std::string, double> GroundTruth(const TruthOptions& options) const;
  // Every request served but those to /_fake/, oldest first (continuous
  // mode keeps the latest 100000).
  std::vector<RequestRecord> Requests() const;
  // Time after which nothing changes any more; INT64_MAX in continuous mode.
  std::int64_t scripted_end_ms() const;
  std::int64_t start_ms() const;

  // Replaces the fault plan from the next request on (ScenarioSpec::
  // fault_share no longer applies once a plan is set); ClearFaults() stops
  // injecting. Thread-safe.
  void SetFaults(FaultPlan plan);
  void ClearFaults();
  // Injected faults so far, by FaultName().
  std::map<std::string, int> FaultCounts() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ele::fake
