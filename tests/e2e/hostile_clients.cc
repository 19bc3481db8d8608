#include "tests/e2e/hostile_clients.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace ele::e2e {
namespace {

using Clock = std::chrono::steady_clock;
enum class Kind { kIdle, kSlowloris, kReconnecting };

struct Client {
  Kind kind;
  std::string source;
  int fd = -1;
  Clock::time_point next_action;  // a drip, or a reconnect
};

sockaddr_in Address(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  return addr;
}

int Connect(const std::string& source, const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in local = Address(source, 0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in remote = Address(host, port);
  ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote);  // completes at once on loopback, or later
  return fd;
}

}  // namespace

HostileClients::HostileClients(std::string server_address, HostileMix mix) : mix_(std::move(mix)) {
  const size_t colon = server_address.rfind(':');
  host_ = server_address.substr(0, colon);
  port_ = std::stoi(server_address.substr(colon + 1));
  thread_ = std::thread([this] { Run(); });
}

HostileClients::~HostileClients() {
  stop_ = true;
  thread_.join();
}

void HostileClients::Run() {
  std::vector<Client> clients;
  const auto add = [&](Kind kind, int count) {
    for (int i = 0; i < count; ++i) clients.push_back(Client{kind, mix_.sources[clients.size() % mix_.sources.size()], -1, {}});
  };
  add(Kind::kIdle, mix_.idle);
  add(Kind::kSlowloris, mix_.slowloris);
  add(Kind::kReconnecting, mix_.reconnecting);
  const auto open = [&](Client& client) {
    client.fd = Connect(client.source, host_, port_);
    ++connects_;
    if (client.kind == Kind::kSlowloris) {
      static constexpr char kStart[] = "GET /metrics HTTP/1.1\r\nHost: exporter\r\n";
      (void)::send(client.fd, kStart, sizeof kStart - 1, MSG_NOSIGNAL);
      client.next_action = Clock::now() + std::chrono::seconds(2);
    }
  };
  for (Client& client : clients) open(client);
  std::vector<pollfd> fds(clients.size());
  char buffer[4096];
  while (!stop_) {
    for (size_t i = 0; i < clients.size(); ++i) fds[i] = pollfd{clients[i].fd, POLLIN, 0};
    ::poll(fds.data(), fds.size(), 50);
    const auto now = Clock::now();
    for (size_t i = 0; i < clients.size(); ++i) {
      Client& client = clients[i];
      if (client.fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && ::recv(client.fd, buffer, sizeof buffer, 0) <= 0) {
        ::close(client.fd);
        client.fd = -1;
        ++dropped_;
        client.next_action = client.kind == Kind::kReconnecting ? now : now + std::chrono::seconds(1);
      }
      if (client.fd < 0 && now >= client.next_action) {
        open(client);
      } else if (client.fd >= 0 && client.kind == Kind::kSlowloris && now >= client.next_action) {
        static constexpr char kDrip[] = "X-Drip: 1\r\n";
        (void)::send(client.fd, kDrip, sizeof kDrip - 1, MSG_NOSIGNAL);
        client.next_action = now + std::chrono::seconds(2);
      }
    }
  }
  for (Client& client : clients) {
    if (client.fd >= 0) ::close(client.fd);
  }
}

}  // namespace ele::e2e
