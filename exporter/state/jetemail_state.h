// Per-message state of one JetEmail account, and the counts it feeds
// (jetemail_counts.h: plain numbers by interned ids; no metric names).
//
// The API returns the *current* state of each inbound email (by `uid`), again
// and again across overlapping windows. Apply() turns what changed since the
// last sighting into counter increments, so a repeated entry changes
// nothing, and a count that goes down (an API correction) never decrements a
// counter. Messages are kept for `lookback` after they were first seen (plus
// the overlap, so a window can never re-read an evicted message), then
// evicted. Not thread-safe: owned by one account worker.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter/base/clock.h"
#include "exporter/events/inbound.h"
#include "exporter/state/jetemail_counts.h"
#include "exporter/state/label_folder.h"
#include "exporter/state/message_table.h"
#include "exporter/state/tracking_limit.h"

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
  void ApplyPage(const std::vector<events::InboundSighting>& entries, TimePoint now);
  void Evict(TimePoint now);
  void SetDomainUp(const std::string& domain, bool up);
  void SetAccountDomains(std::int64_t total);
  void EnsureDomain(const std::string& domain);  // known label sets at 0

  const JetEmailCounts& counts() const { return counts_; }
  const std::string& account() const { return options_.account; }
  size_t tracked() const { return messages_.size(); }
  // A tracked message whose status can still change (IsOpenJetEmailStatus).
  // Its arrival is the earliest date among its actions, or its first
  // sighting when it has none.
  struct OpenMessage {
    MessageKey key;
    std::int64_t arrival_ms = 0;
    std::int64_t first_seen_ms = 0;
  };
  std::vector<OpenMessage> OpenMessages() const;
  // Tracked messages by arrival, for pricing a re-read: result[g][i] counts
  // the messages of domain group g that arrived in [bounds_ms[i],
  // bounds_ms[i + 1]) (bounds ascending). `group_of(domain label)` is the
  // group a domain is queried in, or -1 when unknown (then the message is
  // counted in every group, so a price is never too low).
  std::vector<std::vector<std::int64_t>> CountArrivals(const std::vector<std::int64_t>& bounds_ms, int groups,
                                                      const std::function<int(const std::string&)>& group_of) const;
  void set_options(const JetEmailStateOptions& options) { options_ = options; }
  // Grows with every change of counters or tracked messages (persistence hint).
  std::uint64_t changes() const { return changes_; }
 private:
  friend class JetEmailStateCodec;  // the state file (jetemail_state_codec.h)

  static constexpr std::uint32_t kNoStatus = (1u << 17) - 1;  // before the first sighting
  static constexpr std::uint32_t kMaxActions = (1u << 13) - 1;
  static constexpr std::uint32_t kSeenBits = 16;

  // 48 bytes a message (see message_table.h). Labels are ids into
  // the interned tables below (label_value_limit is at most 100,000, so 17
  // bits hold them); counts saturate at 2^32 - 1, arrival is kept as a
  // distance back from the first sighting (saturating at 49 days).
  struct Message {
    MessageKey key;
    std::int64_t first_seen_ms = 0;
    std::uint32_t arrival_back_ms = 0;  // first_seen_ms - arrival (earliest action date)
    std::uint32_t delivery_count = 0;
    std::uint32_t rejected_count = 0;
    std::uint32_t actions_at = 0;       // its counted action id hashes: a run in action_ids_
    std::uint64_t domain : 17;          // id in counts_.domains
    std::uint64_t status : 17;          // id in counts_.statuses, kNoStatus before the first
    std::uint64_t statuses_seen : kSeenBits;  // bit i: status id i counted; ids past 16 in seen_overflow_
    std::uint64_t action_count : 13;    // more than kMaxActions rows are counted again on each read
    std::uint64_t spam_observed : 1;
    std::int64_t arrival_ms() const { return first_seen_ms - arrival_back_ms; }
  };
  static_assert(sizeof(Message) == 48, "a tracked message's row; memory_bench's figure depends on it");

  // Drops messages for which `drop` is true, moving their gauges, and packs
  // messages_ and action_ids_ again.
  template <typename Drop>
  void RemoveIf(Drop drop);
  void AppendAction(Message& m, std::uint64_t id);
  bool StatusSeen(const Message& m, std::uint32_t status) const;
  void MarkStatusSeen(Message& m, std::uint32_t status);

  void ApplyEntry(const events::InboundSighting& entry, TimePoint now);
  void CountStatus(Message& m, std::uint32_t status);
  void CountIncreases(Message& m, const events::InboundSighting& entry);
  void CountActions(Message& m, const events::InboundSighting& entry);
  const std::string& FoldLabel(LabelFolder& folder, const char* label, const std::string& raw);
  std::uint32_t DomainId(const std::string& raw_domain);
  void MoveGauge(std::uint32_t domain, std::uint32_t from, std::uint32_t to);

  JetEmailStateOptions options_;
  MessageTable<Message> messages_;        // by HashedKey(uid)
  IdRuns action_ids_;                     // counted action id hashes, a run per message
  std::set<std::pair<MessageKey, std::uint32_t>> seen_overflow_;  // statuses seen with ids >= kSeenBits
  std::vector<bool> status_open_;         // by status id: IsOpenJetEmailStatus
  JetEmailCounts counts_;
  LabelFolder domains_, statuses_, logtypes_;
  TrackingLimitWarning limit_warning_;
  std::uint64_t changes_ = 0;
};

}  // namespace ele
