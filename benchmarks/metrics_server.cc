// The exporter's web server (libmicrohttpd, the same handlers and options as the
// binary) serving a /metrics of N series, for a load generator:
//   metrics_server SERIES   -> prints "listening on 127.0.0.1:PORT ...", serves until SIGTERM or SIGINT
// A fresh publish every second makes the text be rendered again now and
// then, as collection cycles do in production.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <atomic>

#include "benchmarks/fixtures.h"
#include "exporter/metrics/metrics_hub.h"
#include "exporter/server/web_server.h"

int main(int argc, char** argv) {
  const int series = argc > 1 ? std::atoi(argv[1]) : 10'000;
  // Blocked before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ele::metrics::MetricsHub hub;
  const int lines = ele::bench::FillSeries(hub, series);
  ele::WebServerOptions options;
  options.listen_addresses = {"127.0.0.1:0"};
  ele::WebServerHooks hooks;
  hooks.render_metrics = [&hub] { return hub.Render(); };
  hooks.render_landing_page = [] { return std::string("<html></html>"); };
  hooks.ready = []() -> ele::Result<void> { return {}; };
  hooks.reload = []() -> ele::Result<void> { return {}; };
  auto server = ele::WebServer::Start(options, hooks);
  if (!server) {
    std::fprintf(stderr, "%s\n", server.error().message.c_str());
    return 1;
  }
  std::printf("listening on %s with %d series\n", (*server)->bound_address().c_str(), lines);
  std::fflush(stdout);
  std::atomic<bool> done = false;
  std::thread publisher([&] {
    for (int i = 0; !done; ++i) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      hub.SetGlobal(ele::metrics::kConfigLastReloadSuccessTimestamp, {}, i);
    }
  });
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  done = true;
  publisher.join();
  return 0;
}
