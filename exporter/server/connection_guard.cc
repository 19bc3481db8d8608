#include "exporter/server/connection_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <iterator>

#include <utility>

namespace ele {

std::string AddressKey(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr == nullptr) return text;
  if (addr->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
    return text;
  }
  if (addr->sa_family != AF_INET6) return "local";  // a UNIX socket systemd passed
  in6_addr v6 = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    ::inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text);
    return text;
  }
  std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
  ::inet_ntop(AF_INET6, &v6, text, sizeof text);
  return std::string(text) + "/64";
}

const char* ConnectionGuard::Admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (connections_.size() >= limits_.max_connections) return kRefusedMaxConnections;
  const auto it = per_address_.find(address);
  if (it != per_address_.end() && it->second >= limits_.max_per_address) return kRefusedPerAddress;
  return nullptr;
}

void ConnectionGuard::Opened(const void* connection, int fd, const std::string& address, Time now) {
  std::lock_guard lock(mutex_);
  connections_[connection] = Entry{fd, address, now};
  ++per_address_[address];
}

void ConnectionGuard::RequestStarted(const void* connection, Time now) {
  std::lock_guard lock(mutex_);
  if (auto it = connections_.find(connection); it != connections_.end()) {
    it->second.in_request = true;
    it->second.waiting_since = now;
  }
}

void ConnectionGuard::RequestFinished(const void* connection, Time now) {
  std::lock_guard lock(mutex_);
  if (auto it = connections_.find(connection); it != connections_.end()) {
    it->second.in_request = false;
    it->second.first_request = false;
    it->second.waiting_since = now;
  }
}

void ConnectionGuard::Closed(const void* connection) {
  std::lock_guard lock(mutex_);
  const auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  if (auto count = per_address_.find(it->second.address); count != per_address_.end() && --count->second == 0) {
    per_address_.erase(count);
  }
  connections_.erase(it);
}

size_t ConnectionGuard::ShutDownOverdue(Time now) {
  std::lock_guard lock(mutex_);
  size_t shut = 0;
  for (auto& [connection, entry] : connections_) {
    if (entry.shut_down) continue;
    const auto limit = entry.in_request ? limits_.request_timeout : entry.first_request ? limits_.header_timeout : limits_.idle_timeout;
    if (now - entry.waiting_since < limit) continue;
    // The server notices the shutdown as an end of stream and closes the
    // connection itself, on its own thread.
    ::shutdown(entry.fd, SHUT_RDWR);
    entry.shut_down = true;
    // Idle keep-alive connections closing is ordinary; a client that never
    // finished its request's headers, or never read its answer, is what the
    // count is for.
    if (entry.first_request || entry.in_request) ++shut;
  }
  return shut;
}

void ConnectionGuard::CountRefusal(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++unlogged_refusals_[reason];
}

std::map<std::string, std::uint64_t> ConnectionGuard::TakeRefusalsToLog(Time now) {
  std::lock_guard lock(mutex_);
  if (unlogged_refusals_.empty() || (logged_once_ && now - last_log_ < std::chrono::minutes(1))) return {};
  logged_once_ = true;
  last_log_ = now;
  return std::exchange(unlogged_refusals_, {});
}

size_t ConnectionGuard::in_request() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(connections_.begin(), connections_.end(), [](const auto& c) { return c.second.in_request; }));
}

size_t ConnectionGuard::open() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

}  // namespace ele
