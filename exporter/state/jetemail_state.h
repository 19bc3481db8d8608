// Per-message state of one JetEmail account, and the counters it feeds.
//
// The API returns the *current* state of each inbound email (by `uid`), again
// and again across overlapping windows. Apply() turns what changed since the
// last sighting into counter increments, so a repeated entry changes
// nothing, and a count that goes down (an API correction) never decrements a
// counter. Messages are kept for `lookback` after they were first seen (plus
// the overlap, so a window can never re-read an evicted message), then
// evicted. Not thread-safe: owned by one account worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporter/collect/clock.h"
#include "exporter/metrics/metric_set.h"
#include "exporter/providers/jetemail/jetemail_wire.h"
#include "exporter/state/binary_codec.h"
#include "exporter/state/label_folder.h"

namespace ele {

struct JetEmailStateOptions {
  std::string account;
  std::chrono::milliseconds retention{std::chrono::hours(24)};  // lookback + overlap
  int label_value_limit = 200;
  std::int64_t max_tracked_messages = 2'000'000;
};

// Statuses after which a message is still in flight and may change. JetEmail
// documents no closed set; anything else counts as final, so an unknown
// status costs no extra reads.
bool IsOpenJetEmailStatus(const std::string& lowercase_status);

class JetEmailState {
 public:
  explicit JetEmailState(JetEmailStateOptions options);

  // Applies one parsed page (already validated whole).
  void ApplyPage(const std::vector<jetemail::Entry>& entries, TimePoint now);
  void Evict(TimePoint now);
  void SetDomainUp(const std::string& domain, bool up);
  void SetAccountDomains(std::int64_t total);
  void EnsureDomain(const std::string& domain);  // known label sets at 0

  void ExportMetrics(metrics::MetricSet& out) const;
  size_t tracked() const { return messages_.size(); }
  // Arrival time of the oldest tracked message whose status can still change.
  std::optional<std::int64_t> OldestOpenArrivalMs() const;
  const metrics::MetricSet& counters() const { return counters_; }
  void set_options(const JetEmailStateOptions& options) { options_ = options; }
  // Grows with every change of counters or tracked messages (persistence hint).
  std::uint64_t changes() const { return changes_; }
  void Encode(BinaryWriter& out) const;
  bool Decode(BinaryReader& in);  // into a fresh state; false when malformed

 private:
  struct Message {
    std::int64_t first_seen_ms = 0;
    std::int64_t arrival_ms = 0;          // earliest action date; first sighting without one
    std::int64_t delivery_count = 0;
    std::int64_t rejected_count = 0;
    std::string domain;                   // folded label value
    std::string status;                   // folded, lowercased
    std::vector<std::string> statuses_seen;
    std::vector<std::uint64_t> action_ids;  // hashes of counted action ids
    bool spam_observed = false;
  };

  void ApplyEntry(const jetemail::Entry& entry, TimePoint now);
  void CountStatus(Message& m, const std::string& status);
  void CountIncreases(Message& m, const jetemail::Entry& entry);
  void CountActions(Message& m, const jetemail::Entry& entry);
  const std::string& FoldLabel(LabelFolder& folder, const char* label, const std::string& raw);
  void MoveGauge(const std::string& domain, const std::string& from, const std::string& to);

  JetEmailStateOptions options_;
  std::unordered_map<std::string, Message> messages_;
  metrics::MetricSet counters_;                       // counters and histograms
  std::map<std::pair<std::string, std::string>, std::int64_t> current_;  // (domain, status) -> messages
  std::map<std::string, bool> domain_up_;
  std::int64_t account_domains_ = -1;
  LabelFolder domains_, statuses_, logtypes_;
  std::map<std::string, std::uint64_t> overflow_;     // label -> values folded
  std::uint64_t changes_ = 0;
};

}  // namespace ele
