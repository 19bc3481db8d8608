#include "exporter/server/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace ele {
namespace {

constexpr int kSystemdFirstFd = 3;  // SD_LISTEN_FDS_START
constexpr int kBacklog = 1024;

struct HostPort {
  std::string host, port;
};

Result<HostPort> SplitHostPort(const std::string& address) {
  const auto bad = [&](const std::string& why) { return Fail("--web.listen-address=" + address + ": " + why); };
  HostPort out;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find("]:");
    if (close == std::string::npos) return bad("expected [IPv6]:port");
    out.host = address.substr(1, close - 1);
    out.port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) return bad("expected host:port or :port");
    out.host = address.substr(0, colon);
    out.port = address.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return bad("write IPv6 addresses in brackets, [::1]:port");
  }
  if (out.port.empty() || out.port.size() > 5 || out.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(out.port) > 65535) {
    return bad("invalid port \"" + out.port + "\"");
  }
  return out;
}

// socket, bind, listen; errno is kept for the message.
int BindAndListen(const addrinfo& ai) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol);
  if (fd < 0) return -1;
  const int on = 1, off = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  // ":port" means every address, IPv4 ones included (as Go's net.Listen).
  if (ai.ai_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  if (::bind(fd, ai.ai_addr, ai.ai_addrlen) == 0 && ::listen(fd, kBacklog) == 0) return fd;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return -1;
}

}  // namespace

ListenSocket::ListenSocket(ListenSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)), address_(std::move(other.address_)) {}

ListenSocket& ListenSocket::operator=(ListenSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    address_ = std::move(other.address_);
  }
  return *this;
}

ListenSocket::~ListenSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int ListenSocket::Release() { return std::exchange(fd_, -1); }

Result<ListenSocket> OpenListenSocket(const std::string& listen_address) {
  auto split = SplitHostPort(listen_address);
  if (!split) return std::unexpected(split.error());
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  // Every address: IPv6 first (it takes IPv4 too), then IPv4 alone.
  hints.ai_family = split->host.empty() ? AF_INET6 : split->host == "localhost" ? AF_INET : AF_UNSPEC;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(split->host.empty() ? nullptr : split->host.c_str(), split->port.c_str(), &hints, &found);
  if (rc != 0 && split->host.empty()) {
    hints.ai_family = AF_INET;
    rc = ::getaddrinfo(nullptr, split->port.c_str(), &hints, &found);
  }
  if (rc != 0) return Fail("--web.listen-address=" + listen_address + ": " + ::gai_strerror(rc));
  int fd = -1, error = 0;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = BindAndListen(*ai);
    if (fd < 0) error = errno;
  }
  ::freeaddrinfo(found);
  // No IPv6 on this host (or a dual-stack bind refused): IPv4 alone.
  if (fd < 0 && split->host.empty() && error != EADDRINUSE && error != EACCES) return OpenListenSocket("0.0.0.0:" + split->port);
  if (fd < 0) return Fail("cannot listen on " + listen_address + ": " + std::strerror(error));
  return ListenSocket(fd, BoundAddress(fd));
}

Result<std::vector<ListenSocket>> SystemdListenSockets() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr || std::atol(pid) != static_cast<long>(::getpid())) {
    return Fail("--web.systemd-socket: no socket was passed by systemd (LISTEN_PID/LISTEN_FDS not set for this process)");
  }
  const int count = std::atoi(fds);
  if (count <= 0) return Fail("--web.systemd-socket: LISTEN_FDS is \"" + std::string(fds) + "\"; expected at least one socket");
  std::vector<ListenSocket> sockets;
  for (int fd = kSystemdFirstFd; fd < kSystemdFirstFd + count; ++fd) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    sockets.emplace_back(fd, BoundAddress(fd));
  }
  // Not for child processes.
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return sockets;
}

std::string BoundAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(v6->sin6_port));
  }
  return "unix socket";
}

}  // namespace ele
