// The sockets the web server listens on: opened from --web.listen-address
// values (host:port, :port for every address, [v6]:port), or handed over by
// systemd socket activation (--web.systemd-socket).
#pragma once

#include <string>
#include <vector>

#include "exporter/base/error.h"

namespace ele {

// An open listening socket; closes it unless released.
class ListenSocket {
 public:
  ListenSocket(int fd, std::string address) : fd_(fd), address_(std::move(address)) {}
  ListenSocket(ListenSocket&& other) noexcept;
  ListenSocket& operator=(ListenSocket&& other) noexcept;
  ~ListenSocket();
  int fd() const { return fd_; }
  int Release();
  // "host:port" actually bound (port 0 resolved); "[v6]:port" for IPv6.
  const std::string& address() const { return address_; }

 private:
  int fd_;
  std::string address_;
};

// ":9787" listens on every IPv6 and IPv4 address (IPv4 alone when the host
// has no IPv6); "localhost:9787" on the loopback. The error is one line.
Result<ListenSocket> OpenListenSocket(const std::string& listen_address);
// The sockets systemd passed (LISTEN_PID, LISTEN_FDS); an error when none.
Result<std::vector<ListenSocket>> SystemdListenSockets();
// What a socket is bound to, as "host:port".
std::string BoundAddress(int fd);

}  // namespace ele
