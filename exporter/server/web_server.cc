#include "exporter/server/web_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "exporter/base/logger.h"
#include "exporter/server/listen_socket.h"
#include "exporter/server/tls_credentials.h"

namespace ele {
namespace {

constexpr unsigned kThreadsPerListener = 2;
constexpr size_t kMaxSlowTasks = 4;
// Enough for any scraper's request headers (Prometheus sends about 300 bytes);
// larger headers get 431. Bounds the memory a connection may take.
constexpr size_t kConnectionMemory = 16 * 1024;
// A connection with no progress at all is dropped after this long (a client
// that stops reading its answer); no shorter than the keep-alive deadline.
constexpr unsigned kInactivitySeconds = 120;
constexpr auto kSweepEvery = std::chrono::milliseconds(250);

struct PendingRequest {
  std::optional<Reply> reply;  // from a slow task; under Impl::tasks_mutex
  bool telemetry = false;      // counted in telemetry_in_flight
};

// The client's address as a per-address key; IPv4 clients of a dual-stack
// socket arrive as ::ffff:a.b.c.d and count as a.b.c.d.
std::string PeerAddress(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr == nullptr) return text;
  if (addr->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
  } else if (addr->sa_family == AF_INET6) {
    const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      ::inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text);
    } else {
      ::inet_ntop(AF_INET6, &v6, text, sizeof text);
    }
  }
  return text;
}

std::string Header(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return value != nullptr ? value : "";
}

void FreeBody(void* holder) { delete static_cast<std::shared_ptr<const std::string>*>(holder); }

}  // namespace

struct WebServer::Impl {
  WebServerOptions options;
  Routes routes;
  ConnectionGuard guard;
  std::unique_ptr<TlsCredentials> tls;
  std::vector<MHD_Daemon*> daemons;
  std::vector<std::string> addresses;
  std::atomic<size_t> telemetry_in_flight{0};

  struct Task {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::mutex tasks_mutex;
  std::list<Task> tasks;  // under tasks_mutex

  std::mutex sweep_mutex;
  std::condition_variable sweep_wake;
  bool stopping = false;  // under sweep_mutex
  std::thread sweeper;

  Impl(WebServerOptions o, WebServerHooks hooks)
      : options(std::move(o)), routes(options.telemetry_path, options.web, std::move(hooks)), guard(options.limits) {}
  ~Impl();

  void Refused(const std::string& reason) {
    guard.CountRefusal(reason);
    routes.hooks().refused(reason);
  }
  Result<void> Listen(ListenSocket socket);
  MHD_Result Serve(MHD_Connection* connection, PendingRequest* pending, const char* url, const char* method);
  MHD_Result Queue(MHD_Connection* connection, PendingRequest* pending, const Reply& reply);
  MHD_Result RunSlow(MHD_Connection* connection, PendingRequest* pending, std::function<Reply()> work);
  void SweepUntilStopped();
  void JoinFinishedTasks(bool all);

  static Impl* FromSession(gnutls_session_t session) {
    auto* connection = static_cast<MHD_Connection*>(gnutls_session_get_ptr(session));
    return static_cast<Impl*>(MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT)->socket_context);
  }
  static MHD_Result AcceptPolicy(void* cls, const sockaddr* addr, socklen_t);
  static void Notify(void* cls, MHD_Connection* connection, void** socket_context, MHD_ConnectionNotificationCode code);
  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                           const char*, size_t* upload_size, void** request_context);
  static void Completed(void* cls, MHD_Connection* connection, void** request_context, MHD_RequestTerminationCode);
  static int RetrieveCertificate(gnutls_session_t session, const gnutls_datum_t*, int, const gnutls_pk_algorithm_t*, int,
                                 gnutls_pcert_st** certs, unsigned int* count, gnutls_privkey_t* key) {
    return FromSession(session)->tls->Retrieve(certs, count, key);
  }
  static int VerifyClient(gnutls_session_t session) { return FromSession(session)->tls->VerifyPeer(session); }
  static void LogLibraryMessage(void*, const char* format, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof line, format, args);
    std::string text = line;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    LogDebug("web server", {{"detail", text}});
  }
};

