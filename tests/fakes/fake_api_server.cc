// The HTTP side of the fake: civetweb glue, routing, authentication, rate
// limits, injected faults and the request log. Provider answers themselves
// come from the pure handlers in fake_jetemail.cc and fake_mailtrap.cc.
#include "tests/fakes/fake_api_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/fakes/fake_handlers.h"
#include "tests/fakes/fake_http.h"
#include "tests/fakes/fake_scenario.h"

namespace ele::fake {

using internal::Query;
using internal::Reply;
using Json = nlohmann::ordered_json;

std::int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr std::int64_t kMinuteMs = 60'000;
// Continuous mode runs for days: keep only the latest records.
constexpr std::size_t kContinuousLogCap = 100'000;

// Calls in the last rolling 60 s of one budget.
class RollingWindow {
 public:
  // Counts a call at `now` unless `limit` calls already fall in the window.
  bool TryAcquire(std::int64_t now, int limit) {
    Trim(now);
    if (hits_.size() >= static_cast<std::size_t>(std::max(limit, 0))) return false;
    hits_.push_back(now);
    return true;
  }
  int Remaining(std::int64_t now, int limit) {
    Trim(now);
    return std::max(0, limit - static_cast<int>(hits_.size()));
  }

 private:
  void Trim(std::int64_t now) {
    while (!hits_.empty() && hits_.front() <= now - kMinuteMs) hits_.pop_front();
  }
  std::deque<std::int64_t> hits_;
};

struct JetLimit {
  RollingWindow window;
  std::int64_t blocked_until = std::numeric_limits<std::int64_t>::min();
};

struct MtLimits {
  RollingWindow list;
  RollingWindow detail;
};

std::string Header(mg_connection* conn, const char* name) {
  const char* value = mg_get_header(conn, name);
  return value ? value : "";
}

// The token of `Authorization: Bearer TOKEN`, else "".
std::string BearerToken(const std::string& authorization) {
  if (authorization.size() < 7 || internal::ToLower(authorization.substr(0, 7)) != "bearer ") {
    return "";
  }
  std::string token = authorization.substr(7);
  token.erase(0, token.find_first_not_of(' '));
  return token;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t begin = 1;
  while (begin <= path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

// Opens and closes a TCP connection to host:port, ignoring any failure.
void Poke(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  close(fd);
}

Json RecordJson(const RequestRecord& r) {
  return Json{{"unix_ms", r.unix_ms}, {"provider", r.provider}, {"account", r.account},
              {"kind", r.kind},       {"status", r.status},     {"fault", r.fault}};
}

// A fault chosen for one request, with the plan's parameters it needs.
struct PickedFault {
  Fault fault;
  int retry_after_s = 1;
  int slow_reply_ms = 0;
  std::size_t oversized_bytes = 0;
};

// The page with no entries and its total kept (and made non-zero), as
// the providers answer a page past the end; nullopt when `body` is not a page.
std::optional<std::string> EmptiedPage(const std::string& body, bool jetemail) {
  Json page = Json::parse(body, nullptr, false);
  const char* key = jetemail ? "data" : "messages";
  if (page.is_discarded() || !page.is_object() || !page.contains(key)) return std::nullopt;
  page[key] = Json::array();
  if (jetemail) {
    if (!page.contains("pagination") || !page["pagination"].is_object()) return std::nullopt;
    Json& pagination = page["pagination"];
    if (pagination.value("total", 0) <= 0) pagination["total"] = 1;
    pagination["returned"] = 0;
  } else {
    if (page.value("total_count", 0) <= 0) page["total_count"] = 1;
    page["next_page_cursor"] = nullptr;
  }
  return page.dump();
}

// The reply a fault turns `real` into. Faults acted out on the socket
// (reset, slow, oversized) are only marked here; Send() carries them out.
Reply ApplyFault(const PickedFault& picked, Reply real, bool jetemail, bool list) {
  auto error = [&](int status, const char* message) {
    Reply r = jetemail ? internal::JetEmailError(status, message)
                       : internal::MailtrapError(status, message, status == 429);
    return r;
  };
  Reply reply;
  switch (picked.fault) {
    case Fault::kStatus500: reply = error(500, "Internal Server Error"); break;
    case Fault::kStatus502: reply = error(502, "Bad Gateway"); break;
    case Fault::kStatus503: reply = error(503, "Service Unavailable"); break;
    case Fault::k429WithRetryAfter:
      reply = error(429, jetemail ? "Too many requests" : "Rate limit exceeded");
      reply.headers.emplace_back("Retry-After", std::to_string(picked.retry_after_s));
      break;
    case Fault::k429WithoutRetryAfter:
      reply = error(429, jetemail ? "Too many requests" : "Rate limit exceeded");
      break;
    case Fault::kConnectionReset:
      reply.status = 0;
      break;
    case Fault::kSlowReply:
      reply = std::move(real);
      reply.slow_reply_ms = picked.slow_reply_ms;
      break;
    case Fault::kTruncatedBody:
      reply = std::move(real);
      reply.status = 200;
      if (reply.body.size() < 4) reply.body = R"({"data":[{"uid":"0","status":"deliv)";
      reply.body.resize(reply.body.size() / 2);
      break;
    case Fault::kNotJson:
      reply = internal::JsonReply(200, "<html><body><h1>502 Bad Gateway</h1>upstream hiccup</body></html>");
      reply.headers.emplace_back("X-Fake-Content-Type", "text/html");
      break;
    case Fault::kWrongShape:
      reply = internal::JsonReply(
          200, R"({"data":{"items":[1,2,3]},"pagination":"none","total_count":"many","next_page_cursor":7})");
      break;
    case Fault::kEmptyPage:
      if (auto emptied = list && real.status == 200 ? EmptiedPage(real.body, jetemail) : std::nullopt) {
        reply = std::move(real);
        reply.body = std::move(*emptied);
      } else {
        reply = error(503, "Service Unavailable");
      }
      break;
    case Fault::kOversizedBody:
      reply = internal::JsonReply(200, "");
      reply.oversized_bytes = picked.oversized_bytes;
      break;
  }
  reply.fault = std::string(FaultName(picked.fault));
  return reply;
}

}  // namespace

class FakeApiServer::Impl {
 public:
  // The scenario needs its start time, which may come from the clock.
  static std::unique_ptr<Impl> Create(ScenarioSpec spec, NowFn now) {
    const std::int64_t start = spec.start_ms.value_or(now());
    spec.start_ms = start;
    return std::unique_ptr<Impl>(new Impl(std::move(spec), std::move(now), start));
  }

