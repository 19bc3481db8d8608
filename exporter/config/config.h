// The configuration file (README, "Configuration"): structs with their
// defaults, and the loader that fills them, then validates them.
//
// Loading never throws and never logs; every problem comes back as one line
// "FILE:LINE: KEY: problem" so the user can go straight to it. Tokens are
// resolved (environment or file) at load time, so --config.check proves they
// are there, and a reload picks up a rotated token.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "exporter/base/error.h"
#include "exporter/base/events_mode.h"
#include "exporter/config/duration.h"
#include "exporter/config/secret.h"

namespace ele {

struct CollectionConfig {
  Duration interval = std::chrono::seconds(60);
  Duration lookback = std::chrono::hours(24);
  Duration overlap = std::chrono::minutes(5);
  Duration request_timeout = std::chrono::seconds(30);
  int label_value_limit = 200;  // distinct values per account and label before folding into "other"
  std::int64_t max_tracked_messages = 2'000'000;  // per account; the oldest are evicted past it
};

struct JetEmailAccount {
  std::string name;
  Secret token;
  std::string base_url = "https://api.jetemail.com";
  std::vector<std::string> domains;
  int requests_per_minute = 60;
  friend bool operator==(const JetEmailAccount&, const JetEmailAccount&) = default;
};

struct MailtrapAccount {
  std::string name;
  std::int64_t account_id = 0;
  Secret token;
  std::string base_url = "https://mailtrap.io";
  // Newer API documents drop "/accounts/{account_id}"; keep the path a setting.
  // Both paths take "{account_id}"; the newest SDK (mailtrap-go) uses
  // "/api/email_logs" and "/api/domains".
  std::string email_logs_path = "/api/accounts/{account_id}/email_logs";
  std::string sending_domains_path = "/api/accounts/{account_id}/sending_domains";
  int requests_per_minute = 30;
  std::vector<std::string> categories;
  EventsMode events = EventsMode::kFailures;
  int detail_requests_per_minute = 300;
  // A rolling-refresh pass (late opens, clicks, opt-outs) starts at most this
  // often; between passes an idle account costs one list call a cycle.
  Duration refresh_interval = std::chrono::minutes(10);
  friend bool operator==(const MailtrapAccount&, const MailtrapAccount&) = default;
};

struct Config {
  CollectionConfig collection;
  std::string state_file;  // "" keeps everything in memory
  std::vector<JetEmailAccount> jetemail;
  std::vector<MailtrapAccount> mailtrap;
};

// Reads and validates `path`. The error is one line, ready to print.
Result<Config> LoadConfigFile(const std::string& path);
// Same, from text; `path` only names the source in messages.
Result<Config> LoadConfigText(const std::string& text, const std::string& path);

}  // namespace ele
