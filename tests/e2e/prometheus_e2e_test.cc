// The dashboards and alert rules against a real Prometheus: the fake APIs,
// the exporter binary and Debian's `prometheus` scraping it every second over
// TLS with basic auth, with alerts/ loaded. Every expression of every dashboard panel (and every
// template variable query) and every alert rule must return data (a number,
// not only NaN), every rule must evaluate healthily, and a scripted burst of
// Mailtrap delivery failures must make MailtrapDeliveryFailureRatioHigh pending.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/e2e/test_certificates.h"
#include "tests/fakes/fake_api_server.h"

extern char** environ;

namespace ele::e2e {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kJetToken = "prom-e2e-jet-token";
constexpr const char* kProdToken = "prom-e2e-mt-prod-token";
constexpr const char* kBurstToken = "prom-e2e-mt-burst-token";

// What the Grafana variables stand for in the queries: all accounts and
// domains, a rate window of a few scrapes and a dashboard range longer than
// the test.
const std::map<std::string, std::string> kVariables = {
    {"account", ".+"}, {"domain", ".+"}, {"__rate_interval", "1m"}, {"__range", "5m"}, {"__interval", "15s"}};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string SubstituteVariables(const std::string& expr) {
  static const std::regex kVar(R"(\$\{(\w+)(?::[^}]*)?\}|\$(\w+))");
  std::string out;
  auto begin = expr.cbegin();
  for (std::sregex_iterator it(expr.begin(), expr.end(), kVar), end; it != end; ++it) {
    const std::smatch& m = *it;
    const std::string name = m[1].matched ? m[1].str() : m[2].str();
    out.append(begin, m[0].first);
    auto found = kVariables.find(name);
    out += found != kVariables.end() ? found->second : m[0].str();
    begin = m[0].second;
  }
  out.append(begin, expr.cend());
  return out;
}

std::string PercentEncode(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof(buffer), "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }

// Calls `visit(i)` for every position of `expr` outside quotes and outside
// any (), [] or {}; returns false when brackets do not balance.
template <typename Visit>
bool ForEachTopLevel(const std::string& expr, Visit visit) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') {
      quote = c;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      --depth;
    } else if (depth == 0) {
      visit(i);
    }
  }
  return depth == 0 && quote == 0;
}

// The operands of the top-level set operators (and, or, unless), without
// the vector matching that follows an operator (`unless on (account) x`).
std::vector<std::string> SetOperands(const std::string& expr) {
  std::vector<size_t> cuts;  // start of an operator word
  std::vector<size_t> ends;  // just after it
  ForEachTopLevel(expr, [&](size_t i) {
    if (i > 0 && IsIdentChar(expr[i - 1])) return;
    for (const std::string_view word : {"and", "or", "unless"}) {
      if (expr.compare(i, word.size(), word) == 0 && (i + word.size() == expr.size() || !IsIdentChar(expr[i + word.size()]))) {
        cuts.push_back(i);
        ends.push_back(i + word.size());
        return;
      }
    }
  });
  static const std::regex kMatching(R"(^\s*(?:(?:on|ignoring)\s*\([^)]*\)\s*)?(?:(?:group_left|group_right)\s*(?:\([^)]*\))?\s*)?)");
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    std::string operand = expr.substr(start, (k < cuts.size() ? cuts[k] : expr.size()) - start);
    if (k > 0) operand = std::regex_replace(operand, kMatching, "", std::regex_constants::format_first_only);
    out.push_back(Trim(operand));
    if (k < cuts.size()) start = ends[k];
  }
  return out;
}

// The part of an alert operand that returns data whether or not the alert
// fires: the left-hand side of a comparison with a number, the argument of
// absent(), and without `offset` (half an hour ago is before the test).
std::string DataPart(std::string operand) {
  size_t op = std::string::npos;
  size_t op_len = 0;
  ForEachTopLevel(operand, [&](size_t i) {
    const char c = operand[i];
    const char next = i + 1 < operand.size() ? operand[i + 1] : '\0';
    if ((c == '>' || c == '<' || c == '=' || c == '!') && next == '=') {
      op = i;
      op_len = 2;
    } else if (c == '>' || c == '<') {
      op = i;
      op_len = 1;
    }
  });
  static const std::regex kNumber(R"(^\s*(?:bool\s+)?[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?\s*$)");
  if (op != std::string::npos && std::regex_match(operand.substr(op + op_len), kNumber)) operand = Trim(operand.substr(0, op));
  static const std::regex kAbsent(R"(^absent\s*\(([\s\S]*)\)$)");
  std::smatch m;
  if (std::regex_match(operand, m, kAbsent)) operand = Trim(m[1].str());
  static const std::regex kOffset(R"(\s+offset\s+-?[0-9]+[a-z]+)");
  return std::regex_replace(operand, kOffset, "");
}

