// The exporter's HTTP server, on libmicrohttpd: event-driven (epoll), so an
// idle, slow or hostile connection costs a file descriptor and a few KB, not
// a thread, and never delays another connection's scrape. Serves the routes
// (routes.h) on every listening socket, over TLS when the web config asks,
// with the limits of connection_guard.h. Slow work (a reload, a bcrypt check
// of new credentials) runs on a thread of its own while its connection waits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exporter/base/error.h"
#include "exporter/config/web_config.h"
#include "exporter/server/connection_guard.h"
#include "exporter/server/file_stamp.h"
#include "exporter/server/routes.h"

namespace ele {

struct WebServerOptions {
  std::vector<std::string> listen_addresses = {":9787"};
  bool systemd_socket = false;  // the sockets systemd passed, instead of listen_addresses
  std::vector<int> listening_fds;  // sockets already listening (handed over, closed at stop), instead of listen_addresses
  std::string telemetry_path = "/metrics";
  size_t max_requests = 40;  // concurrent telemetry requests; 0: no limit
  ConnectionLimits limits;
  WebConfig web;
  std::string web_config_file;  // where `web` was read, to apply its changes; empty: none
  FileStamp web_config_stamp;   // the file's before it was read
};

class WebServer {
 public:
  // Binds every address and starts serving; the error is one line for the user.
  static Result<std::unique_ptr<WebServer>> Start(const WebServerOptions& options, WebServerHooks hooks);
  ~WebServer();
  // "host:port" of each listening socket (port 0 resolved).
  std::vector<std::string> bound_addresses() const;
  std::string bound_address() const { return bound_addresses().front(); }

  struct Impl;

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ele