  ~Impl() { Stop(); }

  bool Start(const std::string& listen, std::string* error);
  void Stop();

  const internal::Scenario& scenario() const { return scenario_; }
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::vector<RequestRecord> Requests(std::int64_t since) const;

 private:
  Impl(ScenarioSpec spec, NowFn now, std::int64_t start)
      : now_(std::move(now)),
        scenario_(std::move(spec), start),
        jet_limits_(scenario_.spec().jetemail.size()),
        mt_limits_(scenario_.spec().mailtrap.size()) {}

  static int HandleThunk(mg_connection* conn, void* self) {
    return static_cast<Impl*>(self)->Handle(conn);
  }
  int Handle(mg_connection* conn);
  Reply Route(mg_connection* conn, const std::string& path, const Query& query, std::int64_t now);
  Reply JetEmail(mg_connection* conn, const Query& query, std::int64_t now);
  Reply Mailtrap(mg_connection* conn, const std::vector<std::string>& parts, const Query& query,
                 std::int64_t now);
  Reply MailtrapCall(std::size_t account, const std::vector<std::string>& parts, const Query& query,
                     std::int64_t now, const std::string& host);
  Reply FakeEndpoint(const std::string& name, const Query& query, std::int64_t now) const;
  // The fault to inject into this provider request, if any.
  std::optional<PickedFault> PickFault(bool jetemail, std::string_view kind, std::int64_t now);
  void Record(const Reply& reply, std::int64_t now);
  // Writes the reply; returns what the handler returns to civetweb.
  int Send(mg_connection* conn, const Reply& reply);

