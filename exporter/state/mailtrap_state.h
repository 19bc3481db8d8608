// Per-message state of one Mailtrap account, and the counts it feeds
// (mailtrap_counts.h: plain numbers by interned ids; no metric names).
//
// Messages come back from the list endpoint again and again with their
// current status and opens/clicks counts. Apply() counts what changed: each
// status once per message (delivered and a later opted_out both count; an
// opted_out message also counts as delivered when that state was missed),
// increases of opens_count and clicks_count, and the first time either
// passes zero. Labels (domain, stream, category) are fixed when a message is
// first seen. Not thread-safe: owned by one account worker.
#pragma once

#include <cstdint>
#include <set>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter/base/clock.h"
#include "exporter/base/events_mode.h"
#include "exporter/base/warning_gate.h"
#include "exporter/events/outbound.h"
#include "exporter/state/detail_queue.h"
#include "exporter/state/label_folder.h"
#include "exporter/state/mailtrap_counts.h"
#include "exporter/state/message_table.h"
#include "exporter/state/tracking_limit.h"

namespace ele {

struct MailtrapStateOptions {
  std::string account;
  std::chrono::milliseconds retention{std::chrono::hours(24)};  // lookback + overlap, by sent_at
  int label_value_limit = 200;
  std::int64_t max_tracked_messages = 2'000'000;
  std::vector<std::string> categories;  // allowlist; empty: category label is ""
  EventsMode events = EventsMode::kFailures;  // which messages' details to fetch
};

// A message whose detail (events) is wanted, in the order it was wanted.
struct PendingDetail {
  std::string message_id;
  std::int64_t queued_at_ms = 0;
  int failures = 0;  // malformed answers so far
};

class MailtrapState {
 public:
  explicit MailtrapState(MailtrapStateOptions options);

  // `domain_names` resolves sending domain ids; unresolved ids label as the id.
  // `now` stamps the detail requests this page gives rise to.
  void ApplyPage(const std::vector<events::OutboundSighting>& messages, const std::map<std::int64_t, std::string>& domain_names,
                 TimePoint now);

  // The detail queue (events). With `events: failures` a message is wanted
  // once it is seen not_delivered or opted_out, or still enqueued after
  // kLongEnqueued; with `all` once it is final. Either way again whenever its
  // list entry changes after a fetch, since events are only ever appended.
  static constexpr std::chrono::minutes kLongEnqueued{10};
  void QueueLongEnqueued(TimePoint now);
  std::optional<PendingDetail> NextDetail() const;
  // Counts the events of the front message not counted before, and pops it.
  // They are labelled with the mailbox provider this answer names
  // (events::NamedMailboxProvider), "unknown" when it names none.
  void ApplyDetail(const events::MessageHistory& detail);
  void DropDetail();       // pops the front: gone from the API (404) or given up
  void PostponeDetail();   // a malformed answer: to the back, dropped after 3
  size_t pending_details() const { return details_.size(); }
  void Evict(TimePoint now);
  const MailtrapCounts& counts() const { return counts_; }
  const std::string& account() const { return options_.account; }

  size_t tracked() const { return messages_.size(); }
  // sent_at of the oldest tracked message still enqueued, if any.
  std::optional<std::int64_t> OldestEnqueuedSentAtMs() const;
  void set_options(const MailtrapStateOptions& options) { options_ = options; }
  std::uint64_t changes() const { return changes_; }

 private:
  friend class MailtrapStateCodec;  // the state file (mailtrap_state_codec.h)

  // Kept small: a busy account tracks a million of these (48 bytes each,
  // see message_table.h). Label sets and statuses are interned; a message
  // holds their indices. Counts saturate at 2^32 - 1.
  static constexpr std::uint8_t kNoStatus = 0xFF;
  static constexpr size_t kMaxStatuses = 16;  // one bit each in statuses_seen; Mailtrap documents four
  static constexpr std::uint32_t kMaxEvents = 0xFFFF;  // more are counted again on each fetch
  // A sent_at this far past the exporter's clock is not clock skew.
  static constexpr std::chrono::hours kMaxClockSkew{24};
  struct Message {
    MessageKey key;  // KeyFor(message_id)
    std::int64_t sent_at_ms = 0;
    std::uint32_t opens = 0;
    std::uint32_t clicks = 0;
    std::uint32_t label_set = 0;       // index into counts_.label_sets: domain, stream, category
    std::uint32_t events_at = 0;       // EventKey of each counted event: a run in event_keys_
    std::uint16_t event_count = 0;
    std::uint16_t statuses_seen = 0;   // bit i: counts_.statuses[i] counted
    std::uint8_t status = kNoStatus;   // index into counts_.statuses
    bool detail_queued : 1 = false;
    bool detail_fetched : 1 = false;
    bool delay_observed : 1 = false;
  };
  static_assert(sizeof(Message) == 48, "a tracked message's row; memory_bench's figure depends on it");

