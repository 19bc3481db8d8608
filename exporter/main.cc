// email_logs_exporter: flags, wiring and signals. No logic lives here.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exporter/app/exporter_app.h"
#include "exporter/config/config.h"
#include "exporter/config/web_config.h"
#include "exporter/http/curl_http_client.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/base/logger.h"
#include "exporter/server/landing_page.h"
#include "exporter/server/tls_credentials.h"
#include "exporter/server/web_server.h"
#include "version.h"

namespace {

constexpr const char* kUsage = R"(usage: email_logs_exporter [flags]

Polls JetEmail inbound logs and Mailtrap email logs in the background and
serves the result for Prometheus. Scrapes answer from memory.

Flags:
  --config.file=PATH          YAML configuration (default: config.yaml)
  --config.check              validate the configuration, print the result, exit 0 or 1
  --web.listen-address=ADDR   address to listen on (default :9787; 127.0.0.1:0 picks a free port;
                              [::1]:9787 for IPv6); repeat the flag to listen on several
  --web.systemd-socket        listen on the sockets systemd passes (socket activation)
                              instead of --web.listen-address
  --web.telemetry-path=PATH   path of the metrics (default /metrics)
  --web.config.file=PATH      web configuration (exporter-toolkit format): tls_server_config,
                              basic_auth_users with bcrypt hashes, http_server_config.headers
  --web.max-requests=N        concurrent scrapes of the metrics; more get 503 (default 40, 0: no limit)
  --web.max-connections=N     open connections; more are refused at accept (default 512)
  --web.max-connections-per-address=N
                              open connections from one client address (default 64)
  --log.level=LEVEL           debug | info | warn | error (default info)
  --log.format=FORMAT         logfmt | json (default logfmt)
  --version                   print the version and exit
  --help                      print this help and exit
)";

struct Flags {
  std::string config_file = "config.yaml";
  bool config_check = false;
  std::vector<std::string> listen_addresses;  // empty: the default
  bool systemd_socket = false;
  std::string max_requests = "40", max_connections = "512", max_per_address = "64";
  std::string telemetry_path = "/metrics";
  std::string web_config_file;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  bool version = false;
  bool help = false;
};

ele::Result<void> ValidateFlags(const Flags& flags);

// Accepts --name=value and --name value, as Prometheus tools do.
ele::Result<Flags> ParseFlags(int argc, char** argv) {
  using ele::Fail;
  Flags flags;
  const std::map<std::string, std::string*> values = {
      {"--config.file", &flags.config_file},
      {"--web.telemetry-path", &flags.telemetry_path}, {"--web.config.file", &flags.web_config_file},
      {"--web.max-requests", &flags.max_requests},    {"--web.max-connections", &flags.max_connections},
      {"--web.max-connections-per-address", &flags.max_per_address},
      {"--log.level", &flags.log_level},           {"--log.format", &flags.log_format},
  };
  const std::map<std::string, bool*> switches = {{"--config.check", &flags.config_check},
                                                 {"--web.systemd-socket", &flags.systemd_socket},
                                                 {"--version", &flags.version},
                                                 {"--help", &flags.help},
                                                 {"-h", &flags.help}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    const size_t eq = arg.find('=');
    const bool has_value = eq != std::string::npos;
    if (has_value) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (auto it = switches.find(arg); it != switches.end()) {
      if (has_value) return Fail("flag " + arg + " takes no value");
      *it->second = true;
      continue;
    }
    const bool repeatable = arg == "--web.listen-address";
    auto it = values.find(arg);
    if (it == values.end() && !repeatable) return Fail("unknown flag " + arg + " (see --help)");
    if (!has_value) {
      if (i + 1 >= argc) return Fail("flag " + arg + " needs a value");
      value = argv[++i];
    }
    if (repeatable) {
      flags.listen_addresses.push_back(value);
    } else {
      *it->second = value;
    }
  }
  if (flags.listen_addresses.empty()) flags.listen_addresses.push_back(":9787");
  if (auto valid = ValidateFlags(flags); !valid) return std::unexpected(valid.error());
  return flags;
}

ele::Result<void> ValidateFlags(const Flags& flags) {
  using ele::Fail;
  if (flags.telemetry_path.empty() || flags.telemetry_path.front() != '/') return Fail("--web.telemetry-path must start with /");
  for (const auto& [name, text] : {std::pair{"--web.max-requests", &flags.max_requests}, {"--web.max-connections", &flags.max_connections},
                                   {"--web.max-connections-per-address", &flags.max_per_address}}) {
    if (text->empty() || text->size() > 9 || text->find_first_not_of("0123456789") != std::string::npos) {
      return Fail(std::string("flag ") + name + " needs a whole number, not \"" + *text + "\"");
    }
  }
  if (std::stoul(flags.max_connections) == 0 || std::stoul(flags.max_per_address) == 0) {
    return Fail("--web.max-connections and --web.max-connections-per-address must be at least 1");
  }
  return {};
}