TEST(PromqlHelpersTest, SplitsAlertExpressionsIntoTheirDataParts) {
  EXPECT_EQ(DataPart("email_logs_exporter_up == 0"), "email_logs_exporter_up");
  EXPECT_EQ(DataPart("email_logs_exporter_lag_seconds > 900"), "email_logs_exporter_lag_seconds");
  EXPECT_EQ(DataPart("increase(x{code=~\"401|403\", a!=\"b\"}[10m]) >= 20"), "increase(x{code=~\"401|403\", a!=\"b\"}[10m])");
  EXPECT_EQ(DataPart("absent(email_logs_exporter_build_info)"), "email_logs_exporter_build_info");
  EXPECT_EQ(DataPart("sum(increase(x[1h] offset 30m)) >= 20"), "sum(increase(x[1h]))");
  EXPECT_EQ(DataPart("a / b"), "a / b");
  const auto operands = SetOperands("(a / b) > 0.05\nand\nc >= 20 unless on (account) up{p=\"m\"} == 0 or vector(1)");
  ASSERT_EQ(operands.size(), 4u);
  EXPECT_EQ(operands[0], "(a / b) > 0.05");
  EXPECT_EQ(operands[1], "c >= 20");
  EXPECT_EQ(operands[2], "up{p=\"m\"} == 0");
  EXPECT_EQ(operands[3], "vector(1)");
  EXPECT_EQ(SetOperands("sum without (domain, status) (x{status=\"order\"})").size(), 1u);
  EXPECT_EQ(SubstituteVariables("rate(x{account=~\"$account\", domain=~\"${domain}\"}[$__rate_interval])"),
            "rate(x{account=~\".+\", domain=~\".+\"}[1m])");
}

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Debian's Prometheus as a child process, stopped by its own pid.
class PrometheusProcess {
 public:
  PrometheusProcess(const std::string& config, const std::string& tsdb, int port, const std::string& log_path)
      : port_(port), log_path_(log_path) {
    const std::vector<std::string> args = {kPrometheus,
                                           "--config.file=" + config,
                                           "--storage.tsdb.path=" + tsdb,
                                           "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                           "--web.console.libraries=" + tsdb,
                                           "--web.console.templates=" + tsdb,
                                           "--log.level=info"};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, kPrometheus, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~PrometheusProcess() { Stop(); }
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  // Until /-/ready answers 200; false if the process exited first.
  bool WaitReady(std::chrono::seconds timeout) {
    return WaitFor(
               [&] {
                 if (!Running()) return true;
                 return HttpGet(url("/-/ready")).status == 200;
               },
               timeout) &&
           Running();
  }
  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const bool exited = WaitFor([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, 15s);
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string Log() const { return ReadFile(log_path_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

struct Query {
  std::string where;  // e.g. "email-logs-overview.json panel 7 \"Volume\""
  std::string expr;   // PromQL, variables substituted
  bool label_values = false;
  std::string label;  // label_values(): the label asked for
};

std::vector<Query> DashboardQueries(const std::string& dir) {
  std::vector<Query> out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const Json dashboard = Json::parse(ReadFile(file.string()));
    const std::string name = file.filename().string();
    std::function<void(const Json&)> walk = [&](const Json& panels) {
      for (const Json& panel : panels) {
        if (panel.contains("panels")) walk(panel["panels"]);
        if (!panel.contains("targets")) continue;
        for (const Json& target : panel["targets"]) {
          if (!target.contains("expr") || target.value("hide", false)) continue;
          out.push_back({name + " panel " + std::to_string(panel.value("id", 0)) + " \"" + panel.value("title", "") + "\" " +
                             target.value("refId", ""),
                         SubstituteVariables(target["expr"].get<std::string>()), false, ""});
        }
      }
    };
    walk(dashboard.at("panels"));
    // label_values(selector, label) of the query variables.
    static const std::regex kLabelValues(R"(^\s*label_values\(\s*([\s\S]+)\s*,\s*(\w+)\s*\)\s*$)");
    for (const Json& variable : dashboard["templating"]["list"]) {
      if (variable.value("type", "") != "query") continue;
      const Json& q = variable["query"];
      const std::string text = q.is_object() ? q.value("query", "") : q.get<std::string>();
      std::smatch m;
      if (!std::regex_match(text, m, kLabelValues)) {
        ADD_FAILURE() << name << " variable " << variable.value("name", "") << ": not label_values(selector, label): " << text;
        continue;
      }
      out.push_back({name + " variable $" + variable.value("name", ""), SubstituteVariables(Trim(m[1].str())), true, m[2].str()});
    }
  }
  return out;
}

struct AlertRule {
  std::string name;
  std::string expr;
};

std::vector<AlertRule> AlertRules(const std::string& file) {
  std::vector<AlertRule> out;
  const YAML::Node root = YAML::LoadFile(file);
  for (const auto& group : root["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (rule["alert"]) out.push_back({rule["alert"].as<std::string>(), rule["expr"].as<std::string>()});
    }
  }
  return out;
}

// Runs an instant query: "" and *series set to the number of series with a
// numeric value when it succeeded, else what went wrong.
std::string InstantQuery(const PrometheusProcess& prometheus, const std::string& expr, size_t* series) {
  const HttpResult r = HttpGet(prometheus.url("/api/v1/query?query=" + PercentEncode(expr)));
  Json body = Json::parse(r.body, nullptr, false);
  if (r.status != 200 || body.is_discarded() || body.value("status", "") != "success") {
    return "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
  }
  const Json& data = body["data"];
  const std::string type = data.value("resultType", "");
  // Counts samples that are numbers: a NaN (a ratio of zero rates, a
  // quantile of no observations) shows as "no data" in a panel.
  auto is_number = [](const Json& sample) {
    const std::string v = sample.is_array() && sample.size() == 2 ? sample[1].get<std::string>() : "NaN";
    return v != "NaN" && v != "+Inf" && v != "-Inf";
  };
  *series = 0;
  if (type == "scalar") {
    *series = is_number(data["result"]) ? 1 : 0;
  } else if (type == "vector") {
    for (const Json& item : data["result"]) *series += is_number(item["value"]) ? 1 : 0;
  } else {
    *series = data["result"].size();
  }
  return "";
}

std::string LabelValuesQuery(const PrometheusProcess& prometheus, const Query& q, size_t* values) {
  const HttpResult r = HttpGet(prometheus.url("/api/v1/label/" + q.label + "/values?match[]=" + PercentEncode(q.expr)));
  Json body = Json::parse(r.body, nullptr, false);
  if (r.status != 200 || body.is_discarded() || body.value("status", "") != "success") {
    return "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
  }
  *values = body["data"].size();
  return "";
}

Json ApiData(const PrometheusProcess& prometheus, const std::string& path) {
  Json body = Json::parse(HttpGet(prometheus.url(path)).body, nullptr, false);
  if (body.is_discarded() || body.value("status", "") != "success") return Json::object();
  return body["data"];
}

std::string ExporterConfig(const std::string& base_url) {
  const std::string mailtrap_common = "    base_url: " + base_url +
                                      "\n    requests_per_minute: 50\n    categories: [welcome, password_reset]\n"
                                      "    events: all\n    detail_requests_per_minute: 900\n";
  return "collection:\n  interval: 1s\n  lookback: 1h\n  overlap: 10s\n  request_timeout: 5s\n"
         // Fewer label values than the JetEmail domains, so the overflow
         // counter of the overview dashboard has data too.
         "  label_value_limit: 8\n"
         "jetemail:\n  - name: main\n    api_token_env: PROM_E2E_JET_TOKEN\n    base_url: " + base_url +
         "\n    requests_per_minute: 200\n"
         "mailtrap:\n"
         "  - name: prod\n    account_id: 123456\n    api_token_env: PROM_E2E_MT_PROD_TOKEN\n" + mailtrap_common +
         "  - name: burst\n    account_id: 654321\n    api_token_env: PROM_E2E_MT_BURST_TOKEN\n" + mailtrap_common;
}

// Prometheus scrapes over TLS with basic auth, as a production setup would.
std::string PrometheusConfig(const std::string& exporter_address, const std::string& rules_file, const std::string& ca_file) {
  return "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
         "rule_files:\n  - " + rules_file + "\n"
         "scrape_configs:\n  - job_name: email_logs_exporter\n    scheme: https\n"
         "    tls_config:\n      ca_file: " + ca_file + "\n"
         "    basic_auth:\n      username: prometheus\n      password: s3cret-pass\n"
         "    static_configs:\n      - targets: ['" + exporter_address + "']\n";
}

// The exporter's web config: its certificate (signed by a CA made here) and
// the bcrypt of "s3cret-pass" at cost 4 for user prometheus.
std::string WebConfig(const TempDir& dir, CertificateFiles* ca) {
  *ca = MakeCa(dir.path(), "ca");
  const CertificateFiles server = MakeCertificate(dir.path(), "server", *ca, false);
  return dir.Write("web.yml", "tls_server_config:\n  cert_file: " + server.cert + "\n  key_file: " + server.key +
                                  "\nbasic_auth_users:\n  prometheus: $2b$04$.lKWt/B8XMUpNOYCS.77eefDBvLiWyF87T82toECERQ/XMMFYgiNi\n");
}

TEST(PrometheusE2ETest, EveryDashboardAndAlertExpressionReturnsDataAndAFailureBurstMakesTheAlertPending) {
  if (::access(kPrometheus, X_OK) != 0) GTEST_SKIP() << kPrometheus << " is not installed (scripts/setup.sh installs it)";
  const auto started = std::chrono::steady_clock::now();
  const std::string source = ELE_SOURCE_DIR;

  // Traffic for about a minute, so counters keep rising while Prometheus
  // scrapes: one JetEmail account with more domains than the label limit,
  // a healthy Mailtrap account and one whose mail mostly fails.
  fake::ScenarioSpec spec;
  spec.seed = 60606;
  spec.fault_share = 0;
  spec.min_status_dwell_s = 3;
  spec.late_activity_s = 15;
  fake::JetEmailAccountSpec jet;
  jet.token = kJetToken;
  jet.domain_count = 12;
  jet.message_count = 900;
  jet.duration_s = 70;
  fake::MailtrapAccountSpec prod;
  prod.name = "prod";
  prod.account_id = 123456;
  prod.token = kProdToken;
  prod.message_count = 500;
  prod.duration_s = 70;
  prod.page_size = 200;
  prod.failure_share = 0.02;
  fake::MailtrapAccountSpec burst = prod;
  burst.name = "burst";
  burst.account_id = 654321;
  burst.token = kBurstToken;
  burst.message_count = 300;
  burst.failure_share = 0.5;  // the burst: half the messages bounce or are rejected
  burst.sending_domains = {{4001, "alerts.example.com"}};
  spec.jetemail = {jet};
  spec.mailtrap = {prod, burst};
  fake::FakeApiServer api(spec);
  ASSERT_TRUE(api.Start());

  TempDir dir;
  CertificateFiles ca;
  const std::string web_config = WebConfig(dir, &ca);
  ExporterProcess exporter({"--config.file=" + dir.Write("exporter.yaml", ExporterConfig(api.base_url())), "--web.listen-address=127.0.0.1:0",
                            "--web.config.file=" + web_config},
                           dir.path() + "/exporter.log",
                           {{"PROM_E2E_JET_TOKEN", kJetToken}, {"PROM_E2E_MT_PROD_TOKEN", kProdToken}, {"PROM_E2E_MT_BURST_TOKEN", kBurstToken}});
  ASSERT_TRUE(exporter.WaitForAddress()) << exporter.Log();
  const std::string exporter_address = exporter.url("").substr(std::string("http://").size());

  const std::string rules_source = source + "/alerts/email_logs_exporter.rules.yml";
  const std::string rules_file = dir.Write("email_logs_exporter.rules.yml", ReadFile(rules_source));
  const std::string prometheus_config = dir.Write("prometheus.yml", PrometheusConfig(exporter_address, rules_file, ca.cert));
  std::filesystem::create_directory(dir.path() + "/tsdb");
  std::unique_ptr<PrometheusProcess> prometheus;
  for (int attempt = 0; attempt < 3 && !prometheus; ++attempt) {  // the free port may be taken meanwhile
    prometheus = std::make_unique<PrometheusProcess>(prometheus_config, dir.path() + "/tsdb", FreeLoopbackPort(),
                                                     dir.path() + "/prometheus.log");
    if (!prometheus->WaitReady(30s)) prometheus.reset();
  }
  ASSERT_TRUE(prometheus) << ReadFile(dir.path() + "/prometheus.log");

  const std::vector<Query> dashboards = DashboardQueries(source + "/dashboards");
  const std::vector<AlertRule> rules = AlertRules(rules_source);
  ASSERT_GT(dashboards.size(), 50u);
  ASSERT_GE(rules.size(), 10u);
  std::vector<Query> queries = dashboards;
  size_t alert_parts = 0;
  for (const AlertRule& rule : rules) {
    const auto operands = SetOperands(rule.expr);
    for (size_t i = 0; i < operands.size(); ++i) {
      queries.push_back({"alert " + rule.name + " operand " + std::to_string(i + 1), DataPart(operands[i]), false, ""});
      ++alert_parts;
    }
  }

  // Everything at once, on the same data: poll until every query returns
  // data, every rule is healthy and the burst's alert is pending.
  std::vector<std::string> problems;
  int rounds = 0;
  auto check = [&] {
    ++rounds;
    problems.clear();
    for (const Query& q : queries) {
      size_t n = 0;
      const std::string error = q.label_values ? LabelValuesQuery(*prometheus, q, &n) : InstantQuery(*prometheus, q.expr, &n);
      if (!error.empty()) {
        problems.push_back(q.where + ": query failed: " + error + "\n    " + q.expr);
      } else if (n == 0) {
        problems.push_back(q.where + ": no data (or only NaN)\n    " + q.expr);
      }
    }
    // Whole rule expressions evaluate (the firing ones may return nothing).
    for (const AlertRule& rule : rules) {
      size_t n = 0;
      const std::string error = InstantQuery(*prometheus, rule.expr, &n);
      if (!error.empty()) problems.push_back("alert " + rule.name + ": query failed: " + error);
    }
    std::map<std::string, std::string> health;
    for (const Json& group : ApiData(*prometheus, "/api/v1/rules?type=alert").value("groups", Json::array())) {
      for (const Json& rule : group["rules"]) {
        health[rule.value("name", "")] = rule.value("health", "") + (rule.contains("lastError") ? " " + rule.value("lastError", "") : "");
      }
    }
    for (const AlertRule& rule : rules) {
      auto it = health.find(rule.name);
      if (it == health.end()) {
        problems.push_back("alert " + rule.name + ": not loaded by Prometheus");
      } else if (Trim(it->second) != "ok") {
        problems.push_back("alert " + rule.name + ": health " + it->second);
      }
    }
    bool burst_alert = false;
    for (const Json& alert : ApiData(*prometheus, "/api/v1/alerts").value("alerts", Json::array())) {
      const Json& labels = alert["labels"];
      const std::string state = alert.value("state", "");
      if (labels.value("alertname", "") == "MailtrapDeliveryFailureRatioHigh" && labels.value("account", "") == "burst" &&
          (state == "pending" || state == "firing")) {
        burst_alert = true;
      }
    }
    if (!burst_alert) problems.push_back("MailtrapDeliveryFailureRatioHigh is not pending for account burst");
    if (problems.empty()) return true;
    std::this_thread::sleep_for(1s);
    return false;
  };
  const bool ok = WaitFor(check, 75s);
  std::string report;
  for (size_t i = 0; i < problems.size() && i < 40; ++i) report += "\n  " + problems[i];
  EXPECT_TRUE(ok) << problems.size() << " problems after " << rounds << " rounds:" << report << "\nexporter log tail:\n"
                  << exporter.Log().substr(exporter.Log().size() > 3000 ? exporter.Log().size() - 3000 : 0) << "\nprometheus log tail:\n"
                  << prometheus->Log().substr(prometheus->Log().size() > 3000 ? prometheus->Log().size() - 3000 : 0);

  // The check can fail: a selector nothing matches returns no data.
  size_t none = 1;
  EXPECT_EQ(InstantQuery(*prometheus, "mailtrap_messages_total{account=\"no-such-account\"}", &none), "");
  EXPECT_EQ(none, 0u);

  // Prometheus scraped the exporter and nothing else went wrong on the way.
  const Json targets = ApiData(*prometheus, "/api/v1/targets").value("activeTargets", Json::array());
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].value("health", ""), "up") << targets[0].dump();

  prometheus->Stop();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%zu dashboard queries and %zu alert rule parts (%zu rules) returned data after %d rounds; %.1f s\n", dashboards.size(),
              alert_parts, rules.size(), rounds, seconds);
}

}  // namespace
}  // namespace ele::e2e
