#include "exporter/server/web_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "exporter/base/logger.h"
#include "exporter/server/listen_socket.h"
#include "exporter/server/slow_work.h"
#include "exporter/server/live_web_config.h"

namespace ele {
namespace {

constexpr unsigned kThreadsPerListener = 2;
// Slow work: two threads (one reload does not hold up a new scraper's
// credential check), and a short queue.
constexpr size_t kSlowThreads = 2;
constexpr size_t kSlowQueue = 8;
// Enough for any scraper's request headers (Prometheus sends about 300 bytes);
// larger headers get 431. Bounds the memory a connection may take.
constexpr size_t kConnectionMemory = 16 * 1024;
// A connection with no progress at all is dropped after this long (a client
// that stops reading its answer); no shorter than the keep-alive deadline.
constexpr unsigned kInactivitySeconds = 120;
constexpr auto kSweepEvery = std::chrono::milliseconds(250);
constexpr auto kDrainFor = std::chrono::seconds(2);

struct PendingRequest {
  std::optional<Reply> reply;  // from a slow task; under Impl::reply_mutex
};

// True when the request announces a body: no route takes one, so it is
// refused before a byte of it is read (a body trickled slowly would hold the
// connection).
bool HasBody(MHD_Connection* connection) {
  const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  const char* encoding = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  return encoding != nullptr || (length != nullptr && std::string_view(length) != "0");
}

std::string Header(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return value != nullptr ? value : "";
}

void FreeBody(void* holder) { delete static_cast<std::shared_ptr<const std::string>*>(holder); }

// What a TLS connection's callbacks (which get only its session) need: the
// web settings it started under, so its handshake is configured, given a
// certificate and verified by one reading of the config even when the file
// changes meanwhile.
struct TlsConnection {
  std::shared_ptr<const WebSettings> settings;
};

}  // namespace

struct WebServer::Impl {
  WebServerOptions options;
  std::unique_ptr<LiveWebConfig> web;
  Routes routes;
  ConnectionGuard guard;
  std::vector<MHD_Daemon*> daemons;
  std::vector<std::string> addresses;
  std::atomic<size_t> renders_in_flight{0};
  std::mutex reply_mutex;
  SlowWork slow{kSlowThreads, kSlowQueue};
  std::mutex log_mutex;
  std::string last_library_message;  // under log_mutex: for a start that fails

  std::mutex sweep_mutex;
  std::condition_variable sweep_wake;
  bool stopping = false;  // under sweep_mutex
  std::thread sweeper;

  Impl(WebServerOptions o, std::unique_ptr<LiveWebConfig> w, WebServerHooks hooks)
      : options(std::move(o)), web(std::move(w)), routes(options.telemetry_path, *web, std::move(hooks)), guard(options.limits) {}
  ~Impl();

  void Refused(const std::string& reason) {
    guard.CountRefusal(reason);
    routes.hooks().refused(reason);
  }
  Result<void> Listen(ListenSocket socket);
  MHD_Result Serve(MHD_Connection* connection, PendingRequest* pending, const char* url, const char* method);
  MHD_Result Queue(MHD_Connection* connection, const Reply& reply);
  MHD_Result RunSlow(MHD_Connection* connection, PendingRequest* pending, std::function<Reply()> work);
  Route Routed(const Request& request);
  void SweepUntilStopped();

  static const WebSettings& SettingsOf(gnutls_session_t session) {
    auto* connection = static_cast<MHD_Connection*>(gnutls_session_get_ptr(session));
    return *static_cast<TlsConnection*>(MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT)->socket_context)
                ->settings;
  }
  static MHD_Result AcceptPolicy(void* cls, const sockaddr* addr, socklen_t);
  static void Notify(void* cls, MHD_Connection* connection, void** socket_context, MHD_ConnectionNotificationCode code);
  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                           const char*, size_t* upload_size, void** request_context);
  static void Completed(void* cls, MHD_Connection* connection, void** request_context, MHD_RequestTerminationCode);
  static int RetrieveCertificate(gnutls_session_t session, const gnutls_datum_t*, int, const gnutls_pk_algorithm_t*, int,
                                 gnutls_pcert_st** certs, unsigned int* count, gnutls_privkey_t* key) {
    return SettingsOf(session).tls->Retrieve(certs, count, key);
  }
  static int VerifyClient(gnutls_session_t session) { return SettingsOf(session).tls->VerifyPeer(session); }
  static void LogLibraryMessage(void* cls, const char* format, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof line, format, args);
    std::string text = line;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    LogDebug("web server", {{"detail", text}});
    auto* impl = static_cast<Impl*>(cls);
    std::lock_guard lock(impl->log_mutex);
    impl->last_library_message = text;
  }
};

MHD_Result WebServer::Impl::AcceptPolicy(void* cls, const sockaddr* addr, socklen_t) {
  auto* impl = static_cast<Impl*>(cls);
  const char* refused = impl->guard.Admit(AddressKey(addr));
  if (refused == nullptr) return MHD_YES;
  impl->Refused(refused);
  return MHD_NO;
}