  NowFn now_;
  internal::Scenario scenario_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
  std::string host_ = "127.0.0.1";
  std::atomic<std::uint64_t> request_seq_{0};

  mutable std::mutex mu_;  // guards everything below
  std::vector<JetLimit> jet_limits_;
  std::vector<MtLimits> mt_limits_;
  std::deque<RequestRecord> log_;
  std::map<int, std::int64_t> status_counts_;
  std::int64_t total_requests_ = 0;
  std::optional<FaultPlan> fault_plan_;
  std::map<std::string, int> fault_counts_;

 public:
  std::atomic<bool> stopping_{false};  // cuts slow replies short at Stop()

  void SetFaults(std::optional<FaultPlan> plan) {
    std::lock_guard<std::mutex> lock(mu_);
    fault_plan_ = std::move(plan);
  }
  std::map<std::string, int> FaultCounts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fault_counts_;
  }
};

bool FakeApiServer::Impl::Start(const std::string& listen, std::string* error) {
  if (ctx_ != nullptr) {
    if (error != nullptr) *error = "already listening on port " + std::to_string(port_);
    return false;
  }
  const std::size_t colon = listen.rfind(':');
  const std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  if (!host.empty() && host != "0.0.0.0") host_ = host;
  // tcp_nodelay: a reply is written in two parts (headers, body); without it
  // Nagle's algorithm and delayed ACKs add 40 ms to every kept-alive call.
  const char* options[] = {"listening_ports",    listen.c_str(), "num_threads", "8",
                           "enable_keep_alive",  "yes",          "tcp_nodelay", "1",
                           "request_timeout_ms", "30000",        nullptr};
  mg_callbacks callbacks{};
  // civetweb would print its own errors; the caller reports them once.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  mg_init_data init{&callbacks, this, options};
  char text[256] = {0};
  unsigned code = 0;
  mg_error_data error_data{&code, text, sizeof(text)};
  ctx_ = mg_start2(&init, &error_data);
  if (ctx_ == nullptr) {
    if (error != nullptr) *error = "cannot listen on " + listen + ": " + text;
    return false;
  }
  mg_set_request_handler(ctx_, "/", &Impl::HandleThunk, this);
  mg_server_port ports[4];
  const int n = mg_get_server_ports(ctx_, 4, ports);
  port_ = n > 0 ? ports[0].port : 0;
  return true;
}

