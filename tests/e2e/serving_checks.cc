#include "tests/e2e/serving_checks.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <thread>
#include <vector>

namespace ele::e2e {

fake::ScenarioSpec ServingScenario() {
  fake::ScenarioSpec spec;
  fake::JetEmailAccountSpec jet;
  jet.token = "serving-jet-token";
  jet.domain_count = 3;
  jet.message_count = 200;
  jet.duration_s = 5;
  fake::MailtrapAccountSpec mt;
  mt.token = "serving-mt-token";
  mt.message_count = 200;
  mt.duration_s = 5;
  spec.jetemail = {jet};
  spec.mailtrap = {mt};
  return spec;
}

std::string ServingConfig(const std::string& base_url) {
  return "collection:\n  interval: 2s\n  lookback: 1h\n  overlap: 10s\n  request_timeout: 2s\n"
         "jetemail:\n  - name: main\n    api_token_env: SERVING_JET_TOKEN\n    base_url: " + base_url +
         "\nmailtrap:\n  - name: prod\n    account_id: 123456\n    api_token_env: SERVING_MT_TOKEN\n    base_url: " + base_url + "\n";
}

const std::map<std::string, std::string>& ServingTokens() {
  static const std::map<std::string, std::string> tokens = {{"SERVING_JET_TOKEN", "serving-jet-token"},
                                                            {"SERVING_MT_TOKEN", "serving-mt-token"}};
  return tokens;
}

ProcessUsage Usage(pid_t pid) {
  ProcessUsage usage;
  const std::string proc = "/proc/" + std::to_string(pid);
  if (DIR* dir = opendir((proc + "/fd").c_str())) {
    while (dirent* entry = readdir(dir)) usage.fds += entry->d_name[0] != '.' ? 1 : 0;
    closedir(dir);
  }
  std::ifstream status(proc + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("Threads:")) usage.threads = std::stoi(line.substr(8));
    if (line.starts_with("VmRSS:")) usage.rss_kib = std::stol(line.substr(6));
  }
  return usage;
}

ScrapeStats ScrapeFor(std::chrono::seconds duration, const std::function<HttpResult()>& scrape,
                      const std::function<ProcessUsage()>& usage) {
  ScrapeStats stats;
  std::vector<double> seconds;
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    const auto start = std::chrono::steady_clock::now();
    const HttpResult result = scrape();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    ++stats.scrapes;
    if (result.status != 200 || result.body.empty()) {
      if (stats.failed++ == 0) stats.first_failure = "status " + std::to_string(result.status) + " after " + std::to_string(seconds.back()) + " s";
    }
    const ProcessUsage now = usage();
    stats.peak.fds = std::max(stats.peak.fds, now.fds);
    stats.peak.threads = std::max(stats.peak.threads, now.threads);
    stats.peak.rss_kib = std::max(stats.peak.rss_kib, now.rss_kib);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::sort(seconds.begin(), seconds.end());
  if (!seconds.empty()) {
    stats.p50_seconds = seconds[seconds.size() / 2];
    stats.p99_seconds = seconds[std::min(seconds.size() - 1, seconds.size() * 99 / 100)];
  }
  return stats;
}

}  // namespace ele::e2e
