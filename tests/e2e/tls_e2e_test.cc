// TLS in the exporter, end to end with the real binary and certificates
// made by openssl: served with the configured certificate and nothing in
// plain text on that port, client certificates required and verified,
// a rotated certificate and a changed web config (users, versions, headers)
// applied without a restart, and scrapes that stay fast while hostile
// clients hold connections that never finish a handshake.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "tests/e2e/harness.h"
#include "tests/e2e/hostile_clients.h"
#include "tests/e2e/serving_checks.h"
#include "tests/e2e/test_certificates.h"
#include "tests/fakes/fake_api_server.h"

namespace ele::e2e {
namespace {

using namespace std::chrono_literals;

// bcrypt of "s3cret-pass" at cost 4.
constexpr const char* kHash = "$2b$04$.lKWt/B8XMUpNOYCS.77eefDBvLiWyF87T82toECERQ/XMMFYgiNi";

class TlsE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api.Start());
    ca = MakeCa(dir.path(), "ca");
    server = MakeCertificate(dir.path(), "server", ca, false);
  }
  std::unique_ptr<ExporterProcess> Launch(const std::string& web_config) {
    const std::string config = dir.Write("config.yaml", ServingConfig(api.base_url()));
    const std::string web = dir.Write("web.yml", web_config);
    auto p = std::make_unique<ExporterProcess>(
        std::vector<std::string>{"--config.file=" + config, "--web.listen-address=127.0.0.1:0", "--web.config.file=" + web},
        dir.path() + "/exporter.log", ServingTokens());
    EXPECT_TRUE(p->WaitForAddress()) << p->Log();
    return p;
  }
  std::string TlsConfig(const std::string& extra = "") const {
    return "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + extra;
  }
  static HttpOptions Trusting(const CertificateFiles& authority, const CertificateFiles& client = {}) {
    HttpOptions options;
    options.ca_file = authority.cert;
    options.cert_file = client.cert;
    options.key_file = client.key;
    options.timeout_ms = 5000;
    return options;
  }
  fake::FakeApiServer api{ServingScenario()};
  TempDir dir;
  CertificateFiles ca, server;
};

TEST_F(TlsE2ETest, ServesOverHttpsAndNothingInPlainText) {
  auto exporter = Launch(TlsConfig());
  const std::string https = "https://" + exporter->addresses().front() + "/metrics";
  std::string output;
  ASSERT_EQ(RunWithInput("curl -sS --cacert " + ca.cert + " " + https, "", &output), 0) << output;
  EXPECT_NE(output.find("email_logs_exporter_build_info"), std::string::npos);

  const HttpResult plain = HttpGet(exporter->url("/metrics"));
  EXPECT_EQ(plain.body.find("email_logs_exporter_build_info"), std::string::npos) << plain.status;
  const CertificateFiles stranger = MakeCa(dir.path(), "stranger");
  EXPECT_EQ(HttpGetWith(https, Trusting(stranger)).status, 0) << "a certificate the client does not trust";
}

TEST_F(TlsE2ETest, ClientCertificatesAreRequiredAndVerified) {
  auto exporter = Launch(TlsConfig("  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n"));
  const std::string https = "https://" + exporter->addresses().front() + "/metrics";
  EXPECT_EQ(HttpGetWith(https, Trusting(ca)).status, 0) << "no client certificate";
  const CertificateFiles client = MakeCertificate(dir.path(), "client", ca, true);
  EXPECT_EQ(HttpGetWith(https, Trusting(ca, client)).status, 200);
  const CertificateFiles other_ca = MakeCa(dir.path(), "other");
  const CertificateFiles impostor = MakeCertificate(dir.path(), "impostor", other_ca, true);
  EXPECT_EQ(HttpGetWith(https, Trusting(ca, impostor)).status, 0) << "signed by a CA the exporter does not trust";
  const CertificateFiles server_cert_as_client = MakeCertificate(dir.path(), "not-for-clients", ca, false);
  EXPECT_EQ(HttpGetWith(https, Trusting(ca, server_cert_as_client)).status, 0) << "not issued for client auth";
}

