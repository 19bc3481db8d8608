#include "exporter/server/routes.h"

#include <zlib.h>

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

Reply Unauthorized() {
  Reply reply = TextReply(401, "unauthorized\n");
  reply.headers["WWW-Authenticate"] = "Basic realm=\"email_logs_exporter\"";
  return reply;
}

}  // namespace

Reply TextReply(int status, std::string body) {
  Reply reply;
  reply.status = status;
  reply.body = std::make_shared<const std::string>(std::move(body));
  return reply;
}

Routes::Routes(std::string telemetry_path, LiveWebConfig& web, WebServerHooks hooks)
    : telemetry_path_(std::move(telemetry_path)), web_(web), hooks_(std::move(hooks)) {}

Route Routes::Handle(const Request& request) {
  std::string user, password;
  // The users in force when the request came; the task below keeps them.
  std::shared_ptr<BasicAuthChecker> auth = web_.Current()->auth;
  const bool open = request.path == "/-/healthy" || !auth->enabled();
  if (!open && !DecodeBasicAuth(request.authorization, &user, &password)) return {Unauthorized(), {}};
  if (open || auth->KnownGood(user, password)) {
    // A reload stops and starts collectors: seconds, not for the event loop.
    if (request.path == "/-/reload") return {std::nullopt, [this, request] { return Dispatch(request); }};
    return {Dispatch(request), {}};
  }
  // bcrypt takes tens of milliseconds by design: never on the event loop,
  // where it would hold up every other connection's scrape.
  return {std::nullopt, [this, request, user, password, auth = std::move(auth)] {
            return auth->Check(user, password) ? Dispatch(request) : Unauthorized();
          }};
}

Reply Routes::Dispatch(const Request& request) {
  const std::string& method = request.method;
  const std::string& path = request.path;
  if (path == "/-/healthy") return TextReply(200, "healthy\n");
  if (path == "/-/reload") return Reload(method);
  if (method != "GET" && method != "HEAD") {
    Reply reply = TextReply(405, "method not allowed\n");
    reply.headers["Allow"] = "GET, HEAD";
    return reply;
  }
  if (path == telemetry_path_) return Metrics(request);
  if (path == "/-/ready") {
    const Result<void> ready = hooks_.ready();
    return ready ? TextReply(200, "ready\n") : TextReply(503, "not ready: " + ready.error().message + "\n");
  }
  if (path == "/") {
    Reply reply = TextReply(200, hooks_.render_landing_page());
    reply.content_type = "text/html; charset=utf-8";
    return reply;
  }
  return TextReply(404, "not found\n");
}

Reply Routes::Metrics(const Request& request) {
  Reply reply;
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  reply.body = hooks_.render_metrics();
  if (reply.body->size() >= kMinGzipBytes && request.accept_encoding.find("gzip") != std::string::npos) {
    if (auto gz = Compressed(reply.body); !gz->empty()) {
      reply.body = gz;
      reply.headers["Content-Encoding"] = "gzip";
      reply.headers["Vary"] = "Accept-Encoding";
    }
  }
  return reply;
}

Reply Routes::Reload(const std::string& method) {
  if (method != "POST" && method != "PUT") {
    Reply reply = TextReply(405, "use POST to reload the configuration\n");
    reply.headers["Allow"] = "POST";
    return reply;
  }
  auto result = hooks_.reload();
  if (!result) return TextReply(500, "configuration not reloaded, the previous one keeps running: " + result.error().message + "\n");
  return TextReply(200, "configuration reloaded\n");
}

std::shared_ptr<const std::string> Routes::Compressed(const std::shared_ptr<const std::string>& text) {
  std::lock_guard lock(gzip_mutex_);
  if (gzip_source_ != text) {
    gzip_source_ = text;
    gzip_text_ = std::make_shared<const std::string>(GzipCompress(*text));
  }
  return gzip_text_;
}

}  // namespace ele
