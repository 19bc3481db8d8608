// email_logs_simulator: the fake JetEmail and Mailtrap APIs as a standalone
// server, so the exporter can be run and watched without real accounts.
//
//   email_logs_simulator [--listen=127.0.0.1:8025] [--seed=N]
//                        [--scenario=continuous|burst]
//                        [--jetemail-token=T] [--mailtrap-token=T]
//
// continuous (default): endless traffic, starting half an hour in the past so
// a first poll already finds a backlog; about 1% of calls fail on purpose.
// burst: a fixed batch of messages over ten minutes, then silence; its
// ground truth is served on /_fake/truth.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "tests/fakes/fake_api_server.h"

namespace {

struct Flags {
  std::string listen = "127.0.0.1:8025";
  std::uint64_t seed = 1;
  bool continuous = true;
  std::string jetemail_token = "sim-jetemail-token";
  std::string mailtrap_token = "sim-mailtrap-token";
};

constexpr char kUsage[] =
    "usage: email_logs_simulator [--listen=HOST:PORT] [--seed=N] "
    "[--scenario=continuous|burst] [--jetemail-token=T] [--mailtrap-token=T]\n";

// The value of `--name=value` when `arg` is that flag.
std::optional<std::string> FlagValue(std::string_view arg, std::string_view name) {
  if (!arg.starts_with(name) || arg.size() <= name.size() || arg[name.size()] != '=') {
    return std::nullopt;
  }
  return std::string(arg.substr(name.size() + 1));
}

// False (with one line on stderr) on anything it does not understand.
bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (auto v = FlagValue(arg, "--listen")) {
      flags->listen = *v;
    } else if (auto seed = FlagValue(arg, "--seed")) {
      char* end = nullptr;
      flags->seed = std::strtoull(seed->c_str(), &end, 10);
      if (seed->empty() || *end != '\0') {
        std::fprintf(stderr, "level=error msg=\"bad flag\" flag=--seed value=\"%s\"\n",
                     seed->c_str());
        return false;
      }
    } else if (auto scenario = FlagValue(arg, "--scenario")) {
      if (*scenario != "continuous" && *scenario != "burst") {
        std::fprintf(stderr, "level=error msg=\"bad flag\" flag=--scenario value=\"%s\"\n",
                     scenario->c_str());
        return false;
      }
      flags->continuous = *scenario == "continuous";
    } else if (auto jet = FlagValue(arg, "--jetemail-token")) {
      flags->jetemail_token = *jet;
    } else if (auto mt = FlagValue(arg, "--mailtrap-token")) {
      flags->mailtrap_token = *mt;
    } else {
      std::fprintf(stderr, "level=error msg=\"unknown flag\" flag=\"%s\"\n", argv[i]);
      return false;
    }
  }
  return true;
}

ele::fake::ScenarioSpec MakeSpec(const Flags& flags) {
  ele::fake::ScenarioSpec spec;
  spec.seed = flags.seed;
  spec.continuous = flags.continuous;
  ele::fake::JetEmailAccountSpec jet;
  jet.name = "main";
  jet.token = flags.jetemail_token;
  jet.domain_count = 25;
  jet.message_count = 3000;
  jet.duration_s = 600;
  jet.page_jitter = true;
  spec.jetemail.push_back(jet);
  ele::fake::MailtrapAccountSpec mt;
  mt.name = "prod";
  mt.account_id = 123456;
  mt.token = flags.mailtrap_token;
  mt.message_count = 1500;
  mt.duration_s = 600;
  spec.mailtrap.push_back(mt);
  if (flags.continuous) spec.start_ms = ele::fake::SystemNowMs() - 30 * 60'000;
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  // Block the signals before civetweb starts its threads, so they all
  // inherit the mask and only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ele::fake::FakeApiServer server(MakeSpec(flags));
  std::string error;
  if (!server.Start(flags.listen, &error)) {
    std::fprintf(stderr, "level=error msg=\"%s\"\n", error.c_str());
    return 1;
  }
  const std::string address = server.base_url().substr(std::string_view("http://").size());
  std::fprintf(stderr, "level=info msg=\"simulator listening\" address=%s\n", address.c_str());
  int received = 0;
  sigwait(&signals, &received);
  return 0;
}