TEST_F(TlsE2ETest, RotatedCertificateIsServedWithoutRestart) {
  auto exporter = Launch(TlsConfig());
  const std::string https = "https://" + exporter->addresses().front() + "/metrics";
  ASSERT_EQ(HttpGetWith(https, Trusting(ca)).status, 200);
  const CertificateFiles next_ca = MakeCa(dir.path(), "next-ca");
  const CertificateFiles next = MakeCertificate(dir.path(), "next", next_ca, false);
  // As cert-manager or certbot do: new files renamed over the old ones.
  std::filesystem::rename(next.key, server.key);
  std::filesystem::rename(next.cert, server.cert);
  ASSERT_TRUE(WaitFor([&] { return HttpGetWith(https, Trusting(next_ca)).status == 200; }, 10s)) << exporter->Log();
  EXPECT_EQ(HttpGetWith(https, Trusting(ca)).status, 0) << "the old certificate is no longer served";
  EXPECT_NE(exporter->Log().find("TLS certificate reloaded"), std::string::npos);
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST_F(TlsE2ETest, WebConfigChangesApplyWithoutRestart) {
  auto exporter = Launch(TlsConfig() + "basic_auth_users:\n  prometheus: " + kHash + "\n");
  const std::string https = "https://" + exporter->addresses().front() + "/metrics";
  const CertificateFiles client = MakeCertificate(dir.path(), "client", ca, true);
  HttpOptions as_prometheus = Trusting(ca), as_grafana = Trusting(ca, client);
  as_prometheus.user_password = "prometheus:s3cret-pass";
  as_grafana.user_password = "grafana:s3cret-pass";
  ASSERT_EQ(HttpGetWith(https, as_prometheus).status, 200);
  EXPECT_EQ(HttpGetWith(https, as_grafana).status, 401);
  const std::string over_tls12 = "curl -sS -o /dev/null --cacert " + ca.cert + " --tls-max 1.2 -u prometheus:s3cret-pass " + https;
  std::string output;
  EXPECT_EQ(RunWithInput(over_tls12, "", &output), 0) << output;

  // Another user, TLS 1.3 only, client certificates and a header, renamed
  // over the file as a configuration manager writes it.
  const std::string web = dir.path() + "/web.yml";
  const auto replace = [&](const std::string& text) { std::filesystem::rename(dir.Write("web.next", text), web); };
  const std::string changed = "basic_auth_users:\n  grafana: " + std::string(kHash) + "\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n";
  replace(TlsConfig("  min_version: TLS13\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n") + changed);
  ASSERT_TRUE(WaitFor([&] { return HttpGetWith(https, as_grafana).status == 200; }, 10s)) << exporter->Log();
  as_prometheus.cert_file = client.cert;
  as_prometheus.key_file = client.key;
  EXPECT_EQ(HttpGetWith(https, as_prometheus).status, 401) << "a user taken out of the file";
  EXPECT_EQ(HttpGetWith(https, as_grafana).headers["x-frame-options"], "deny");
  HttpOptions without_certificate = Trusting(ca);
  without_certificate.user_password = as_grafana.user_password;
  EXPECT_EQ(HttpGetWith(https, without_certificate).status, 0) << "client certificates now required";
  EXPECT_NE(RunWithInput(over_tls12, "", &output), 0) << "TLS 1.2 once min_version is TLS13";
  EXPECT_EQ(Occurrences(exporter->Log(), "web config reloaded"), 1u);

  // A broken file, and one that would turn TLS off: refused with a line,
  // and the settings in force stay.
  // True once the file written is refused with a line while the settings
  // in force keep answering.
  const auto refused = [&](const std::string& text) {
    const std::string refusal = "web config changed but cannot be used";
    const size_t refusals = Occurrences(exporter->Log(), refusal);
    replace(text);
    return WaitFor([&] { return HttpGetWith(https, as_grafana).status == 200 && Occurrences(exporter->Log(), refusal) > refusals; }, 10s);
  };
  for (const std::string& text : {std::string("basic_auth_users: [\n"), changed}) {
    ASSERT_TRUE(refused(text)) << exporter->Log();
    EXPECT_EQ(HttpGetWith(https, as_grafana).status, 200);
  }
  EXPECT_NE(exporter->Log().find("restart the exporter"), std::string::npos);

  // A certificate named before it is deployed: refused, then served once
  // its files appear, without another change to the web config.
  ASSERT_TRUE(refused("tls_server_config:\n  cert_file: later.crt\n  key_file: later.key\n" + changed)) << exporter->Log();
  const CertificateFiles next_ca = MakeCa(dir.path(), "next-ca");
  const CertificateFiles later = MakeCertificate(dir.path(), "later", next_ca, false);
  HttpOptions trusting_next = Trusting(next_ca);
  trusting_next.user_password = as_grafana.user_password;
  ASSERT_TRUE(WaitFor([&] { return HttpGetWith(https, trusting_next).status == 200; }, 20s)) << exporter->Log();
}

TEST_F(TlsE2ETest, ScrapesOverTlsStayFastUnderHostileConnections) {
  auto exporter = Launch(TlsConfig() + "basic_auth_users:\n  prometheus: " + kHash + "\n");
  const std::string https = "https://" + exporter->addresses().front() + "/metrics";
  HttpOptions scraper = Trusting(ca);
  scraper.user_password = "prometheus:s3cret-pass";
  scraper.gzip = true;
  ASSERT_EQ(HttpGetWith(https, scraper).status, 200);
  const ProcessUsage before = Usage(exporter->pid());
  HostileClients hostile(exporter->addresses().front(), {100, 20, 20, {"127.0.0.30", "127.0.0.31", "127.0.0.32"}});
  const ScrapeStats stats = ScrapeFor(kHostileFor, [&] { return HttpGetWith(https, scraper); }, [&] { return Usage(exporter->pid()); });
  EXPECT_GT(hostile.connects(), 140);
  EXPECT_EQ(stats.failed, 0) << stats.first_failure;
  EXPECT_GE(stats.scrapes, static_cast<int>(kHostileFor.count()) * 3);
  EXPECT_LE(stats.p99_seconds, 0.25) << "p50 " << stats.p50_seconds;
  EXPECT_LE(stats.peak.fds, before.fds + 140 + 16);
  EXPECT_LE(stats.peak.threads, before.threads + 4);
  if (kCheckMemory) {
    EXPECT_LE(stats.peak.rss_kib, before.rss_kib + 32 * 1024);
  }
  std::printf("TLS scrapes %d (a new connection and handshake each), p50 %.1f ms, p99 %.1f ms; peak fds +%d, threads +%d, RSS +%ld KiB\n",
              stats.scrapes, stats.p50_seconds * 1e3, stats.p99_seconds * 1e3, stats.peak.fds - before.fds,
              stats.peak.threads - before.threads, stats.peak.rss_kib - before.rss_kib);
}

}  // namespace
}  // namespace ele::e2e
