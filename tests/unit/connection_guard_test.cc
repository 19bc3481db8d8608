#include "exporter/server/connection_guard.h"

#include <gtest/gtest.h>
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

TEST(ConnectionGuardTest, LimitsOpenConnectionsInAllAndPerAddress) {
  ConnectionGuard guard(ConnectionLimits{3, 2, 10s, 60s});
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

TEST(ConnectionGuardTest, ShutsDownConnectionsThatNeverFinishARequest) {
  ConnectionGuard guard(ConnectionLimits{10, 10, 10s, 120s});
  SocketPair silent, scraping, kept_alive;
  guard.Opened(&silent, silent.ours, "a", kStart);
  guard.Opened(&scraping, scraping.ours, "a", kStart);
  guard.Opened(&kept_alive, kept_alive.ours, "a", kStart);
  guard.RequestStarted(&scraping);  // its headers came in; its reply is being sent
  guard.RequestStarted(&kept_alive);
  guard.RequestFinished(&kept_alive, kStart + 5s);
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 9s), 0u);
  EXPECT_FALSE(silent.ShutDown());
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 10s), 1u);
  EXPECT_TRUE(silent.ShutDown());
  EXPECT_FALSE(scraping.ShutDown()) << "a request in progress has no header deadline";
  EXPECT_FALSE(kept_alive.ShutDown()) << "a keep-alive connection waits up to the idle timeout";
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 20s), 0u) << "each connection is shut down once";
  // An idle keep-alive connection closing is ordinary: shut, not counted.
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 65s), 0u);
  EXPECT_FALSE(kept_alive.ShutDown()) << "not yet";
  EXPECT_EQ(guard.ShutDownOverdue(kStart + 125s), 0u);
  EXPECT_TRUE(kept_alive.ShutDown());
  EXPECT_FALSE(scraping.ShutDown());
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