void FakeApiServer::Impl::Stop() {
  if (ctx_ == nullptr) return;
  // Once it has served a connection, civetweb notices a stop only when a
  // thread wakes up, up to 2 s later; a connection attempt wakes it at once,
  // which keeps test suites that start many servers fast.
  stopping_ = true;
  std::atomic<bool> stopped{false};
  std::thread waker([&] {
    while (!stopped.load()) {
      Poke(host_, port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  mg_stop(ctx_);
  stopped = true;
  waker.join();
  ctx_ = nullptr;
}

int FakeApiServer::Impl::Handle(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  const std::int64_t now = now_();
  const std::string path = info->local_uri != nullptr ? info->local_uri : "/";
  const Query query = Query::Parse(info->query_string != nullptr ? info->query_string : "");
  Reply reply;
  if (path.starts_with("/_fake/")) {
    reply = FakeEndpoint(path.substr(7), query, now);
  } else {
    reply = std::string_view(info->request_method) == "GET"
                ? Route(conn, path, query, now)
                : internal::MailtrapError(404, "Not Found");
    Record(reply, now);
  }
  return Send(conn, reply);
}

Reply FakeApiServer::Impl::Route(mg_connection* conn, const std::string& path, const Query& query,
                                 std::int64_t now) {
  if (path == "/inbound/account/logs") return JetEmail(conn, query, now);
  const std::vector<std::string> parts = SplitPath(path);
  if (parts.size() >= 4 && parts[0] == "api" && parts[1] == "accounts") {
    return Mailtrap(conn, parts, query, now);
  }
  return internal::MailtrapError(404, "Not Found");
}

Reply FakeApiServer::Impl::JetEmail(mg_connection* conn, const Query& query, std::int64_t now) {
  const std::string token = BearerToken(Header(conn, "Authorization"));
  const auto& accounts = scenario_.spec().jetemail;
  const auto it = std::find_if(accounts.begin(), accounts.end(),
                               [&](const auto& a) { return !token.empty() && a.token == token; });
  Reply reply;
  if (it == accounts.end()) {
    reply = internal::JetEmailError(401, "Unauthorized");
  } else {
    const auto index = static_cast<std::size_t>(it - accounts.begin());
    std::optional<Reply> refused;
    {
      std::lock_guard<std::mutex> lock(mu_);
      JetLimit& limit = jet_limits_[index];
      // Past the budget the whole account is blocked, every call refused.
      bool refuse = now < limit.blocked_until;
      if (!refuse && !limit.window.TryAcquire(now, it->requests_per_minute)) {
        limit.blocked_until = now + std::int64_t{it->block_s} * 1000;
        refuse = true;
      }
      if (refuse) {
        refused = internal::JetEmailError(429, "Too many requests, account blocked");
        const std::int64_t wait_s =
            std::max<std::int64_t>(1, (limit.blocked_until - now + 999) / 1000);
        refused->headers.emplace_back("Retry-After", std::to_string(wait_s));
      }
    }
    if (refused) {
      reply = *refused;
    } else {
      reply = internal::JetEmailLogs(scenario_, index, query, now);
      if (auto fault = PickFault(true, "logs", now)) reply = ApplyFault(*fault, std::move(reply), true, true);
    }
    reply.account = it->name;
  }
  reply.provider = "jetemail";
  reply.kind = "logs";
  return reply;
}

Reply FakeApiServer::Impl::Mailtrap(mg_connection* conn, const std::vector<std::string>& parts,
                                    const Query& query, std::int64_t now) {
  const bool list = parts.size() == 4 && parts[3] == "email_logs";
  const bool detail = parts.size() == 5 && parts[3] == "email_logs" && !parts[4].empty();
  const bool domains = parts.size() == 4 && parts[3] == "sending_domains";
  if (!list && !detail && !domains) return internal::MailtrapError(404, "Not Found");
  std::string token = Header(conn, "Api-Token");
  if (token.empty()) token = BearerToken(Header(conn, "Authorization"));
  const auto& accounts = scenario_.spec().mailtrap;
  auto by_token = std::find_if(accounts.begin(), accounts.end(),
                               [&](const auto& a) { return !token.empty() && a.token == token; });
  const auto id = internal::ParseInt(parts[2]);
  auto by_id = std::find_if(accounts.begin(), accounts.end(),
                            [&](const auto& a) { return id && a.account_id == *id; });
  Reply reply;
  if (by_token == accounts.end()) {
    reply = internal::MailtrapError(401, "Incorrect API token");
  } else if (by_id == accounts.end()) {
    reply = internal::MailtrapError(404, "Not Found");  // no such account at all
  } else if (by_id != by_token) {
    reply = internal::MailtrapError(403, "Account access forbidden", true);
  } else {
    reply = MailtrapCall(static_cast<std::size_t>(by_id - accounts.begin()), parts, query, now,
                         Header(conn, "Host"));
  }
  if (by_token != accounts.end()) reply.account = by_token->name;
  reply.provider = "mailtrap";
  reply.kind = list ? "list" : detail ? "detail" : "domains";
  return reply;
}

Reply FakeApiServer::Impl::MailtrapCall(std::size_t account, const std::vector<std::string>& parts,
                                        const Query& query, std::int64_t now,
                                        const std::string& host) {
  const MailtrapAccountSpec& spec = scenario_.spec().mailtrap[account];
  if (parts[3] == "sending_domains") {
    Reply reply = internal::MailtrapSendingDomains(scenario_, account);
    if (auto fault = PickFault(false, "domains", now)) reply = ApplyFault(*fault, std::move(reply), false, false);
    return reply;
  }
  const bool list = parts.size() == 4;
  const int limit = list ? spec.list_limit_per_minute : spec.detail_limit_per_minute;
  bool allowed = false;
  int remaining = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RollingWindow& window = list ? mt_limits_[account].list : mt_limits_[account].detail;
    allowed = window.TryAcquire(now, limit);
    remaining = window.Remaining(now, limit);
  }
  Reply reply;
  if (!allowed) {
    // Mailtrap promises no Retry-After.
    reply = internal::MailtrapError(429, "Rate limit exceeded", true);
  } else {
    reply = list ? internal::MailtrapList(scenario_, account, query, now)
                 : internal::MailtrapDetail(scenario_, account, parts[4], now, host);
    if (auto fault = PickFault(false, list ? "list" : "detail", now)) reply = ApplyFault(*fault, std::move(reply), false, list);
  }
  reply.headers.emplace_back("X-Ratelimit-Limit", std::to_string(limit));
  reply.headers.emplace_back("X-Ratelimit-Remaining", std::to_string(remaining));
  return reply;
}

std::optional<PickedFault> FakeApiServer::Impl::PickFault(bool jetemail, std::string_view kind, std::int64_t now) {
  std::optional<FaultPlan> plan;
  {
    std::lock_guard<std::mutex> lock(mu_);
    plan = fault_plan_;
  }
  const std::uint64_t seq = request_seq_.fetch_add(1);
  if (!plan) {
    // ScenarioSpec::fault_share: 70% answered 500, the rest 429 (JetEmail
    // with Retry-After: 60, Mailtrap without, as the providers do).
    const double share = scenario_.fault_share();
    if (share <= 0) return std::nullopt;
    const std::uint64_t roll = internal::Mix(scenario_.spec().seed, seq + 0x5eed);
    if (static_cast<double>(roll >> 11) * 0x1.0p-53 >= share) return std::nullopt;
    if (roll % 10 < 7) return PickedFault{Fault::kStatus500};
    return jetemail ? PickedFault{Fault::k429WithRetryAfter, 60} : PickedFault{Fault::k429WithoutRetryAfter};
  }
  if (plan->share <= 0) return std::nullopt;
  if (!plan->provider.empty() && plan->provider != (jetemail ? "jetemail" : "mailtrap")) return std::nullopt;
  if (!plan->kind.empty() && plan->kind != kind) return std::nullopt;
  if (plan->until_ms > 0 && now >= plan->until_ms) return std::nullopt;
  const std::uint64_t roll = internal::Mix(plan->seed, seq + 0xfa17);
  if (static_cast<double>(roll >> 11) * 0x1.0p-53 >= plan->share) return std::nullopt;
  const std::vector<Fault> mix = plan->mix.empty() ? AllFaults() : plan->mix;
  // The kind injected least so far (ties broken by the roll): every kind
  // comes up once in each len(mix) faults, however few requests a test
  // makes; a random pick had left one of twelve kinds out of 60 faults.
  Fault fault;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto injected = [&](Fault f) {  // without adding a key: the counts list only injected kinds
      const auto it = fault_counts_.find(std::string(FaultName(f)));
      return it == fault_counts_.end() ? 0 : it->second;
    };
    const size_t start = internal::SplitMix(roll) % mix.size();
    fault = mix[start];
    for (size_t i = 1; i < mix.size(); ++i) {
      const Fault other = mix[(start + i) % mix.size()];
      if (injected(other) < injected(fault)) fault = other;
    }
    ++fault_counts_[std::string(FaultName(fault))];
  }
  return PickedFault{fault, plan->retry_after_s, plan->slow_reply_ms, plan->oversized_bytes};
}

void FakeApiServer::Impl::Record(const Reply& reply, std::int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back({now, reply.provider, reply.account, reply.kind, reply.status, reply.fault});
  if (scenario_.continuous() && log_.size() > kContinuousLogCap) log_.pop_front();
  ++status_counts_[reply.status];
  ++total_requests_;
}

std::vector<RequestRecord> FakeApiServer::Impl::Requests(std::int64_t since) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RequestRecord> out;
  for (const RequestRecord& r : log_) {
    if (r.unix_ms >= since) out.push_back(r);
  }
  return out;
}

Reply FakeApiServer::Impl::FakeEndpoint(const std::string& name, const Query& query,
                                        std::int64_t now) const {
  if (name == "truth") {
    if (scenario_.continuous()) {
      return internal::MailtrapError(409, "no ground truth in continuous mode");
    }
    TruthOptions options;
    const std::string categories = query.Get("categories").value_or("");
    for (std::size_t begin = 0; begin < categories.size();) {
      std::size_t end = categories.find(',', begin);
      if (end == std::string::npos) end = categories.size();
      if (end > begin) options.mailtrap_categories.push_back(categories.substr(begin, end - begin));
      begin = end + 1;
    }
    options.mailtrap_domain_names = query.Get("domain_names").value_or("1") != "0";
    options.mailtrap_events = query.Get("events").value_or("all");
    Json body = Json::object();
    for (const auto& [series, value] : internal::ComputeGroundTruth(scenario_, options)) {
      body[series] = value;
    }
    return internal::JsonReply(200, body.dump());
  }
  if (name == "requests") {
    const auto since = internal::ParseInt(query.Get("since").value_or(""))
                           .value_or(std::numeric_limits<std::int64_t>::min());
    Json body = Json::array();
    for (const RequestRecord& r : Requests(since)) body.push_back(RecordJson(r));
    return internal::JsonReply(200, body.dump());
  }
  if (name == "status") {
    Json by_status = Json::object();
    std::int64_t total = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [status, count] : status_counts_) by_status[std::to_string(status)] = count;
      total = total_requests_;
    }
    Json messages{{"jetemail", Json::object()}, {"mailtrap", Json::object()}};
    const auto min = std::numeric_limits<std::int64_t>::min();
    for (std::size_t a = 0; a < scenario_.spec().jetemail.size(); ++a) {
      messages["jetemail"][scenario_.spec().jetemail[a].name] =
          scenario_.jet_refs(a).Collect(min, now, now).size();
    }
    for (std::size_t a = 0; a < scenario_.spec().mailtrap.size(); ++a) {
      messages["mailtrap"][scenario_.spec().mailtrap[a].name] =
          scenario_.mt_refs(a).Collect(min, now, now).size();
    }
    Json body{
        {"continuous", scenario_.continuous()},
        {"start_ms", scenario_.start_ms()},
        {"scripted_end_ms", scenario_.continuous() ? Json(nullptr) : Json(scenario_.end_ms())},
        {"now_ms", now},
        {"done", !scenario_.continuous() && now >= scenario_.end_ms()},
        {"requests", {{"total", total}, {"by_status", std::move(by_status)}}},
        {"messages", std::move(messages)}};
    return internal::JsonReply(200, body.dump());
  }
  return internal::MailtrapError(404, "Not Found");
}

