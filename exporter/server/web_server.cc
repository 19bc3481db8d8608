#include "exporter/server/web_server.h"

#include <CivetServer.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "exporter/base/logger.h"

namespace ele {
namespace {

constexpr size_t kMinGzipBytes = 1024;

std::string GzipCompress(const std::string& input) {
  z_stream zs{};
  // Level 1: exposition text is repetitive enough that the fastest level
  // already shrinks it about tenfold, at a fraction of the default's time.
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, static_cast<uLong>(input.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

bool AcceptsGzip(mg_connection* conn) {
  const char* accept = mg_get_header(conn, "Accept-Encoding");
  return accept != nullptr && std::strstr(accept, "gzip") != nullptr;
}

}  // namespace

struct WebServer::Impl : public CivetHandler {
  WebServerOptions options;
  WebServerHooks hooks;
  BasicAuthChecker auth;
  std::unique_ptr<CivetServer> server;

  Impl(WebServerOptions o, WebServerHooks h)
      : options(std::move(o)), hooks(std::move(h)), auth(options.web.basic_auth_users) {}
  std::mutex gzip_mutex;
  std::shared_ptr<const std::string> gzip_source, gzip_text;  // under gzip_mutex

  void Send(mg_connection* conn, int status, const std::string& content_type, const std::string& body,
            const std::string& extra_headers = "") {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + mg_get_response_code_text(conn, status) +
                       "\r\nContent-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nCache-Control: no-store\r\n" + extra_headers;
    for (const auto& [name, value] : options.web.headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    mg_write(conn, head.data(), head.size());
    if (std::strcmp(mg_get_request_info(conn)->request_method, "HEAD") != 0) mg_write(conn, body.data(), body.size());
  }

  bool Authorized(mg_connection* conn) {
    if (!auth.enabled()) return true;
    const char* header = mg_get_header(conn, "Authorization");
    std::string user, password;
    return header != nullptr && DecodeBasicAuth(header, &user, &password) && auth.Check(user, password);
  }

  void ServeMetrics(mg_connection* conn) {
    const std::shared_ptr<const std::string> text = hooks.render_metrics();
    const std::string type = "text/plain; version=0.0.4; charset=utf-8";
    if (text->size() >= kMinGzipBytes && AcceptsGzip(conn)) {
      const std::shared_ptr<const std::string> gz = Compressed(text);
      if (!gz->empty()) return Send(conn, 200, type, *gz, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
    }
    Send(conn, 200, type, *text);
  }

  // The gzip of the current text, compressed once per change instead of
  // once per scrape: compressing 10,000 series costs milliseconds, far more
  // than sending them.
  std::shared_ptr<const std::string> Compressed(const std::shared_ptr<const std::string>& text) {
    std::lock_guard lock(gzip_mutex);
    if (gzip_source != text) {
      gzip_source = text;
      gzip_text = std::make_shared<const std::string>(GzipCompress(*text));
    }
    return gzip_text;
  }

  void ServeReload(mg_connection* conn, const std::string& method) {
    if (method != "POST" && method != "PUT") return Send(conn, 405, "text/plain", "use POST to reload the configuration\n", "Allow: POST\r\n");
    auto result = hooks.reload();
    if (!result) return Send(conn, 500, "text/plain", "configuration not reloaded, the previous one keeps running: " + result.error().message + "\n");
    Send(conn, 200, "text/plain", "configuration reloaded\n");
  }

  void Dispatch(mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    const std::string method = info->request_method;
    const std::string path = info->local_uri != nullptr ? info->local_uri : "/";
    if (path == "/-/healthy") return Send(conn, 200, "text/plain", "healthy\n");
    if (!Authorized(conn)) {
      return Send(conn, 401, "text/plain", "unauthorized\n", "WWW-Authenticate: Basic realm=\"email_logs_exporter\"\r\n");
    }
    if (path == "/-/reload") return ServeReload(conn, method);
    if (method != "GET" && method != "HEAD") return Send(conn, 405, "text/plain", "method not allowed\n", "Allow: GET, HEAD\r\n");
    if (path == options.telemetry_path) return ServeMetrics(conn);
    if (path == "/-/ready") {
      const Result<void> ready = hooks.ready();
      if (ready) return Send(conn, 200, "text/plain", "ready\n");
      return Send(conn, 503, "text/plain", "not ready: " + ready.error().message + "\n");
    }
    if (path == "/") return Send(conn, 200, "text/html; charset=utf-8", hooks.render_landing_page());
    Send(conn, 404, "text/plain", "not found\n");
  }

  bool Handle(mg_connection* conn) {
    try {
      Dispatch(conn);
    } catch (const std::exception& e) {
      LogError("HTTP handler failed", {{"error", e.what()}});
      Send(conn, 500, "text/plain", "internal error\n");
    }
    return true;
  }

  bool handleGet(CivetServer*, mg_connection* conn) override { return Handle(conn); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return Handle(conn); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return Handle(conn); }
  bool handlePut(CivetServer*, mg_connection* conn) override { return Handle(conn); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return Handle(conn); }
  bool handleOptions(CivetServer*, mg_connection* conn) override { return Handle(conn); }
  bool handlePatch(CivetServer*, mg_connection* conn) override { return Handle(conn); }
};

Result<std::string> ToCivetwebPorts(const std::string& listen_address) {
  if (listen_address.find('[') != std::string::npos) {
    return Fail("--web.listen-address=" + listen_address + ": IPv6 addresses are not supported by this build; use an IPv4 address or :PORT");
  }
  const size_t colon = listen_address.rfind(':');
  if (colon == std::string::npos) return Fail("--web.listen-address=" + listen_address + ": expected host:port or :port");
  const std::string host = listen_address.substr(0, colon);
  const std::string port = listen_address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return Fail("--web.listen-address=" + listen_address + ": invalid port \"" + port + "\"");
  }
  if (host.empty() || host == "0.0.0.0") return port;
  if (host == "localhost") return "127.0.0.1:" + port;
  return host + ":" + port;
}

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebServer::~WebServer() {
  if (impl_ && impl_->server) impl_->server->close();
}

Result<std::unique_ptr<WebServer>> WebServer::Start(const WebServerOptions& options, WebServerHooks hooks) {
  auto ports = ToCivetwebPorts(options.listen_address);
  if (!ports) return std::unexpected(ports.error());
  auto impl = std::make_unique<Impl>(options, std::move(hooks));
  // civetweb gives each keep-alive connection a thread of its own for as
  // long as it stays open: 32 threads serve 32 scrapers or dashboards at
  // once (a few hundred KB of RSS; stacks are reserved, not touched).
  const std::vector<std::string> civet_options = {
      "listening_ports", *ports, "num_threads", "32", "request_timeout_ms", "10000",
      "enable_keep_alive", "yes", "keep_alive_timeout_ms", "30000",
      // Headers and body go out in two writes: without TCP_NODELAY, Nagle's
      // algorithm holds the body for the client's delayed ACK, 40 ms per
      // keep-alive request (measured: p50 44 ms -> below 1 ms).
      "tcp_nodelay", "1",
  };
  try {
    impl->server = std::make_unique<CivetServer>(civet_options);
  } catch (const std::exception& e) {
    return Fail("cannot listen on " + options.listen_address + ": the address is in use or not available (" + e.what() + ")");
  }
  impl->server->addHandler("/", impl.get());
  const auto bound = impl->server->getListeningPortsFull();
  std::string host = *ports;
  host = host.find(':') == std::string::npos ? "0.0.0.0" : host.substr(0, host.rfind(':'));
  const int port = bound.empty() ? 0 : bound.front().port;
  auto server = std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
  server->bound_address_ = host + ":" + std::to_string(port);
  return server;
}

}  // namespace ele
