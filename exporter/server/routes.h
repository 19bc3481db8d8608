// What each path answers, apart from any HTTP library: the telemetry path
// (gzip when asked), the landing page, /-/healthy, /-/ready and POST
// /-/reload, with optional basic auth on every path but /-/healthy. Work that
// may take long (a bcrypt check of new credentials, a reload) is handed back
// as a task, so the server can run it off its event loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "exporter/base/error.h"
#include "exporter/server/live_web_config.h"

namespace ele {

struct WebServerHooks {
  std::function<std::shared_ptr<const std::string>()> render_metrics;  // text format 0.0.4; same pointer until it changes
  std::function<std::string()> render_landing_page;                    // HTML
  std::function<Result<void>()> ready;                                  // the error says why not
  std::function<Result<void>()> reload;
  // Connections and requests turned away, by reason (a self-metric).
  std::function<void(const std::string& reason)> refused = [](const std::string&) {};
};

struct Request {
  std::string method, path;
  std::string authorization, accept_encoding;  // header values, empty when absent
};

struct Reply {
  int status = 200;
  std::string content_type = "text/plain";
  std::shared_ptr<const std::string> body;
  std::map<std::string, std::string> headers;
};

// Either an answer now, or a task that computes it off the event loop.
struct Route {
  std::optional<Reply> reply;
  std::function<Reply()> slow_task;
};

class Routes {
 public:
  // `web` outlives the routes.
  Routes(std::string telemetry_path, LiveWebConfig& web, WebServerHooks hooks);
  Route Handle(const Request& request);
  WebServerHooks& hooks() { return hooks_; }

 private:
  Reply Dispatch(const Request& request);
  Reply Metrics(const Request& request);
  Reply Reload(const std::string& method);
  // The gzip of the current text, compressed once per change instead of
  // once per scrape: compressing 10,000 series costs milliseconds, far more
  // than sending them.
  std::shared_ptr<const std::string> Compressed(const std::shared_ptr<const std::string>& text);

  std::string telemetry_path_;
  LiveWebConfig& web_;
  WebServerHooks hooks_;
  std::mutex gzip_mutex_;
  std::shared_ptr<const std::string> gzip_source_, gzip_text_;  // under gzip_mutex_
};

Reply TextReply(int status, std::string body);

}  // namespace ele