int FakeApiServer::Impl::Send(mg_connection* conn, const Reply& reply) {
  // civetweb never keeps a connection alive after a handler that returned
  // 401: returning it without writing anything closes the socket unanswered.
  constexpr int kCloseConnection = 401;
  if (reply.status == 0) return kCloseConnection;  // Fault::kConnectionReset
  if (reply.slow_reply_ms > 0) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(reply.slow_reply_ms);
    while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::string content_type = "application/json; charset=utf-8";
  for (const auto& [name, value] : reply.headers) {
    if (name == "X-Fake-Content-Type") content_type = value;
  }
  const std::size_t length = reply.oversized_bytes > 0 ? reply.oversized_bytes : reply.body.size();
  mg_response_header_start(conn, reply.status);
  mg_response_header_add(conn, "Content-Type", content_type.c_str(), -1);
  mg_response_header_add(conn, "Content-Length", std::to_string(length).c_str(), -1);
  for (const auto& [name, value] : reply.headers) {
    if (name != "X-Fake-Content-Type") mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  }
  mg_response_header_send(conn);
  if (reply.oversized_bytes == 0) {
    mg_write(conn, reply.body.data(), reply.body.size());
    return reply.status;
  }
  // Fault::kOversizedBody: a JSON array that never ends, streamed until the
  // length is reached or the client hangs up; then the socket is closed.
  std::string chunk = "{\"data\":[";
  chunk.resize(64 * 1024, ' ');
  for (std::size_t sent = 0; sent < length && !stopping_.load();) {
    const std::size_t n = std::min(chunk.size(), length - sent);
    if (mg_write(conn, chunk.data(), n) <= 0) break;
    sent += n;
    if (sent == n) std::fill(chunk.begin(), chunk.begin() + 9, ' ');
  }
  return kCloseConnection;
}

