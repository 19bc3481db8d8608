// The real binary, end to end: endpoints, promtool, basic auth, reload,
// signals and startup errors.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "tests/e2e/harness.h"
#include "tests/fakes/fake_api_server.h"

namespace ele::e2e {
namespace {

using namespace std::chrono_literals;

// bcrypt of "s3cret-pass" at cost 4.
constexpr const char* kHash = "$2b$04$.lKWt/B8XMUpNOYCS.77eefDBvLiWyF87T82toECERQ/XMMFYgiNi";
const std::map<std::string, std::string> kTokens = {{"E2E_JET_TOKEN", "e2e-jet-token-5d1f"}, {"E2E_MT_TOKEN", "e2e-mt-token-8c0b"}};

fake::ScenarioSpec SmallScenario() {
  fake::ScenarioSpec spec;
  fake::JetEmailAccountSpec jet;
  jet.token = "e2e-jet-token-5d1f";
  jet.domain_count = 3;
  jet.message_count = 40;
  jet.duration_s = 5;
  fake::MailtrapAccountSpec mt;
  mt.token = "e2e-mt-token-8c0b";
  mt.message_count = 40;
  mt.duration_s = 5;
  spec.jetemail = {jet};
  spec.mailtrap = {mt};
  spec.min_status_dwell_s = 1;
  spec.late_activity_s = 2;
  return spec;
}

std::string Config(const std::string& base_url, const std::string& extra_jetemail = "") {
  return "collection:\n  interval: 1s\n  lookback: 1h\n  overlap: 10s\n  request_timeout: 2s\n"
         "jetemail:\n  - name: main\n    api_token_env: E2E_JET_TOKEN\n    base_url: " + base_url + "\n    requests_per_minute: 120\n" +
         extra_jetemail +
         "mailtrap:\n  - name: prod\n    account_id: 123456\n    api_token_env: E2E_MT_TOKEN\n    base_url: " + base_url +
         "\n    requests_per_minute: 60\n";
}

class ExporterE2ETest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(api.Start()); }
  std::unique_ptr<ExporterProcess> Launch(const std::string& config_text, std::vector<std::string> extra = {}) {
    const std::string config = dir.Write("config.yaml", config_text);
    std::vector<std::string> args = {"--config.file=" + config, "--web.listen-address=127.0.0.1:0", "--log.level=debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<ExporterProcess>(args, dir.path() + "/exporter.log", kTokens);
    EXPECT_TRUE(p->WaitForAddress()) << p->Log();
    return p;
  }
  fake::FakeApiServer api{SmallScenario()};
  TempDir dir;
};

TEST_F(ExporterE2ETest, MetricsPassPromtoolAndExistFromTheFirstSecond) {
  auto exporter = Launch(Config(api.base_url()));
  HttpResult first = HttpGet(exporter->url("/metrics"));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  auto metrics = ParseMetrics(first.body);
  EXPECT_TRUE(metrics.contains("email_logs_exporter_up{account=\"main\",provider=\"jetemail\"}"));
  EXPECT_TRUE(metrics.contains("email_logs_exporter_api_requests_total{account=\"prod\",code=\"429\",provider=\"mailtrap\"}"));
  EXPECT_TRUE(std::any_of(metrics.begin(), metrics.end(), [](const auto& m) { return m.first.rfind("email_logs_exporter_build_info{", 0) == 0; }));
  ASSERT_TRUE(WaitFor([&] { return HttpGet(exporter->url("/-/ready")).status == 200; }, 30s)) << exporter->Log();
  ASSERT_TRUE(WaitFor([&] { return ParseMetrics(HttpGet(exporter->url("/metrics")).body)["email_logs_exporter_up{account=\"prod\",provider=\"mailtrap\"}"] == 1; }, 30s))
      << exporter->Log();
  std::string promtool_output;
  const int code = RunWithInput("promtool check metrics", HttpGet(exporter->url("/metrics")).body, &promtool_output);
  EXPECT_EQ(code, 0) << promtool_output;
  EXPECT_EQ(promtool_output, "");
}

TEST_F(ExporterE2ETest, EndpointsBehaveAsTheContractSays) {
  auto exporter = Launch(Config(api.base_url()));
  EXPECT_EQ(HttpGet(exporter->url("/-/healthy")).status, 200);
  const HttpResult landing = HttpGet(exporter->url("/"));
  EXPECT_EQ(landing.status, 200);
  EXPECT_NE(landing.body.find("email_logs_exporter"), std::string::npos);
  EXPECT_NE(landing.body.find("<td>main</td>"), std::string::npos);
  EXPECT_NE(landing.body.find("<td>prod</td>"), std::string::npos);
  EXPECT_EQ(HttpGet(exporter->url("/nope")).status, 404);
  EXPECT_EQ(HttpGet(exporter->url("/-/reload")).status, 405) << "reload needs POST";
  ASSERT_TRUE(WaitFor([&] { return HttpGet(exporter->url("/-/ready")).status == 200; }, 30s));
  exporter->Signal(SIGTERM);
  EXPECT_EQ(exporter->Wait(), 0);
}

TEST_F(ExporterE2ETest, BasicAuthGuardsEverythingButHealthy) {
  const std::string web = dir.Write("web.yml", std::string("basic_auth_users:\n  alice: ") + kHash + "\n");
  auto exporter = Launch(Config(api.base_url()), {"--web.config.file=" + web});
  for (const char* path : {"/metrics", "/", "/-/ready"}) {
    HttpResult anonymous = HttpGet(exporter->url(path));
    EXPECT_EQ(anonymous.status, 401) << path;
    EXPECT_EQ(anonymous.headers["www-authenticate"], "Basic realm=\"email_logs_exporter\"") << path;
    EXPECT_EQ(HttpGet(exporter->url(path), "alice:wrong").status, 401) << path;
    EXPECT_NE(HttpGet(exporter->url(path), "alice:s3cret-pass").status, 401) << path;
  }
  EXPECT_EQ(HttpPost(exporter->url("/-/reload")).status, 401);
  EXPECT_EQ(HttpGet(exporter->url("/-/healthy")).status, 200);
}

TEST_F(ExporterE2ETest, ReloadAppliesGoodConfigsAndRefusesBadOnes) {
  auto exporter = Launch(Config(api.base_url()));
  const std::string reload_metric = "email_logs_exporter_config_last_reload_successful{}";
  EXPECT_EQ(ParseMetrics(HttpGet(exporter->url("/metrics")).body)[reload_metric], 1);

  dir.Write("config.yaml", "jetemail:\n  - name: main\n    requests_per_minute: 999\n");
  const HttpResult refused = HttpPost(exporter->url("/-/reload"));
  EXPECT_EQ(refused.status, 500);
  EXPECT_NE(refused.body.find("config.yaml:"), std::string::npos) << refused.body;
  auto metrics = ParseMetrics(HttpGet(exporter->url("/metrics")).body);
  EXPECT_EQ(metrics[reload_metric], 0);
  EXPECT_TRUE(metrics.contains("email_logs_exporter_up{account=\"prod\",provider=\"mailtrap\"}")) << "the old config keeps running";

  std::string with_second = Config(api.base_url()) + "  - name: second\n    account_id: 123456\n    api_token_env: E2E_MT_TOKEN\n    base_url: " +
                            api.base_url() + "\n";
  dir.Write("config.yaml", with_second);
  EXPECT_EQ(HttpPost(exporter->url("/-/reload")).status, 200);
  metrics = ParseMetrics(HttpGet(exporter->url("/metrics")).body);
  EXPECT_EQ(metrics[reload_metric], 1);
  EXPECT_TRUE(metrics.contains("email_logs_exporter_up{account=\"second\",provider=\"mailtrap\"}"));

  dir.Write("config.yaml", Config(api.base_url()));  // SIGHUP takes the same path
  exporter->Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return !ParseMetrics(HttpGet(exporter->url("/metrics")).body).contains("email_logs_exporter_up{account=\"second\",provider=\"mailtrap\"}"); }, 10s));
}