void WebServer::Impl::Notify(void* cls, MHD_Connection* connection, void** socket_context, MHD_ConnectionNotificationCode code) {
  auto* impl = static_cast<Impl*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    delete static_cast<TlsConnection*>(*socket_context);
    *socket_context = nullptr;
    return impl->guard.Closed(connection);
  }
  const int fd = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD)->connect_fd;
  const sockaddr* addr = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS)->client_addr;
  impl->guard.Opened(connection, fd, AddressKey(addr), std::chrono::steady_clock::now());
  if (impl->web->serves_tls()) {
    auto* tls = new TlsConnection{impl->web->Current()};
    *socket_context = tls;
    auto* session = static_cast<gnutls_session_t>(MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION)->tls_session);
    tls->settings->tls->ConfigureSession(session, &VerifyClient);
  }
}

MHD_Result WebServer::Impl::Access(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                                   const char*, size_t* upload_size, void** request_context) {
  auto* impl = static_cast<Impl*>(cls);
  if (*request_context == nullptr) {  // headers are in: the request has begun
    auto* pending = new PendingRequest;
    *request_context = pending;
    impl->guard.RequestStarted(connection, std::chrono::steady_clock::now());
    if (HasBody(connection)) return impl->Queue(connection, TextReply(413, "request bodies are not accepted\n"));
    return MHD_YES;
  }
  if (*upload_size != 0) {  // not reached: a body is refused above
    *upload_size = 0;
    return MHD_YES;
  }
  return impl->Serve(connection, static_cast<PendingRequest*>(*request_context), url, method);
}

void WebServer::Impl::Completed(void* cls, MHD_Connection* connection, void** request_context, MHD_RequestTerminationCode) {
  auto* impl = static_cast<Impl*>(cls);
  auto* pending = static_cast<PendingRequest*>(*request_context);
  if (pending == nullptr) return;
  delete pending;
  *request_context = nullptr;
  impl->guard.RequestFinished(connection, std::chrono::steady_clock::now());
}

MHD_Result WebServer::Impl::Serve(MHD_Connection* connection, PendingRequest* pending, const char* url, const char* method) {
  {
    std::lock_guard lock(reply_mutex);
    if (pending->reply) return Queue(connection, *pending->reply);
  }
  Request request{method, url, Header(connection, MHD_HTTP_HEADER_AUTHORIZATION), Header(connection, MHD_HTTP_HEADER_ACCEPT_ENCODING)};
  try {
    Route route = Routed(request);
    if (route.reply) return Queue(connection, *route.reply);
    return RunSlow(connection, pending, std::move(route.slow_task));
  } catch (const std::exception& e) {
    LogError("HTTP handler failed", {{"error", e.what()}});
    return Queue(connection, TextReply(500, "internal error\n"));
  }
}

// --web.max-requests bounds the scrapes being rendered at once, as
// node_exporter's bounds its handlers: the answer is a shared buffer once
// rendered, so a client slow to read it holds no slot.
Route WebServer::Impl::Routed(const Request& request) {
  const bool telemetry = request.path == options.telemetry_path;
  if (!telemetry || options.max_requests == 0) return routes.Handle(request);
  if (++renders_in_flight > options.max_requests) {
    --renders_in_flight;
    Refused(kRefusedMaxRequests);
    return {TextReply(503, "too many concurrent scrapes (--web.max-requests)\n"), {}};
  }
  try {
    Route route = routes.Handle(request);
    --renders_in_flight;
    return route;
  } catch (...) {
    --renders_in_flight;
    throw;
  }
}

MHD_Result WebServer::Impl::Queue(MHD_Connection* connection, const Reply& reply) {
  auto* holder = new std::shared_ptr<const std::string>(reply.body);
  MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
      reply.body->size(), const_cast<char*>(reply.body->data()), &FreeBody, holder);
  if (response == nullptr) {
    delete holder;
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  for (const auto& [name, value] : reply.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
  const auto settings = web->Current();  // http_server_config.headers in force
  for (const auto& [name, value] : settings->headers) MHD_add_response_header(response, name.c_str(), value.c_str());
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(reply.status), response);
  MHD_destroy_response(response);
  return queued;
}

// The connection waits, suspended, while the work runs on the slow pool;
// its result is queued when the connection resumes.
MHD_Result WebServer::Impl::RunSlow(MHD_Connection* connection, PendingRequest* pending, std::function<Reply()> work) {
  auto task = [this, connection, pending, work = std::move(work)] {
    Reply reply;
    try {
      reply = work();
    } catch (const std::exception& e) {
      LogError("HTTP handler failed", {{"error", e.what()}});
      reply = TextReply(500, "internal error\n");
    }
    {
      std::lock_guard lock(reply_mutex);
      pending->reply = std::move(reply);
    }
    MHD_resume_connection(connection);
  };
  if (slow.Submit(std::move(task), [connection] { MHD_suspend_connection(connection); })) return MHD_YES;
  return Queue(connection, TextReply(503, "busy: too many reloads or new credentials being checked; try again\n"));
}