MHD_Result WebServer::Impl::AcceptPolicy(void* cls, const sockaddr* addr, socklen_t) {
  auto* impl = static_cast<Impl*>(cls);
  const char* refused = impl->guard.Admit(PeerAddress(addr));
  if (refused == nullptr) return MHD_YES;
  impl->Refused(refused);
  return MHD_NO;
}

void WebServer::Impl::Notify(void* cls, MHD_Connection* connection, void** socket_context, MHD_ConnectionNotificationCode code) {
  auto* impl = static_cast<Impl*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) return impl->guard.Closed(connection);
  *socket_context = impl;  // for the TLS callbacks, which get only the session
  const int fd = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD)->connect_fd;
  const sockaddr* addr = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS)->client_addr;
  impl->guard.Opened(connection, fd, PeerAddress(addr), std::chrono::steady_clock::now());
  if (impl->tls) {
    auto* session = static_cast<gnutls_session_t>(MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION)->tls_session);
    impl->tls->ConfigureSession(session, &VerifyClient);
  }
}

MHD_Result WebServer::Impl::Access(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                                   const char*, size_t* upload_size, void** request_context) {
  auto* impl = static_cast<Impl*>(cls);
  if (*request_context == nullptr) {  // headers are in: the request has begun
    *request_context = new PendingRequest;
    impl->guard.RequestStarted(connection);
    return MHD_YES;
  }
  if (*upload_size != 0) {  // no route reads a body
    *upload_size = 0;
    return MHD_YES;
  }
  return impl->Serve(connection, static_cast<PendingRequest*>(*request_context), url, method);
}

void WebServer::Impl::Completed(void* cls, MHD_Connection* connection, void** request_context, MHD_RequestTerminationCode) {
  auto* impl = static_cast<Impl*>(cls);
  auto* pending = static_cast<PendingRequest*>(*request_context);
  if (pending == nullptr) return;
  if (pending->telemetry) --impl->telemetry_in_flight;
  delete pending;
  *request_context = nullptr;
  impl->guard.RequestFinished(connection, std::chrono::steady_clock::now());
}

MHD_Result WebServer::Impl::Serve(MHD_Connection* connection, PendingRequest* pending, const char* url, const char* method) {
  {
    std::lock_guard lock(tasks_mutex);
    if (pending->reply) return Queue(connection, pending, *pending->reply);
  }
  Request request{method, url, Header(connection, MHD_HTTP_HEADER_AUTHORIZATION), Header(connection, MHD_HTTP_HEADER_ACCEPT_ENCODING)};
  try {
    Route route = routes.Handle(request);
    if (route.reply) return Queue(connection, pending, *route.reply);
    return RunSlow(connection, pending, std::move(route.slow_task));
  } catch (const std::exception& e) {
    LogError("HTTP handler failed", {{"error", e.what()}});
    return Queue(connection, pending, TextReply(500, "internal error\n"));
  }
}

MHD_Result WebServer::Impl::Queue(MHD_Connection* connection, PendingRequest* pending, const Reply& reply) {
  if (reply.telemetry && !pending->telemetry) {
    if (options.max_requests != 0 && telemetry_in_flight.load() >= options.max_requests) {
      Refused(kRefusedMaxRequests);
      return Queue(connection, pending, TextReply(503, "too many concurrent scrapes (--web.max-requests)\n"));
    }
    ++telemetry_in_flight;
    pending->telemetry = true;
  }
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
  for (const auto& [name, value] : routes.extra_headers()) MHD_add_response_header(response, name.c_str(), value.c_str());
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(reply.status), response);
  MHD_destroy_response(response);
  return queued;
}

