// Shared by the serving and TLS end-to-end tests: a small scenario for the
// fake APIs, a scraper that times every scrape, and the process's file
// descriptors, threads and memory read from /proc.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "tests/e2e/harness.h"
#include "tests/fakes/fake_api_server.h"

namespace ele::e2e {

// Under the sanitizers the hostile-client runs are shorter (still past the
// 10 s header deadline), and memory is not checked: ASan's quarantine holds
// freed memory back by design.
#ifdef ELE_SANITIZED
inline constexpr std::chrono::seconds kHostileFor{15};
inline constexpr bool kCheckMemory = false;
#else
inline constexpr std::chrono::seconds kHostileFor{30};
inline constexpr bool kCheckMemory = true;
#endif

fake::ScenarioSpec ServingScenario();
std::string ServingConfig(const std::string& base_url);
const std::map<std::string, std::string>& ServingTokens();

struct ProcessUsage {
  int fds = 0, threads = 0;
  long rss_kib = 0;
};
ProcessUsage Usage(pid_t pid);

struct ScrapeStats {
  int scrapes = 0, failed = 0;
  std::string first_failure;
  double p50_seconds = 0, p99_seconds = 0;
  ProcessUsage peak;  // the largest of each, sampled between scrapes
};

// Scrapes every 100 ms for `duration`; a scrape fails unless it answers 200
// with a body within 10 s.
ScrapeStats ScrapeFor(std::chrono::seconds duration, const std::function<HttpResult()>& scrape,
                      const std::function<ProcessUsage()>& usage);

}  // namespace ele::e2e
