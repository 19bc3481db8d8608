// email_logs_exporter: flags, wiring and signals. No logic lives here.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "exporter/app/exporter_app.h"
#include "exporter/config/config.h"
#include "exporter/config/web_config.h"
#include "exporter/http/curl_http_client.h"
#include "exporter/base/logger.h"
#include "exporter/server/landing_page.h"
#include "exporter/server/web_server.h"
#include "version.h"

namespace {

constexpr const char* kUsage = R"(usage: email_logs_exporter [flags]

Polls JetEmail inbound logs and Mailtrap email logs in the background and
serves the result for Prometheus. Scrapes answer from memory.

Flags:
  --config.file=PATH          YAML configuration (default: config.yaml)
  --config.check              validate the configuration, print the result, exit 0 or 1
  --web.listen-address=ADDR   address to listen on (default :9787; 127.0.0.1:0 picks a free port)
  --web.telemetry-path=PATH   path of the metrics (default /metrics)
  --web.config.file=PATH      web configuration: basic_auth_users with bcrypt hashes
  --log.level=LEVEL           debug | info | warn | error (default info)
  --log.format=FORMAT         logfmt | json (default logfmt)
  --version                   print the version and exit
  --help                      print this help and exit
)";

struct Flags {
  std::string config_file = "config.yaml";
  bool config_check = false;
  std::string listen_address = ":9787";
  std::string telemetry_path = "/metrics";
  std::string web_config_file;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  bool version = false;
  bool help = false;
};

// Accepts --name=value and --name value, as Prometheus tools do.
ele::Result<Flags> ParseFlags(int argc, char** argv) {
  using ele::Fail;
  Flags flags;
  const std::map<std::string, std::string*> values = {
      {"--config.file", &flags.config_file},       {"--web.listen-address", &flags.listen_address},
      {"--web.telemetry-path", &flags.telemetry_path}, {"--web.config.file", &flags.web_config_file},
      {"--log.level", &flags.log_level},           {"--log.format", &flags.log_format},
  };
  const std::map<std::string, bool*> switches = {
      {"--config.check", &flags.config_check}, {"--version", &flags.version}, {"--help", &flags.help}, {"-h", &flags.help}};
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
    auto it = values.find(arg);
    if (it == values.end()) return Fail("unknown flag " + arg + " (see --help)");
    if (!has_value) {
      if (i + 1 >= argc) return Fail("flag " + arg + " needs a value");
      value = argv[++i];
    }
    *it->second = value;
  }
  if (flags.telemetry_path.empty() || flags.telemetry_path.front() != '/') return Fail("--web.telemetry-path must start with /");
  return flags;
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
  auto server = ele::WebServer::Start({flags.listen_address, flags.telemetry_path, web}, hooks);
  if (!server) return ExitWithError(server.error());

  if (auto started = app.Start(); !started) return ExitWithError(started.error());
  ele::LogInfo("email_logs_exporter started", {{"version", ele::kVersion}, {"revision", ele::kRevision},
                                                {"address", (*server)->bound_address()}, {"telemetry_path", flags.telemetry_path},
                                                {"basic_auth", web.auth_enabled() ? "on" : "off"}});
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
