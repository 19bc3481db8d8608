// The web server against hostile clients and as exporter-toolkit's flags
// promise, end to end with the real binary: hundreds of idle, slowloris and
// reconnecting connections must not slow a scraper down or grow the process
// without bound; per-address limits turn a noisy client away; several
// listen addresses and systemd's sockets all serve.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/e2e/hostile_clients.h"
#include "tests/e2e/serving_checks.h"
#include "tests/fakes/fake_api_server.h"

namespace ele::e2e {
namespace {

using namespace std::chrono_literals;

class ServingE2ETest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(api.Start()); }
  std::unique_ptr<ExporterProcess> Launch(std::vector<std::string> extra = {}) {
    const std::string config = dir.Write("config.yaml", ServingConfig(api.base_url()));
    std::vector<std::string> args = {"--config.file=" + config};
    if (std::none_of(extra.begin(), extra.end(), [](const std::string& a) { return a.starts_with("--web.listen-address"); })) {
      args.push_back("--web.listen-address=127.0.0.1:0");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<ExporterProcess>(args, dir.path() + "/exporter.log", ServingTokens());
    EXPECT_TRUE(p->WaitForAddress()) << p->Log();
    return p;
  }
  fake::FakeApiServer api{ServingScenario()};
  TempDir dir;
};

TEST_F(ServingE2ETest, ScrapesStayFastUnderHundredsOfHostileConnections) {
  auto exporter = Launch();
  ASSERT_EQ(HttpGet(exporter->url("/metrics")).status, 200);
  const ProcessUsage before = Usage(exporter->pid());
  // Spread over six source addresses: under the per-address limit, so all
  // 290 connections are held and the event loop has to serve among them.
  HostileClients hostile(exporter->addresses().front(),
                         {200, 50, 40, {"127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14", "127.0.0.15"}});
  HttpOptions gzip;
  gzip.gzip = true;
  const ScrapeStats stats = ScrapeFor(kHostileFor, [&] { return HttpGetWith(exporter->url("/metrics"), gzip); },
                                      [&] { return Usage(exporter->pid()); });
  EXPECT_GT(hostile.connects(), 290);
  EXPECT_EQ(stats.failed, 0) << stats.first_failure;
  EXPECT_GE(stats.scrapes, static_cast<int>(kHostileFor.count()) * 3);
  EXPECT_LE(stats.p99_seconds, 0.25) << "p50 " << stats.p50_seconds;
  EXPECT_TRUE(exporter->Wait(0s) == -1) << "the exporter is still running";
  // Bounded: one descriptor a connection, no thread a connection, memory of
  // a few KB a connection (measured: +0 threads, about +8 MiB).
  EXPECT_LE(stats.peak.fds, before.fds + 290 + 16);
  EXPECT_LE(stats.peak.threads, before.threads + 4);
  if (kCheckMemory) {
    EXPECT_LE(stats.peak.rss_kib, before.rss_kib + 32 * 1024);
  }
  // Clients that never finish a request are closed after 10 s and counted.
  const auto metrics = ParseMetrics(HttpGet(exporter->url("/metrics")).body);
  EXPECT_GT(metrics.at(R"(email_logs_exporter_http_refused_total{reason="request_timeout"})"), 200);
  std::printf("scrapes %d, p50 %.1f ms, p99 %.1f ms; peak fds %d (+%d), threads %d (+%d), RSS %ld KiB (+%ld)\n", stats.scrapes,
              stats.p50_seconds * 1e3, stats.p99_seconds * 1e3, stats.peak.fds, stats.peak.fds - before.fds, stats.peak.threads,
              stats.peak.threads - before.threads, stats.peak.rss_kib, stats.peak.rss_kib - before.rss_kib);
}

TEST_F(ServingE2ETest, PerAddressLimitTurnsANoisyClientAway) {
  auto exporter = Launch({"--web.max-connections-per-address=10"});
  HostileClients noisy(exporter->addresses().front(), {30, 0, 0, {"127.0.0.20"}});
  // 20 of the 30 are closed at accept; they come back every second.
  ASSERT_TRUE(WaitFor([&] { return noisy.dropped() >= 40; }, 10s)) << noisy.dropped();
  const HttpResult scrape = HttpGet(exporter->url("/metrics"));
  ASSERT_EQ(scrape.status, 200) << "another address is not limited";
  const auto metrics = ParseMetrics(scrape.body);
  EXPECT_GE(metrics.at(R"(email_logs_exporter_http_refused_total{reason="max_connections_per_address"})"), 40);
  EXPECT_EQ(metrics.at(R"(email_logs_exporter_http_refused_total{reason="max_connections"})"), 0);
  ASSERT_TRUE(WaitFor([&] { return exporter->Log().find("web server turned connections away") != std::string::npos; }, 5s));
  // One line, not one a connection.
  const std::string log = exporter->Log();
  size_t lines = 0;
  for (size_t at = log.find("turned connections away"); at != std::string::npos; at = log.find("turned connections away", at + 1)) ++lines;
  EXPECT_EQ(lines, 1u);
}

TEST_F(ServingE2ETest, EveryListenAddressServes) {
  auto exporter = Launch({"--web.listen-address=127.0.0.1:0", "--web.listen-address=127.0.0.1:0"});
  ASSERT_EQ(exporter->addresses().size(), 2u) << exporter->Log();
  EXPECT_NE(exporter->addresses()[0], exporter->addresses()[1]);
  for (const std::string& address : exporter->addresses()) {
    const HttpResult scrape = HttpGet("http://" + address + "/metrics");
    EXPECT_EQ(scrape.status, 200) << address;
    EXPECT_NE(scrape.body.find("email_logs_exporter_build_info"), std::string::npos);
  }
}

TEST_F(ServingE2ETest, ServesOnTheSocketSystemdPasses) {
  // What systemd does: a listening socket as fd 3, LISTEN_PID and
  // LISTEN_FDS set, then exec. Python stands in for systemd.
  const std::string activate = dir.Write("activate.py",
                                         "import os, socket, sys\n"
                                         "s = socket.socket()\n"
                                         "s.bind(('127.0.0.1', 0))\n"
                                         "s.listen(16)\n"
                                         "os.dup2(s.fileno(), 3)\n"
                                         "os.set_inheritable(3, True)\n"
                                         "os.environ['LISTEN_PID'] = str(os.getpid())\n"
                                         "os.environ['LISTEN_FDS'] = '1'\n"
                                         "os.execv(sys.argv[1], sys.argv[1:])\n");
  const std::string config = dir.Write("config.yaml", ServingConfig(api.base_url()));
  ExporterProcess exporter({"/usr/bin/python3", activate, ExporterBinary(), "--config.file=" + config, "--web.systemd-socket"},
                           dir.path() + "/exporter.log", ServingTokens());
  ASSERT_TRUE(exporter.WaitForAddress()) << exporter.Log();
  EXPECT_EQ(HttpGet(exporter.url("/metrics")).status, 200);

  std::string output;
  EXPECT_EQ(RunToCompletion({"--config.file=" + config, "--web.systemd-socket"}, &output, ServingTokens()), 1);
  EXPECT_NE(output.find("--web.systemd-socket: no socket was passed by systemd"), std::string::npos) << output;
}

}  // namespace
}  // namespace ele::e2e
