// The web server in-process on loopback: what the routes answer through it,
// --web.max-requests, request bodies, slow work (a reload) kept off the
// event loop and bounded, a stop while it runs, and a socket handed over
// (as systemd does) left listening after a stop.
#include "exporter/server/web_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <future>
#include <thread>

namespace ele {
namespace {

using namespace std::chrono_literals;

size_t Count(char*, size_t size, size_t n, void* bytes) {
  *static_cast<std::atomic<size_t>*>(bytes) += size * n;
  return size * n;
}

// Status code, 0 when the request failed.
long Get(const std::string& url, const char* method = "GET", std::atomic<size_t>* bytes = nullptr, long max_recv_speed = 0,
         const char* body = nullptr) {
  std::atomic<size_t> ignored = 0;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 20000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Count);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, bytes != nullptr ? bytes : &ignored);
  if (body != nullptr) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  if (max_recv_speed > 0) curl_easy_setopt(curl, CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(max_recv_speed));
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  return status;
}

// A server whose render and reload can be held until the test lets them go.
struct Served {
  std::atomic<std::shared_ptr<const std::string>> text{std::make_shared<const std::string>("up 1\n")};
  std::atomic<bool> hold_render{false};
  std::atomic<int> renders_entered{0}, reloads_entered{0}, refused_max_requests{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::unique_ptr<WebServer> server;

  explicit Served(size_t max_requests, std::vector<int> listening_fds = {}) {
    WebServerOptions options;
    options.listen_addresses = {"127.0.0.1:0"};
    options.listening_fds = std::move(listening_fds);
    options.max_requests = max_requests;
    WebServerHooks hooks;
    hooks.render_metrics = [this] {
      ++renders_entered;
      if (hold_render) released.wait();
      return text.load();
    };
    hooks.render_landing_page = [] { return std::string("<html></html>"); };
    hooks.ready = []() -> Result<void> { return {}; };
    hooks.reload = [this]() -> Result<void> {
      ++reloads_entered;
      released.wait();
      return {};
    };
    hooks.refused = [this](const std::string& reason) { refused_max_requests += reason == kRefusedMaxRequests ? 1 : 0; };
    auto started = WebServer::Start(options, hooks);
    if (!started) ADD_FAILURE() << started.error().message;
    if (started) server = std::move(*started);
  }
  std::string url(const std::string& path) const { return "http://" + server->bound_address() + path; }
};

void WaitUntil(const std::function<bool()>& condition) {
  for (int i = 0; i < 1000 && !condition(); ++i) std::this_thread::sleep_for(5ms);
}

TEST(WebServerTest, AnswersTheRoutes) {
  Served served(40);
  ASSERT_TRUE(served.server);
  EXPECT_EQ(Get(served.url("/metrics")), 200);
  EXPECT_EQ(Get(served.url("/-/healthy")), 200);
  EXPECT_EQ(Get(served.url("/nope")), 404);
  EXPECT_EQ(Get(served.url("/metrics"), "POST"), 405);
  EXPECT_EQ(Get(served.url("/-/reload"), "GET"), 405);
  EXPECT_EQ(Get(served.url("/-/reload"), "POST", nullptr, 0, "a body"), 413) << "bodies are refused before they are read";
}

TEST(WebServerTest, ScrapesRenderedPastMaxRequestsGet503) {
  Served served(1);
  ASSERT_TRUE(served.server);
  served.hold_render = true;
  auto first = std::async(std::launch::async, [&] { return Get(served.url("/metrics")); });
  WaitUntil([&] { return served.renders_entered.load() == 1; });
  EXPECT_EQ(Get(served.url("/metrics")), 503) << "the one slot is rendering";
  EXPECT_EQ(served.refused_max_requests.load(), 1);
  EXPECT_EQ(Get(served.url("/-/healthy")), 200) << "only the telemetry path is limited";
  served.release.set_value();
  EXPECT_EQ(first.get(), 200);
  // A client slow to read its answer holds no slot: the answer is a shared
  // buffer once rendered.
  served.hold_render = false;
  served.text = std::make_shared<const std::string>(24 << 20, 'x');
  std::atomic<size_t> slow_bytes = 0;
  auto slow = std::async(std::launch::async, [&] { return Get(served.url("/metrics"), "GET", &slow_bytes, 8 << 20); });
  WaitUntil([&] { return slow_bytes.load() > 0; });
  served.text = std::make_shared<const std::string>("up 1\n");
  EXPECT_EQ(Get(served.url("/metrics")), 200);
  EXPECT_EQ(slow.get(), 200);
  EXPECT_EQ(slow_bytes.load(), size_t{24} << 20);
}

TEST(WebServerTest, ReloadsRunOffTheEventLoopInABoundedQueue) {
  Served served(40);
  ASSERT_TRUE(served.server);
  std::vector<std::future<long>> reloads;
  for (int i = 0; i < 20; ++i) reloads.push_back(std::async(std::launch::async, [&] { return Get(served.url("/-/reload"), "POST"); }));
  // Two run and eight wait in the queue; the others are told at once. Up to
  // two more are told when requests filled the queue before the threads took
  // their first tasks (the pool's threads and the server's race for that):
  // never fewer than ten, never more than twelve.
  const auto answered = [&] {
    return std::count_if(reloads.begin(), reloads.end(), [](auto& r) { return r.wait_for(0s) == std::future_status::ready; });
  };
  WaitUntil([&] { return answered() >= 10 && served.reloads_entered.load() == 2; });
  std::this_thread::sleep_for(100ms);  // time for a wrongly answered request to show
  EXPECT_GE(answered(), 10);
  EXPECT_LE(answered(), 12);
  EXPECT_EQ(served.reloads_entered.load(), 2) << "two threads of slow work";
  const auto answered_at_once = static_cast<int>(answered());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(served.url("/metrics")), 200) << "scrapes are answered meanwhile";
  served.release.set_value();
  std::map<long, int> statuses;
  for (auto& reload : reloads) ++statuses[reload.get()];
  EXPECT_EQ(statuses[503], answered_at_once) << "busy";
  EXPECT_EQ(statuses[200], 20 - answered_at_once);
}

TEST(WebServerTest, StoppingWhileAReloadRunsWaitsForIt) {
  auto served = std::make_unique<Served>(40);
  ASSERT_TRUE(served->server);
  auto reload = std::async(std::launch::async, [&, url = served->url("/-/reload")] { return Get(url, "POST"); });
  WaitUntil([&] { return served->reloads_entered.load() == 1; });
  auto release = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(200ms);
    served->release.set_value();
  });
  served->server.reset();  // waits for the reload, then stops
  release.get();
  EXPECT_EQ(reload.get(), 200);
}

TEST(WebServerTest, AHandedOverSocketStillListensAfterAStop) {
  const int listening = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listening, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listening, 16), 0);
  ASSERT_EQ(::getsockname(listening, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/metrics";
  {
    Served first(40, {::dup(listening)});  // as systemd keeps its own copy
    ASSERT_TRUE(first.server);
    EXPECT_EQ(Get(url), 200);
  }
  Served second(40, {::dup(listening)});  // a restart on the same socket
  ASSERT_TRUE(second.server);
  EXPECT_EQ(Get(url), 200);
  ::close(listening);
}

}  // namespace
}  // namespace ele