// ---------------------------------------------------------------- public API

FakeApiServer::FakeApiServer(ScenarioSpec spec, NowFn now)
    : impl_(Impl::Create(std::move(spec), std::move(now))) {}

FakeApiServer::~FakeApiServer() = default;

bool FakeApiServer::Start(const std::string& listen, std::string* error) {
  return impl_->Start(listen, error);
}

int FakeApiServer::port() const { return impl_->port(); }

std::string FakeApiServer::base_url() const {
  return "http://" + impl_->host() + ":" + std::to_string(impl_->port());
}

std::map<std::string, double> FakeApiServer::GroundTruth(const TruthOptions& options) const {
  return internal::ComputeGroundTruth(impl_->scenario(), options);
}

std::vector<RequestRecord> FakeApiServer::Requests() const {
  return impl_->Requests(std::numeric_limits<std::int64_t>::min());
}

std::int64_t FakeApiServer::scripted_end_ms() const { return impl_->scenario().end_ms(); }

std::int64_t FakeApiServer::start_ms() const { return impl_->scenario().start_ms(); }

void FakeApiServer::SetFaults(FaultPlan plan) { impl_->SetFaults(std::move(plan)); }

void FakeApiServer::ClearFaults() { impl_->SetFaults(FaultPlan{}); }

