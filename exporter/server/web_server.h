// The exporter's HTTP endpoints on civetweb: the telemetry path, the landing
// page, /-/healthy, /-/ready and POST /-/reload, with optional basic auth on
// every path but /-/healthy. Handlers run on civetweb's threads and only
// call the hooks; nothing throws out of a handler.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "exporter/base/error.h"
#include "exporter/config/web_config.h"

namespace ele {

struct WebServerHooks {
  std::function<std::shared_ptr<const std::string>()> render_metrics;  // text format 0.0.4; same pointer until it changes
  std::function<std::string()> render_landing_page;    // HTML
  std::function<Result<void>()> ready;  // the error says why not
  std::function<Result<void>()> reload;
};

struct WebServerOptions {
  std::string listen_address = ":9787";
  std::string telemetry_path = "/metrics";
  WebConfig web;
};

class WebServer {
 public:
  // Binds and starts serving; the error is one line for the user.
  static Result<std::unique_ptr<WebServer>> Start(const WebServerOptions& options, WebServerHooks hooks);
  ~WebServer();
  // "host:port" actually bound (port 0 resolved).
  std::string bound_address() const { return bound_address_; }

  struct Impl;

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string bound_address_;
};

// ":9787" -> "9787"; "host:port" kept; errors for IPv6 and malformed input.
Result<std::string> ToCivetwebPorts(const std::string& listen_address);

}  // namespace ele
