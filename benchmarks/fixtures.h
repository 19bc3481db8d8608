// Fixtures of the benchmarks: realistic API pages, built as text the way the
// providers send them (every documented field, most of them unused by the
// exporter, so parse costs are those of real pages), and a /metrics of a
// given number of series.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "exporter/metrics/metrics_hub.h"
#include "exporter/state/jetemail_state.h"
#include "exporter/state/mailtrap_state.h"

namespace ele::bench {

// The clock of every benchmark: 2026-01-01T00:00:00Z.
constexpr std::int64_t kBaseMs = 1'767'225'600'000;
inline const TimePoint kNow = FromUnixMillis(kBaseMs);
// Sending domains of MailtrapPage()'s messages (a third stay unresolved).
inline const std::map<std::int64_t, std::string> kDomainNames = {{3938, "mail.example.com"}, {3939, "news.example.com"}};

inline void ApplyMailtrap(MailtrapState& state, const std::vector<events::OutboundSighting>& messages) {
  state.ApplyPage(messages, kDomainNames, kNow);
}

// A JetEmail `/inbound/account/logs` page of `entries` entries, uids
// "<first_uid>..." upwards. Each entry has an inbound and a delivery action;
// every fourth also a spam-check row. About 1.3 KB an entry.
std::string JetEmailPage(int entries, std::int64_t first_uid, std::int64_t base_ms);

// A Mailtrap email logs list page of `messages` messages (UUID message ids
// derived from `first_id`), about 600 bytes a message.
std::string MailtrapPage(int messages, std::int64_t first_id, std::int64_t base_ms);

// Publishes two JetEmail accounts with as many domains as it takes for
// `series` sample lines on /metrics; returns the number of lines.
int FillSeries(metrics::MetricsHub& hub, int series);

// State options of the benchmark accounts ("main", "prod"), defaults otherwise.
JetEmailStateOptions JetOptions();
MailtrapStateOptions MailtrapOptions();

// Resident set size of this process, bytes (from /proc/self/statm).
std::int64_t ResidentBytes();

}  // namespace ele::bench