// A reload stops a worker midway through a cycle, after its list reads and
// some detail calls it has not saved yet; the new worker publishes at once.
// Those counts are saved first, so a kill right after the reload loses
// nothing /metrics showed.
TEST_F(ExporterE2ETest, ReloadSavesWhatTheStoppedCycleCountedBeforeShowingIt) {
  const std::string state = dir.path() + "/state.bin";
  auto config = [&](const std::string& refresh) {
    return "state_file: " + state + "\ncollection:\n  interval: 20s\n  lookback: 1h\n  overlap: 10s\n  request_timeout: 2s\n"
           "mailtrap:\n  - name: prod\n    account_id: 123456\n    api_token_env: E2E_MT_TOKEN\n    base_url: " + api.base_url() +
           "\n    requests_per_minute: 60\n    events: all\n    detail_requests_per_minute: 60\n    refresh_interval: " + refresh + "\n";
  };
  auto events = [](const std::map<std::string, double>& metrics) {
    double sum = 0;
    for (const auto& [series, value] : metrics) sum += series.starts_with("mailtrap_events_total{") ? value : 0;
    return sum;
  };
  auto exporter = Launch(config("10m"));
  // A detail a second through a 20 s interval: mid-cycle, more are counted
  // than were saved at the end of the first cycle.
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(state) && events(ParseMetrics(HttpGet(exporter->url("/metrics")).body)) > 0; }, 60s));
  auto details = [&] {
    const auto requests = api.Requests();
    return std::count_if(requests.begin(), requests.end(), [](const auto& r) { return r.kind == "detail" && r.status == 200; });
  };
  const auto saved_details = details();  // the first cycle's, saved at its end (a cycle is 20 s)
  ASSERT_TRUE(WaitFor([&] { return details() >= saved_details + 5; }, 30s)) << "the next cycle fetches more before it saves";
  dir.Write("config.yaml", config("11m"));  // the same account, reconfigured: its collector carries over
  ASSERT_EQ(HttpPost(exporter->url("/-/reload")).status, 200);
  const double shown = events(ParseMetrics(HttpGet(exporter->url("/metrics")).body));
  exporter->Signal(SIGKILL);
  exporter->Wait();
  ExporterProcess again({"--config.file=" + dir.path() + "/config.yaml", "--web.listen-address=127.0.0.1:0"}, dir.path() + "/restarted.log", kTokens);
  ASSERT_TRUE(again.WaitForAddress()) << again.Log();
  ExporterProcess* restarted = &again;
  // The account's series appear once its worker runs, restored from the file.
  std::map<std::string, double> after;
  ASSERT_TRUE(WaitFor([&] {
    after = ParseMetrics(HttpGet(restarted->url("/metrics")).body);
    return after.contains("email_logs_exporter_up{account=\"prod\",provider=\"mailtrap\"}");
  }, 30s));
  const double restored = events(after);
  EXPECT_GE(restored, shown) << "a counter /metrics showed went down across a kill";
  EXPECT_GT(shown, 0);
}