ele::WebServerOptions ServerOptions(const Flags& flags, const ele::WebConfig& web, ele::FileStamp web_stamp) {
  ele::WebServerOptions options;
  options.listen_addresses = flags.listen_addresses;
  options.systemd_socket = flags.systemd_socket;
  options.telemetry_path = flags.telemetry_path;
  options.max_requests = std::stoul(flags.max_requests);
  options.limits.max_connections = std::stoul(flags.max_connections);
  options.limits.max_per_address = std::stoul(flags.max_per_address);
  options.web = web;
  options.web_config_file = flags.web_config_file;
  options.web_config_stamp = web_stamp;
  return options;
}

// The one line on stderr, and the exit code of a refused start.
int ExitWithError(const ele::Error& error) {
  std::fprintf(stderr, "email_logs_exporter: %s\n", error.message.c_str());
  return 1;
}

int CheckConfig(const Flags& flags) {
  auto config = ele::LoadConfigFile(flags.config_file);
  if (!config) return ExitWithError(config.error());
  std::printf("%s: configuration is valid: %zu JetEmail and %zu Mailtrap account(s)\n", flags.config_file.c_str(),
              config->jetemail.size(), config->mailtrap.size());
  if (!flags.web_config_file.empty()) {
    auto web = ele::LoadWebConfigFile(flags.web_config_file);
    if (!web) return ExitWithError(web.error());
    if (web->tls) {
      if (auto tls = ele::TlsCredentials::Load(*web->tls); !tls) return ExitWithError(tls.error());
    }
    std::printf("%s: web configuration is valid\n", flags.web_config_file.c_str());
  }
  return 0;
}

// Signals are taken synchronously by the main thread (sigwait), so no
// handler runs in an arbitrary thread's context.
sigset_t BlockedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

int Serve(const Flags& flags) {
  ele::WebConfig web;
  // Before the read: a change made while it runs is then seen and applied.
  const ele::FileStamp web_stamp = ele::StampOf(flags.web_config_file);
  if (!flags.web_config_file.empty()) {
    auto loaded = ele::LoadWebConfigFile(flags.web_config_file);
    if (!loaded) return ExitWithError(loaded.error());
    web = *loaded;
  }
  const sigset_t signals = BlockedSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread started below
  std::signal(SIGPIPE, SIG_IGN);

  ele::InitCurlGlobally();
  ele::SystemClock clock;
  ele::ExporterApp app(flags.config_file, clock, [] { return std::make_unique<ele::CurlHttpClient>(); });

  ele::WebServerHooks hooks;
  hooks.render_metrics = [&app] { return app.hub().Render(); };
  hooks.render_landing_page = [&app] { return app.RenderLandingPage(); };
  hooks.ready = [&app] { return app.Ready(); };
  hooks.reload = [&app] { return app.Reload(); };
  hooks.refused = [&app](const std::string& reason) { app.hub().IncGlobal(ele::metrics::kHttpRefusedTotal, {reason}); };
  for (const char* reason : {ele::kRefusedMaxConnections, ele::kRefusedPerAddress, ele::kRefusedTimeout, ele::kRefusedMaxRequests}) {
    app.hub().IncGlobal(ele::metrics::kHttpRefusedTotal, {reason}, 0);
  }
  auto server = ele::WebServer::Start(ServerOptions(flags, web, web_stamp), hooks);
  if (!server) return ExitWithError(server.error());
  std::string addresses;
  for (const std::string& address : (*server)->bound_addresses()) addresses += (addresses.empty() ? "" : ",") + address;

  if (auto started = app.Start(); !started) return ExitWithError(started.error());
  ele::LogInfo("email_logs_exporter started", {{"version", ele::kVersion}, {"revision", ele::kRevision},
                                                {"address", addresses}, {"telemetry_path", flags.telemetry_path},
                                                {"tls", web.tls ? "on" : "off"}, {"basic_auth", web.auth_enabled() ? "on" : "off"}});
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      (void)app.Reload();
      continue;
    }
    ele::LogInfo("shutting down", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
    break;
  }
  server->reset();
  app.Stop();
  ele::LogInfo("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const ele::Result<Flags> parsed = ParseFlags(argc, argv);
  if (!parsed) return ExitWithError(parsed.error());
  const Flags& flags = *parsed;
  if (flags.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (flags.version) {
    std::printf("email_logs_exporter %s (revision %s)\n", ele::kVersion, ele::kRevision);
    return 0;
  }
  const auto level = ele::ParseLogLevel(flags.log_level);
  if (!level) return ExitWithError(level.error());
  const auto format = ele::ParseLogFormat(flags.log_format);
  if (!format) return ExitWithError(format.error());
  ele::ConfigureLogging(*level, *format);
  if (flags.config_check) return CheckConfig(flags);
  return Serve(flags);
}
