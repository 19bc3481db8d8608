#include "exporter/server/connection_guard.h"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ele {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
  int ours = -1, theirs = -1;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    ours = fds[0];
    theirs = fds[1];
  }
  ~SocketPair() {
    ::close(ours);
    ::close(theirs);
  }
  // True when `ours` was shut down: the peer reads end of stream.
  bool ShutDown() const {
    char c;
    return ::recv(theirs, &c, 1, MSG_DONTWAIT) == 0;
  }
};

const ConnectionGuard::Time kStart{};

ConnectionLimits Limits(size_t max_connections, size_t per_address) {
  ConnectionLimits limits;
  limits.max_connections = max_connections;
  limits.max_per_address = per_address;
  limits.header_timeout = 10s;
  limits.request_timeout = 60s;
  limits.idle_timeout = 120s;
  return limits;
}

TEST(ConnectionGuardTest, LimitsOpenConnectionsInAllAndPerAddress) {
  ConnectionGuard guard(Limits(3, 2));
  int keys[4];
  EXPECT_EQ(guard.Admit("10.0.0.1"), nullptr);
  guard.Opened(&keys[0], -1, "10.0.0.1", kStart);
  guard.Opened(&keys[1], -1, "10.0.0.1", kStart);
  EXPECT_STREQ(guard.Admit("10.0.0.1"), kRefusedPerAddress);
  EXPECT_EQ(guard.Admit("10.0.0.2"), nullptr);
  guard.Opened(&keys[2], -1, "10.0.0.2", kStart);
  EXPECT_STREQ(guard.Admit("10.0.0.3"), kRefusedMaxConnections);
  guard.Closed(&keys[0]);
  EXPECT_EQ(guard.Admit("10.0.0.1"), nullptr) << "a closed connection frees its slots";
  EXPECT_EQ(guard.open(), 2u);
}

TEST(ConnectionGuardTest, ShutsDownConnectionsPastTheirDeadlines) {
  ConnectionGuard guard(Limits(10, 10));
  SocketPair silent, slow_reader, kept_alive;
  guard.Opened(&silent, silent.ours, "a", kStart);
  guard.Opened(&slow_reader, slow_reader.ours, "a", kStart);
  guard.Opened(&kept_alive, kept_alive.ours, "a", kStart);
  guard.RequestStarted(&slow_reader, kStart + 1s);  // its headers came in; its answer is being sent
  guard.RequestStarted(&kept_alive, kStart);
  guard.RequestFinished(&kept_alive, kStart + 5s);
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 9s), 0u);
  EXPECT_FALSE(silent.ShutDown());
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 10s), 1u) << "no request's headers within 10 s";
  EXPECT_TRUE(silent.ShutDown());
  EXPECT_FALSE(slow_reader.ShutDown()) << "a request in progress has a deadline of its own";
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 20s), 0u) << "each connection is shut down once";
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 61s), 1u) << "its answer not read within 60 s";
  EXPECT_TRUE(slow_reader.ShutDown());
  EXPECT_FALSE(kept_alive.ShutDown()) << "a keep-alive connection waits up to the idle timeout";
  // An idle keep-alive connection closing is ordinary: shut, not counted.
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 124s), 0u);
  EXPECT_FALSE(kept_alive.ShutDown()) << "not yet";
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 125s), 0u);
  EXPECT_TRUE(kept_alive.ShutDown());
}

TEST(ConnectionGuardTest, CountsIpv6ClientsByTheirSlash64) {
  sockaddr_in6 a{}, b{}, mapped{};
  a.sin6_family = b.sin6_family = mapped.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, "2001:db8:1:2:aaaa::1", &a.sin6_addr);
  ::inet_pton(AF_INET6, "2001:db8:1:2:bbbb::9", &b.sin6_addr);
  ::inet_pton(AF_INET6, "::ffff:192.0.2.7", &mapped.sin6_addr);
  EXPECT_EQ(AddressKey(reinterpret_cast<sockaddr*>(&a)), "2001:db8:1:2::/64");
  EXPECT_EQ(AddressKey(reinterpret_cast<sockaddr*>(&b)), AddressKey(reinterpret_cast<sockaddr*>(&a)));
  EXPECT_EQ(AddressKey(reinterpret_cast<sockaddr*>(&mapped)), "192.0.2.7");
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  ::inet_pton(AF_INET, "198.51.100.3", &v4.sin_addr);
  EXPECT_EQ(AddressKey(reinterpret_cast<sockaddr*>(&v4)), "198.51.100.3");
}

TEST(ConnectionGuardTest, LogsRefusalsAtOnceThenAtMostOnceAMinute) {
  ConnectionGuard guard(ConnectionLimits{});
  EXPECT_TRUE(guard.TakeRefusalsToLog(kStart).empty());
  guard.CountRefusal(kRefusedPerAddress);
  auto first = guard.TakeRefusalsToLog(kStart + 1s);
  EXPECT_EQ(first[kRefusedPerAddress], 1u);
  guard.CountRefusal(kRefusedPerAddress);
  guard.CountRefusal(kRefusedTimeout);
  EXPECT_TRUE(guard.TakeRefusalsToLog(kStart + 30s).empty());
  auto later = guard.TakeRefusalsToLog(kStart + 61s);
  EXPECT_EQ(later[kRefusedPerAddress], 1u);
  EXPECT_EQ(later[kRefusedTimeout], 1u);
}

}  // namespace
}  // namespace ele