  // Mailtrap's message ids are lowercase UUIDs: their 128 bits are the key,
  // and the id is written back from it for a detail request. Any other id
  // is hashed and kept whole in irregular_ids_.
  static MessageKey KeyFor(std::string_view message_id);
  MessageKey RememberedKeyFor(const std::string& message_id);  // KeyFor, keeping an irregular id
  std::string IdOf(const MessageKey& key) const;

  const std::string& StatusName(std::uint8_t status) const;
  std::optional<std::uint8_t> FindStatus(std::string_view name) const;
  std::uint32_t LabelSetOf(const events::OutboundSighting& message, const std::map<std::int64_t, std::string>& domain_names);
  std::uint8_t InternStatus(const std::string& folded);
  std::uint8_t StatusOf(std::string_view raw);
  // Messages sent before this are not kept: evicted, and not counted when read.
  std::int64_t RetentionCutoffMs(TimePoint now) const { return ToUnixMillis(now) - options_.retention.count(); }
  // True (and logged) for a message sent before what the state keeps.
  bool SentBeforeRetention(const events::OutboundSighting& seen, TimePoint now);
  void ApplyMessage(const events::OutboundSighting& message, const std::map<std::int64_t, std::string>& domain_names, TimePoint now);
  void ConsiderDetail(Message& msg, std::uint8_t status, bool changed, TimePoint now);
  void QueueDetail(Message& msg, TimePoint now);
  void CountEvent(Message& msg, const events::DeliveryEvent& event, std::uint32_t mailbox_provider);
  std::uint32_t MailboxProviderOf(const events::MessageHistory& detail);
  void AppendEvent(Message& msg, std::uint64_t key);
  const std::string& FoldLabel(LabelFolder& folder, const char* label, const std::string& raw);
  void CountStatus(Message& msg, std::uint8_t status);      // moves the gauge, counts once
  void CountStatusSeen(Message& msg, std::uint8_t status);  // counts once, gauge untouched
  void CountEngagement(Message& msg, const events::OutboundSighting& seen);
  void MoveGauge(std::uint32_t label_set, std::uint8_t from, std::uint8_t to);
  // Drops messages for which `drop` is true, moving their gauges, and packs
  // messages_ and event_keys_ again.
  template <typename Drop>
  void RemoveIf(Drop drop);
  void DropDetailsOfUntracked();

  MailtrapStateOptions options_;
  MessageTable<Message> messages_;
  IdRuns event_keys_;
  std::map<MessageKey, std::string> irregular_ids_;  // ids that are not lowercase UUIDs
  // Label set by raw domain, stream and category, so a new message costs one
  // hash lookup instead of folding three labels and searching a map of label
  // vectors: ingest 1.50M -> 1.78M messages/s (ingest_bench). Bounded: past
  // kMaxRawLabelSets raw sets go the long way.
  static constexpr size_t kMaxRawLabelSets = 10'000;
  std::unordered_map<std::string, std::uint32_t> label_set_by_raw_;
  std::string raw_key_;  // scratch for the lookup above
  std::vector<std::pair<std::string, std::uint8_t>> raw_statuses_;  // as sent -> index; a cache
  MailtrapCounts counts_;
  LabelFolder domains_, streams_, categories_, statuses_, bounce_categories_, mailbox_providers_;
  DetailQueue details_;
  std::set<std::string> unknown_event_types_;  // logged once each
  TrackingLimitWarning limit_warning_;
  WarningGate stale_warning_;  // SentBeforeRetention's
  std::uint64_t changes_ = 0;
};

}  // namespace ele