std::map<std::string, int> FakeApiServer::FaultCounts() const { return impl_->FaultCounts(); }

std::string_view FaultName(Fault fault) {
  switch (fault) {
    case Fault::kStatus500: return "500";
    case Fault::kStatus502: return "502";
    case Fault::kStatus503: return "503";
    case Fault::k429WithRetryAfter: return "429_retry_after";
    case Fault::k429WithoutRetryAfter: return "429";
    case Fault::kConnectionReset: return "reset";
    case Fault::kSlowReply: return "slow";
    case Fault::kTruncatedBody: return "truncated";
    case Fault::kNotJson: return "not_json";
    case Fault::kWrongShape: return "wrong_shape";
    case Fault::kEmptyPage: return "empty_page";
    case Fault::kOversizedBody: return "oversized";
  }
  return "unknown";
}

std::vector<Fault> AllFaults() {
  return {Fault::kStatus500,        Fault::kStatus502,     Fault::kStatus503,       Fault::k429WithRetryAfter,
          Fault::k429WithoutRetryAfter, Fault::kConnectionReset, Fault::kSlowReply, Fault::kTruncatedBody,
          Fault::kNotJson,          Fault::kWrongShape,    Fault::kEmptyPage,       Fault::kOversizedBody};
}

}  // namespace ele::fake
