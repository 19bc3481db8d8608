// The web server in-process on loopback: what the routes answer through it,
// --web.max-requests, and slow work (a reload) kept off the event loop.
#include "exporter/server/web_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace ele {
namespace {

using namespace std::chrono_literals;

size_t Discard(char*, size_t size, size_t n, void* bytes) {
  *static_cast<size_t*>(bytes) += size * n;
  return size * n;
}

// Status code, 0 when the request failed.
long Get(const std::string& url, const char* method = "GET", size_t* bytes = nullptr, long max_recv_speed = 0) {
  size_t ignored = 0;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 20000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, bytes != nullptr ? bytes : &ignored);
  if (max_recv_speed > 0) curl_easy_setopt(curl, CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(max_recv_speed));
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  return status;
}

struct Served {
  std::atomic<std::shared_ptr<const std::string>> text{std::make_shared<const std::string>("up 1\n")};
  std::promise<void> reload_entered, reload_may_finish;
  std::shared_future<void> may_finish = reload_may_finish.get_future().share();
  std::atomic<int> refused_max_requests{0};
  std::unique_ptr<WebServer> server;

  explicit Served(size_t max_requests) {
    WebServerOptions options;
    options.listen_addresses = {"127.0.0.1:0"};
    options.max_requests = max_requests;
    WebServerHooks hooks;
    hooks.render_metrics = [this] { return text.load(); };
    hooks.render_landing_page = [] { return std::string("<html></html>"); };
    hooks.ready = []() -> Result<void> { return {}; };
    hooks.reload = [this]() -> Result<void> {
      reload_entered.set_value();
      may_finish.wait();
      return {};
    };
    hooks.refused = [this](const std::string& reason) { refused_max_requests += reason == kRefusedMaxRequests ? 1 : 0; };
    auto started = WebServer::Start(options, hooks);
    EXPECT_TRUE(started.has_value()) << started.error().message;
    server = std::move(*started);
  }
  std::string url(const std::string& path) const { return "http://" + server->bound_address() + path; }
};

TEST(WebServerTest, AnswersTheRoutes) {
  Served served(40);
  EXPECT_EQ(Get(served.url("/metrics")), 200);
  EXPECT_EQ(Get(served.url("/-/healthy")), 200);
  EXPECT_EQ(Get(served.url("/nope")), 404);
  EXPECT_EQ(Get(served.url("/metrics"), "POST"), 405);
  EXPECT_EQ(Get(served.url("/-/reload"), "GET"), 405);
}

TEST(WebServerTest, ScrapesPastMaxRequestsGet503) {
  Served served(1);
  // 24 MB read at 8 MB/s: the first scrape stays in flight for seconds.
  served.text = std::make_shared<const std::string>(24 << 20, 'x');
  size_t slow_bytes = 0;
  auto slow = std::async(std::launch::async, [&] { return Get(served.url("/metrics"), "GET", &slow_bytes, 8 << 20); });
  while (slow_bytes == 0) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(Get(served.url("/metrics")), 503);
  EXPECT_EQ(served.refused_max_requests.load(), 1);
  EXPECT_EQ(Get(served.url("/-/healthy")), 200) << "only the telemetry path is limited";
  served.text = std::make_shared<const std::string>("up 1\n");
  EXPECT_EQ(slow.get(), 200);
  EXPECT_EQ(slow_bytes, size_t{24} << 20);
  EXPECT_EQ(Get(served.url("/metrics")), 200) << "the slot is free again";
}

TEST(WebServerTest, AReloadDoesNotHoldUpScrapes) {
  Served served(40);
  auto reload = std::async(std::launch::async, [&] { return Get(served.url("/-/reload"), "POST"); });
  served.reload_entered.get_future().wait();
  // The reload is still running: scrapes on any connection are answered.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(served.url("/metrics")), 200);
  served.reload_may_finish.set_value();
  EXPECT_EQ(reload.get(), 200);
}

}  // namespace
}  // namespace ele