void WebServer::Impl::SweepUntilStopped() {
  std::unique_lock lock(sweep_mutex);
  while (!sweep_wake.wait_for(lock, kSweepEvery, [this] { return stopping; })) {
    const auto now = std::chrono::steady_clock::now();
    for (size_t n = guard.ShutDownOverdue(now); n > 0; --n) Refused(kRefusedTimeout);
    if (auto refusals = guard.TakeRefusalsToLog(now); !refusals.empty()) {
      LogWarn("web server turned connections away since the last such line (limits: --web.max-connections, "
              "--web.max-connections-per-address, --web.max-requests; see email_logs_exporter_http_refused_total)",
              {{kRefusedMaxConnections, refusals[kRefusedMaxConnections]}, {kRefusedPerAddress, refusals[kRefusedPerAddress]},
               {kRefusedTimeout, refusals[kRefusedTimeout]}, {kRefusedMaxRequests, refusals[kRefusedMaxRequests]},
               {"open_connections", guard.open()}});
    }
  }
}

Result<void> WebServer::Impl::Listen(ListenSocket socket) {
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  const bool tls = web->serves_tls();
  if (tls) flags |= MHD_USE_TLS;
  // The versions the config allows are set per connection (they may change).
  MHD_OptionItem tls_options[] = {
      {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, reinterpret_cast<void*>(&RetrieveCertificate)},
      {MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>("NORMAL")},
      {MHD_OPTION_END, 0, nullptr}};
  const std::string address = socket.address();
  // Handed over before the start: MHD closes it on some of its failures and
  // not on others, and a second close could hit a reused descriptor (the
  // process exits on this error anyway).
  const int fd = socket.Release();
  MHD_Daemon* daemon = MHD_start_daemon(
      flags, 0, &AcceptPolicy, this, &Access, this, MHD_OPTION_EXTERNAL_LOGGER, &LogLibraryMessage, this,
      MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, kThreadsPerListener, MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(options.limits.max_connections + 16), MHD_OPTION_CONNECTION_TIMEOUT, kInactivitySeconds,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemory, MHD_OPTION_NOTIFY_CONNECTION, &Notify, this,
      MHD_OPTION_NOTIFY_COMPLETED, &Completed, this, MHD_OPTION_ARRAY, tls ? tls_options : tls_options + 2, MHD_OPTION_END);
  if (daemon == nullptr) {
    std::lock_guard lock(log_mutex);
    return Fail("cannot serve on " + address + ": " + (last_library_message.empty() ? "the HTTP server did not start" : last_library_message));
  }
  addresses.push_back(address);
  daemons.push_back(daemon);
  return {};
}

WebServer::Impl::~Impl() {
  if (sweeper.joinable()) {
    {
      std::lock_guard lock(sweep_mutex);
      stopping = true;
    }
    sweep_wake.notify_all();
    sweeper.join();
  }
  // No new connections. Quiesced, not just stopped: stopping shuts the
  // listening socket down, and a socket systemd passed is systemd's to
  // keep listening on.
  std::vector<MHD_socket> listening;
  for (MHD_Daemon* daemon : daemons) listening.push_back(MHD_quiesce_daemon(daemon));
  slow.Stop();  // queued work runs, and its connections resume
  // Answers under way (a reload's, say) go out before the connections close.
  const auto deadline = std::chrono::steady_clock::now() + kDrainFor;
  while (guard.in_request() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (MHD_Daemon* daemon : daemons) MHD_stop_daemon(daemon);
  for (MHD_socket fd : listening) {
    if (fd != MHD_INVALID_SOCKET) ::close(fd);
  }
}

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebServer::~WebServer() = default;

std::vector<std::string> WebServer::bound_addresses() const { return impl_->addresses; }

Result<std::unique_ptr<WebServer>> WebServer::Start(const WebServerOptions& options, WebServerHooks hooks) {
  auto web = LiveWebConfig::Start(options.web, options.web_config_file, options.web_config_stamp);
  if (!web) return std::unexpected(web.error());
  auto impl = std::make_unique<Impl>(options, std::move(*web), std::move(hooks));
  std::vector<ListenSocket> sockets;
  if (options.systemd_socket) {
    auto passed = SystemdListenSockets();
    if (!passed) return std::unexpected(passed.error());
    sockets = std::move(*passed);
  }
  for (int fd : options.listening_fds) sockets.emplace_back(fd, BoundAddress(fd));
  const bool handed_over = options.systemd_socket || !options.listening_fds.empty();
  for (size_t i = 0; !handed_over && i < options.listen_addresses.size(); ++i) {
    auto socket = OpenListenSocket(options.listen_addresses[i]);
    if (!socket) return std::unexpected(socket.error());
    sockets.push_back(std::move(*socket));
  }
  for (ListenSocket& socket : sockets) {
    if (auto listening = impl->Listen(std::move(socket)); !listening) return std::unexpected(listening.error());
  }
  impl->sweeper = std::thread([raw = impl.get()] { raw->SweepUntilStopped(); });
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

}  // namespace ele