// The connection waits, suspended, while the work runs on a thread of its
// own; its result is queued when the connection resumes.
MHD_Result WebServer::Impl::RunSlow(MHD_Connection* connection, PendingRequest* pending, std::function<Reply()> work) {
  std::lock_guard lock(tasks_mutex);
  size_t running = 0;
  for (const Task& task : tasks) running += task.finished->load() ? 0 : 1;
  if (running >= kMaxSlowTasks) {
    return Queue(connection, pending, TextReply(503, "busy: too many reloads or new credentials being checked\n"));
  }
  MHD_suspend_connection(connection);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  tasks.push_back(Task{std::thread([this, connection, pending, work = std::move(work), finished] {
                         Reply reply;
                         try {
                           reply = work();
                         } catch (const std::exception& e) {
                           LogError("HTTP handler failed", {{"error", e.what()}});
                           reply = TextReply(500, "internal error\n");
                         }
                         {
                           std::lock_guard done(tasks_mutex);
                           pending->reply = std::move(reply);
                         }
                         MHD_resume_connection(connection);
                         *finished = true;
                       }),
                       finished});
  return MHD_YES;
}

void WebServer::Impl::JoinFinishedTasks(bool all) {
  std::list<Task> done;
  {
    std::lock_guard lock(tasks_mutex);
    for (auto it = tasks.begin(); it != tasks.end();) {
      if (all || it->finished->load()) {
        done.splice(done.end(), tasks, it++);
      } else {
        ++it;
      }
    }
  }
  for (Task& task : done) task.thread.join();
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
    JoinFinishedTasks(false);
  }
}

Result<void> WebServer::Impl::Listen(ListenSocket socket) {
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  if (tls) flags |= MHD_USE_TLS;
  const std::string priorities = tls ? tls->Priorities() : "NORMAL";
  MHD_OptionItem tls_options[] = {
      {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, reinterpret_cast<void*>(&RetrieveCertificate)},
      {MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(priorities.c_str())},
      {MHD_OPTION_END, 0, nullptr}};
  MHD_Daemon* daemon = MHD_start_daemon(
      flags, 0, &AcceptPolicy, this, &Access, this, MHD_OPTION_LISTEN_SOCKET, socket.fd(), MHD_OPTION_THREAD_POOL_SIZE,
      kThreadsPerListener, MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(options.limits.max_connections + 16),
      MHD_OPTION_CONNECTION_TIMEOUT, kInactivitySeconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemory,
      MHD_OPTION_NOTIFY_CONNECTION, &Notify, this, MHD_OPTION_NOTIFY_COMPLETED, &Completed, this,
      MHD_OPTION_EXTERNAL_LOGGER, &LogLibraryMessage, nullptr, MHD_OPTION_ARRAY, tls ? tls_options : tls_options + 2,
      MHD_OPTION_END);
  if (daemon == nullptr) return Fail("cannot serve on " + socket.address() + ": the HTTP server did not start");
  addresses.push_back(socket.address());
  socket.Release();  // the daemon closes it when it stops
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
  JoinFinishedTasks(true);  // their connections resume before the daemons stop
  for (MHD_Daemon* daemon : daemons) MHD_stop_daemon(daemon);
}

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebServer::~WebServer() = default;

std::vector<std::string> WebServer::bound_addresses() const { return impl_->addresses; }

Result<std::unique_ptr<WebServer>> WebServer::Start(const WebServerOptions& options, WebServerHooks hooks) {
  auto impl = std::make_unique<Impl>(options, std::move(hooks));
  if (options.web.tls) {
    auto tls = TlsCredentials::Load(*options.web.tls);
    if (!tls) return std::unexpected(tls.error());
    impl->tls = std::move(*tls);
  }
  std::vector<ListenSocket> sockets;
  if (options.systemd_socket) {
    auto passed = SystemdListenSockets();
    if (!passed) return std::unexpected(passed.error());
    sockets = std::move(*passed);
  }
  for (size_t i = 0; !options.systemd_socket && i < options.listen_addresses.size(); ++i) {
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
