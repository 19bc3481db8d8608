// Clients that misbehave against a server, for the serving tests: idle ones
// (connect, send nothing), slowloris ones (a request's headers dripped a line
// every 2 s, never finished) and reconnecting ones (hold an idle connection
// and open a new one the moment the server drops it). Every client whose
// connection the server drops connects again (idle and slowloris ones after a
// second), so the pressure lasts. Plain TCP: against a TLS port they are
// clients that never finish the handshake. One thread polls them all.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace ele::e2e {

struct HostileMix {
  int idle = 0, slowloris = 0, reconnecting = 0;
  // Source addresses the clients take in turn (127.0.0.0/8 is all loopback
  // on Linux), so that a per-address limit does not turn them all away.
  std::vector<std::string> sources = {"127.0.0.1"};
};

class HostileClients {
 public:
  HostileClients(std::string server_address, HostileMix mix);  // "127.0.0.1:PORT"; starts at once
  ~HostileClients();
  // Connections the clients opened, in all.
  long connects() const { return connects_.load(); }
  // Connections the server dropped (end of stream or reset).
  long dropped() const { return dropped_.load(); }

 private:
  void Run();
  std::string host_;
  int port_;
  HostileMix mix_;
  std::atomic<bool> stop_{false};
  std::atomic<long> connects_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace ele::e2e