TEST_F(ExporterE2ETest, StartupErrorsExitOneWithOneLine) {
  std::string output;
  const std::string bad = dir.Write("bad.yaml", "jetemail:\n  - name: main\n    api_token_env: E2E_JET_TOKEN\n    requests_per_minute: 999\n");
  EXPECT_EQ(RunToCompletion({"--config.file=" + bad}, &output, kTokens), 1);
  EXPECT_EQ(output, "email_logs_exporter: " + bad + ":4: jetemail[0].requests_per_minute: must be between 1 and 200, got 999 "
                    "(JetEmail blocks an account for 5 minutes past 240 a minute)\n");

  const std::string good = dir.Write("good.yaml", Config(api.base_url()));
  EXPECT_EQ(RunToCompletion({"--config.file=" + good, "--config.check"}, &output, kTokens), 0) << output;
  EXPECT_EQ(RunToCompletion({"--config.file=" + good, "--config.check"}, &output, {}), 1) << "tokens missing";

  auto first = Launch(Config(api.base_url()));
  const std::string taken = first->url("").substr(7);
  EXPECT_EQ(RunToCompletion({"--config.file=" + good, "--web.listen-address=" + taken}, &output, kTokens), 1);
  EXPECT_NE(output.find("cannot listen on " + taken), std::string::npos) << output;

  const std::string tls = dir.Write("tls.yml", "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n");
  const std::string missing = "email_logs_exporter: tls_server_config.cert_file: cannot read " + dir.path() + "/a.crt: No such file or directory\n";
  EXPECT_EQ(RunToCompletion({"--config.file=" + good, "--web.config.file=" + tls}, &output, kTokens), 1);
  EXPECT_EQ(output, missing);
  EXPECT_EQ(RunToCompletion({"--config.file=" + good, "--web.config.file=" + tls, "--config.check"}, &output, kTokens), 1);
  EXPECT_NE(output.find(missing), std::string::npos) << output;
  EXPECT_EQ(RunToCompletion({"--config.file=" + good, "--web.max-requests=many"}, &output, kTokens), 1);
  EXPECT_EQ(output, "email_logs_exporter: flag --web.max-requests needs a whole number, not \"many\"\n");

  EXPECT_EQ(RunToCompletion({"--bogus"}, &output), 1);
  EXPECT_EQ(RunToCompletion({"--version"}, &output), 0);
  EXPECT_EQ(output.rfind("email_logs_exporter ", 0), 0u) << output;
}

}  // namespace
}  // namespace ele::e2e
