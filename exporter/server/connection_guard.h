// Keeps hostile or broken clients from holding the web server's connections:
// a limit on open connections and on connections from one address, checked
// when a connection is accepted, and a deadline for each request's headers
// (from the accept, or from the end of the previous response on a keep-alive
// connection), enforced by shutting the socket down so the server closes it.
// An event-driven server is not starved by idle connections; these limits
// keep memory and file descriptors bounded and free slots held by clients
// that never send a request. Thread-safe; time comes from the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

struct sockaddr;

namespace ele {

struct ConnectionLimits {
  size_t max_connections = 512;
  size_t max_per_address = 64;
  std::chrono::milliseconds header_timeout{10'000};  // a new connection's first request
  // A request from its headers to the end of its answer: a client that
  // reads its answer a byte at a time is dropped.
  std::chrono::milliseconds request_timeout{60'000};
  // The next request on a keep-alive connection: above the longest usual
  // scrape interval (60 s), so Prometheus keeps reusing its connection.
  std::chrono::milliseconds idle_timeout{120'000};
};

// Reasons counted in email_logs_exporter_http_refused_total.
inline constexpr const char* kRefusedMaxConnections = "max_connections";
inline constexpr const char* kRefusedPerAddress = "max_connections_per_address";
inline constexpr const char* kRefusedTimeout = "request_timeout";
inline constexpr const char* kRefusedMaxRequests = "max_requests";

// The key a client's connections are counted under: its IPv4 address, or
// the /64 of its IPv6 address (one host usually holds a whole /64, so single
// IPv6 addresses cost an attacker nothing). IPv4 clients of a dual-stack
// socket (::ffff:a.b.c.d) count as a.b.c.d.
std::string AddressKey(const sockaddr* addr);

class ConnectionGuard {
 public:
  using Time = std::chrono::steady_clock::time_point;
  explicit ConnectionGuard(ConnectionLimits limits) : limits_(limits) {}

  // At accept: the reason to refuse, or nullptr to admit.
  const char* Admit(const std::string& address);
  void Opened(const void* connection, int fd, const std::string& address, Time now);
  void RequestStarted(const void* connection, Time now);
  void RequestFinished(const void* connection, Time now);
  // Must come before the socket is closed: shutdowns happen under the same
  // lock, so a file descriptor is never shut down after its reuse.
  void Closed(const void* connection);
  // Shuts down connections past their deadline; how many.
  size_t ShutDownOverdue(Time now);
  void CountRefusal(const std::string& reason);
  // Refusals not logged yet, by reason, when a log line is due (the first at
  // once, then at most one a minute); empty otherwise.
  std::map<std::string, std::uint64_t> TakeRefusalsToLog(Time now);
  size_t open() const;
  size_t in_request() const;  // connections between a request's headers and the end of its answer

 private:
  struct Entry {
    int fd;
    std::string address;
    Time waiting_since;  // for the next request's headers, or since the request began
    bool in_request = false, first_request = true, shut_down = false;
  };
  ConnectionLimits limits_;
  mutable std::mutex mutex_;
  std::map<const void*, Entry> connections_;
  std::map<std::string, size_t> per_address_;
  std::map<std::string, std::uint64_t> unlogged_refusals_;
  Time last_log_{};
  bool logged_once_ = false;
};

}  // namespace ele
