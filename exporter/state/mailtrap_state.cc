#include "exporter/state/mailtrap_state.h"

#include <algorithm>
#include <array>
#include <limits>

#include "exporter/base/logger.h"

namespace ele {

MailtrapState::MailtrapState(MailtrapStateOptions options)
    : options_(std::move(options)),
      domains_(options_.label_value_limit),
      streams_(options_.label_value_limit),
      categories_(options_.label_value_limit),
      statuses_(options_.label_value_limit),
      bounce_categories_(options_.label_value_limit),
      mailbox_providers_(options_.label_value_limit) {}

const std::string& MailtrapState::FoldLabel(LabelFolder& folder, const char* label, const std::string& raw) {
  return FoldCounted(folder, label, raw, counts_.overflow, "mailtrap", options_.account);
}

namespace {

bool IsUuidDash(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

// Lowercase hex digit values; 0xFF for anything else. A table lookup a
// character made re-reading a known page 8% faster than comparisons
// (ingest_bench, MailtrapReread).
constexpr std::array<std::uint8_t, 256> kHexValue = [] {
  std::array<std::uint8_t, 256> table{};
  table.fill(0xFF);
  for (int c = '0'; c <= '9'; ++c) table[static_cast<size_t>(c)] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) table[static_cast<size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
  return table;
}();

// The 128 bits of a lowercase UUID ("8f14e45f-ceea-467f-a0e6-1c9bd0e1a3b2").
std::optional<MessageKey> UuidBits(std::string_view id) {
  if (id.size() != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-') return std::nullopt;
  MessageKey key{0, 0};
  std::uint8_t invalid = 0;  // one branch for all 32 digits
  size_t nibble = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    if (IsUuidDash(i)) continue;
    const std::uint8_t v = kHexValue[static_cast<unsigned char>(id[i])];
    invalid |= v;
    key[nibble / 16] = key[nibble / 16] << 4 | (v & 0xF);
    ++nibble;
  }
  if (invalid & 0xF0) return std::nullopt;
  return key;
}

std::string UuidText(const MessageKey& key) {
  std::string out(36, '-');
  int nibble = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (IsUuidDash(i)) continue;
    const int shift = 60 - 4 * (nibble % 16);
    out[i] = "0123456789abcdef"[(key[static_cast<size_t>(nibble / 16)] >> shift) & 0xF];
    ++nibble;
  }
  return out;
}

}  // namespace

MessageKey MailtrapState::KeyFor(std::string_view message_id) {
  if (auto uuid = UuidBits(message_id)) return *uuid;
  return HashedKey(message_id);
}

MessageKey MailtrapState::RememberedKeyFor(const std::string& message_id) {
  if (auto uuid = UuidBits(message_id)) return *uuid;
  const MessageKey key = HashedKey(message_id);
  irregular_ids_.try_emplace(key, message_id);
  return key;
}

std::string MailtrapState::IdOf(const MessageKey& key) const {
  auto it = irregular_ids_.find(key);
  return it != irregular_ids_.end() ? it->second : UuidText(key);
}

// The label set of a message's domain, stream and category. The raw values
// are looked up first: folding and interning give the same answer for the
// same raw values every time, so each distinct set is folded once.
std::uint32_t MailtrapState::LabelSetOf(const events::OutboundSighting& message, const std::map<std::int64_t, std::string>& domain_names) {
  std::string domain;
  const std::string* domain_name = &domain;
  if (message.sending_domain) {
    auto it = domain_names.find(*message.sending_domain);
    if (it != domain_names.end()) {
      domain_name = &it->second;
    } else {
      domain = std::to_string(*message.sending_domain);
    }
  }
  static const std::string kNone, kOtherCategory = "other";
  const std::string* category = &kNone;
  if (!options_.categories.empty()) {
    const bool allowed = message.category && std::find(options_.categories.begin(), options_.categories.end(), *message.category) != options_.categories.end();
    category = allowed ? &*message.category : &kOtherCategory;
  }
  raw_key_.clear();
  for (const std::string* part : {domain_name, &message.sending_stream, category}) {  // length-prefixed: no separator to forge
    const auto size = static_cast<std::uint32_t>(part->size());
    raw_key_.append(reinterpret_cast<const char*>(&size), sizeof size).append(*part);
  }
  if (auto it = label_set_by_raw_.find(raw_key_); it != label_set_by_raw_.end()) return it->second;
  const std::uint32_t label_set = counts_.LabelSetId({FoldLabel(domains_, "domain", *domain_name), FoldLabel(streams_, "stream", message.sending_stream),
                                                     FoldLabel(categories_, "category", *category)});
  if (label_set_by_raw_.size() < kMaxRawLabelSets) label_set_by_raw_.emplace(raw_key_, label_set);
  return label_set;
}

void MailtrapState::ApplyPage(const std::vector<events::OutboundSighting>& messages, const std::map<std::int64_t, std::string>& domain_names,
                              TimePoint now) {
  for (const auto& message : messages) ApplyMessage(message, domain_names, now);
}

// sent_at is the API's word. A message sent before what the state keeps
// would be counted, evicted at the cycle's end and counted again at its next
// read; one dated past any clock skew would never be evicted (nor load from
// the state file), so it is kept as sent now.
void MailtrapState::ApplyMessage(const events::OutboundSighting& seen, const std::map<std::int64_t, std::string>& domain_names, TimePoint now) {
  if (SentBeforeRetention(seen, now)) return;
  bool is_new = false;
  Message& msg = messages_.FindOrInsert(RememberedKeyFor(seen.message_id), &is_new);
  if (is_new) {
    msg.sent_at_ms = std::min(seen.sent_at_ms, ToUnixMillis(now + kMaxClockSkew));
    msg.label_set = LabelSetOf(seen, domain_names);
    msg.events_at = event_keys_.end();
  }
  const std::uint64_t changes_before = changes_;
  const std::uint8_t status = StatusOf(seen.status);
  // `opted_out` replaces an earlier `delivered` (an unsubscribe or complaint
  // needs a delivered message): a message first seen opted out, or seen
  // enqueued and then opted out, was delivered in between.
  if (StatusName(status) == "opted_out") CountStatusSeen(msg, StatusOf("delivered"));
  CountStatus(msg, status);
  CountEngagement(msg, seen);
  ConsiderDetail(msg, status, changes_ != changes_before, now);
}

bool MailtrapState::SentBeforeRetention(const events::OutboundSighting& seen, TimePoint now) {
  if (seen.sent_at_ms >= RetentionCutoffMs(now)) return false;
  if (stale_warning_.Open(now)) {
    LogWarn("Mailtrap returned a message sent before the lookback and overlap; not counted",
            {{"account", options_.account}, {"message_id", seen.message_id}, {"sent_at_ms", static_cast<long long>(seen.sent_at_ms)}});
  }
  return true;
}

// The API's status string as an interned index. The few strings an API sends
// are remembered as sent, which saves lowercasing and folding each message
// (about 5% of re-reading a known page, measured with ingest_bench).
std::uint8_t MailtrapState::StatusOf(std::string_view raw) {
  for (const auto& [text, index] : raw_statuses_) {
    if (text == raw) return index;
  }
  const std::uint8_t index = InternStatus(FoldLabel(statuses_, "status", Lowercase(raw)));
  if (raw_statuses_.size() < kMaxStatuses) raw_statuses_.emplace_back(std::string(raw), index);
  return index;
}

// Past kMaxStatuses distinct statuses (Mailtrap documents four) the rest
// count as "other", like any label past its limit.
std::uint8_t MailtrapState::InternStatus(const std::string& folded) {
  if (auto i = FindStatus(folded)) return *i;
  const std::string& name = counts_.statuses.size() + 1 < kMaxStatuses ? folded : LabelFolder::kOther;
  if (auto i = FindStatus(name)) return *i;
  counts_.statuses.push_back(name);
  return static_cast<std::uint8_t>(counts_.statuses.size() - 1);
}

const std::string& MailtrapState::StatusName(std::uint8_t status) const {
  static const std::string kNone;
  return status < counts_.statuses.size() ? counts_.statuses[status] : kNone;
}

void MailtrapState::ConsiderDetail(Message& msg, std::uint8_t status, bool changed, TimePoint now) {
  if (!changed || msg.detail_queued) return;
  const std::string& name = StatusName(status);
  bool wanted = false;
  switch (options_.events) {
    case EventsMode::kOff: return;
    case EventsMode::kAll: wanted = name != "enqueued"; break;
    case EventsMode::kFailures: wanted = msg.detail_fetched || name == "not_delivered" || name == "opted_out"; break;
  }
  if (wanted) QueueDetail(msg, now);
}

void MailtrapState::QueueDetail(Message& msg, TimePoint now) {
  msg.detail_queued = true;
  details_.Push({msg.key, ToUnixMillis(now), 0});
  ++changes_;
}

std::optional<PendingDetail> MailtrapState::NextDetail() const {
  const DetailQueue::Entry* front = details_.Front();
  if (front == nullptr) return std::nullopt;
  return PendingDetail{IdOf(front->key), front->queued_at_ms, front->failures};
}

std::optional<std::uint8_t> MailtrapState::FindStatus(std::string_view name) const {
  for (size_t i = 0; i < counts_.statuses.size(); ++i) {
    if (counts_.statuses[i] == name) return static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

void MailtrapState::QueueLongEnqueued(TimePoint now) {
  const std::optional<std::uint8_t> enqueued = FindStatus("enqueued");
  if (options_.events != EventsMode::kFailures || !enqueued) return;
  const std::int64_t before = ToUnixMillis(now - kLongEnqueued);
  for (Message& msg : messages_) {
    if (msg.status == *enqueued && msg.sent_at_ms < before && !msg.detail_fetched && !msg.detail_queued) QueueDetail(msg, now);
  }
}

namespace {

// Events are only ever appended, so an event is the same one across fetches
// when its type and time are: the n-th event of one type and millisecond
// (two clicks can share one) gets its own key.
std::uint64_t EventKey(std::string_view type, std::int64_t created_at_ms, int occurrence) {
  std::uint64_t h = std::hash<std::string_view>{}(type);
  for (std::uint64_t part : {static_cast<std::uint64_t>(created_at_ms), static_cast<std::uint64_t>(occurrence)}) {
    h ^= part + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  }
  return h;
}

}  // namespace

void MailtrapState::ApplyDetail(const events::MessageHistory& detail) {
  const std::optional<DetailQueue::Entry> front = details_.Pop();
  if (!front) return;
  ++changes_;
  Message* found = messages_.Find(front->key);
  if (found == nullptr) return;  // evicted meanwhile
  Message& msg = *found;
  msg.detail_queued = false;
  msg.detail_fetched = true;
  std::map<std::pair<std::string_view, std::int64_t>, int> occurrences;
  std::optional<std::uint32_t> mailbox_provider;  // folded on the first new event only
  for (const events::DeliveryEvent& event : detail.events) {
    const int n = occurrences[{event.type_name, event.created_at_ms}]++;
    const std::uint64_t event_key = EventKey(event.type_name, event.created_at_ms, n);
    if (event_keys_.Contains(msg.events_at, msg.event_count, event_key)) continue;
    AppendEvent(msg, event_key);
    if (!mailbox_provider) mailbox_provider = MailboxProviderOf(detail);
    CountEvent(msg, event, *mailbox_provider);
  }
}

std::uint32_t MailtrapState::MailboxProviderOf(const events::MessageHistory& detail) {
  const std::string raw = Lowercase(events::NamedMailboxProvider(detail).value_or("unknown"));
  return counts_.mailbox_providers.Id(FoldLabel(mailbox_providers_, "mailbox_provider", raw));
}

// Past kMaxEvents a message's event keys are no longer remembered.
void MailtrapState::AppendEvent(Message& msg, std::uint64_t key) {
  if (msg.event_count >= kMaxEvents) return;
  // Repacking drops nothing here, so `msg` stays where it is.
  if (event_keys_.WantsRepack()) RemoveIf([](const Message&) { return false; });
  msg.events_at = event_keys_.Append(msg.events_at, msg.event_count, key);
  ++msg.event_count;
}

void MailtrapState::CountEvent(Message& msg, const events::DeliveryEvent& event, std::uint32_t mailbox_provider) {
  using events::DeliveryEventType;
  if (event.type == DeliveryEventType::kOther && unknown_event_types_.size() < LabelFolder::kMaxRememberedFolded &&
      unknown_event_types_.insert(event.type_name).second) {
    LogWarn("unknown Mailtrap event type; counted as \"other\"", {{"provider", "mailtrap"}, {"account", options_.account}, {"event_type", event.type_name}});
  }
  counts_.events[{msg.label_set, static_cast<std::uint32_t>(event.type)}] += 1;
  const std::uint32_t route = counts_.route_of[msg.label_set];
  counts_.mailbox_provider_events[{route, mailbox_provider, static_cast<std::uint32_t>(event.type)}] += 1;
  if (event.type == DeliveryEventType::kBounce || event.type == DeliveryEventType::kSoftBounce) {
    const std::string& category = FoldLabel(bounce_categories_, "bounce_category", Lowercase(event.bounce_category.value_or("")));
    counts_.bounces[{route, counts_.bounce_categories.Id(category)}] += 1;
  }
  if (event.type == DeliveryEventType::kDelivery && !msg.delay_observed) {
    msg.delay_observed = true;
    auto [it, is_new] = counts_.delivery_delays.try_emplace(route, buckets::kDelaySeconds.size());
    it->second.Observe(buckets::kDelaySeconds, std::max<double>(0, static_cast<double>(event.created_at_ms - msg.sent_at_ms) / 1000.0));
  }
}

void MailtrapState::DropDetail() {
  const std::optional<DetailQueue::Entry> front = details_.Pop();
  if (!front) return;
  if (Message* msg = messages_.Find(front->key)) msg->detail_queued = false;
  ++changes_;
}

void MailtrapState::PostponeDetail() {
  if (details_.size() == 0) return;
  if (const std::optional<DetailQueue::Entry> given_up = details_.Postpone()) {
    LogWarn("giving up on a message detail that keeps coming back malformed", {{"provider", "mailtrap"}, {"account", options_.account}});
    if (Message* msg = messages_.Find(given_up->key)) msg->detail_queued = false;
  }
  ++changes_;
}

void MailtrapState::CountStatus(Message& msg, std::uint8_t status) {
  if (msg.status == status) return;
  ++changes_;
  MoveGauge(msg.label_set, msg.status, status);
  msg.status = status;
  CountStatusSeen(msg, status);
}

void MailtrapState::CountStatusSeen(Message& msg, std::uint8_t status) {
  const auto bit = static_cast<std::uint16_t>(1u << status);
  if (msg.statuses_seen & bit) return;
  ++changes_;
  msg.statuses_seen = static_cast<std::uint16_t>(msg.statuses_seen | bit);
  counts_.messages[{msg.label_set, status}] += 1;
}

void MailtrapState::CountEngagement(Message& msg, const events::OutboundSighting& seen) {
  const std::uint32_t opens = Saturate32(seen.opens_count), clicks = Saturate32(seen.clicks_count);
  if (opens <= msg.opens && clicks <= msg.clicks) return;  // the common case: unchanged
  ++changes_;
  if (opens > msg.opens) {
    if (msg.opens == 0) counts_.opened[msg.label_set] += 1;
    counts_.opens[msg.label_set] += opens - msg.opens;
    msg.opens = opens;
  }
  if (clicks > msg.clicks) {
    if (msg.clicks == 0) counts_.clicked[msg.label_set] += 1;
    counts_.clicks[msg.label_set] += clicks - msg.clicks;
    msg.clicks = clicks;
  }
}

void MailtrapState::MoveGauge(std::uint32_t label_set, std::uint8_t from, std::uint8_t to) {
  if (from != kNoStatus) counts_.held[{label_set, from}] -= 1;
  if (to != kNoStatus) counts_.held[{label_set, to}] += 1;
}

std::optional<std::int64_t> MailtrapState::OldestEnqueuedSentAtMs() const {
  const std::optional<std::uint8_t> enqueued = FindStatus("enqueued");
  if (!enqueued) return std::nullopt;
  std::optional<std::int64_t> oldest;
  for (const Message& msg : messages_) {
    if (msg.status == *enqueued && (!oldest || msg.sent_at_ms < *oldest)) oldest = msg.sent_at_ms;
  }
  return oldest;
}

template <typename Drop>
void MailtrapState::RemoveIf(Drop drop) {
  event_keys_.BeginRepack();
  messages_.RemoveIf([&](Message& msg) {
    if (drop(msg)) {
      MoveGauge(msg.label_set, msg.status, kNoStatus);
      if (!irregular_ids_.empty()) irregular_ids_.erase(msg.key);
      return true;
    }
    msg.events_at = event_keys_.Keep(msg.events_at, msg.event_count);
    return false;
  });
  event_keys_.EndRepack();
}

void MailtrapState::DropDetailsOfUntracked() {
  details_.DropIf([&](const MessageKey& key) { return messages_.Find(key) == nullptr; });
}

void MailtrapState::Evict(TimePoint now) {
  const std::int64_t cutoff = RetentionCutoffMs(now);
  RemoveIf([&](const Message& msg) { return msg.sent_at_ms < cutoff; });
  if (static_cast<std::int64_t>(messages_.size()) > options_.max_tracked_messages) {
    limit_warning_.MaybeWarn(now, "mailtrap", options_.account, messages_.size(), options_.max_tracked_messages);
    const size_t excess = messages_.size() - static_cast<size_t>(options_.max_tracked_messages);
    counts_.limit_evictions += excess;
    const std::vector<bool> drop = OldestRows(messages_, excess, [](const Message& msg) { return msg.sent_at_ms; });
    size_t position = 0;
    RemoveIf([&](const Message&) { return drop[position++]; });
  }
  DropDetailsOfUntracked();
}

}  // namespace ele
