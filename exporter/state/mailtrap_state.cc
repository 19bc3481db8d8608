#include "exporter/state/mailtrap_state.h"

#include <algorithm>
#include <array>
#include <limits>

#include "exporter/log/logger.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/state/state_codec.h"

namespace ele {

namespace m = metrics;

MailtrapState::MailtrapState(MailtrapStateOptions options)
    : options_(std::move(options)),
      domains_(options_.label_value_limit),
      streams_(options_.label_value_limit),
      categories_(options_.label_value_limit),
      statuses_(options_.label_value_limit),
      bounce_categories_(options_.label_value_limit) {}

const std::string& MailtrapState::FoldLabel(LabelFolder& folder, const char* label, const std::string& raw) {
  return FoldCounted(folder, label, raw, overflow_, "mailtrap", options_.account);
}

namespace {

// Marks the compact blob layout; the legacy one began with a descriptor id,
// always smaller, so either is recognised (and older builds refuse this one).
constexpr std::uint64_t kCompactLayout = 0x4D54'5250;  // "MTRP"

constexpr std::uint64_t kQueuedBit = 1, kFetchedBit = 2, kDelayBit = 4;  // Message flags in the state file

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
  const std::uint32_t label_set = InternLabels({options_.account, FoldLabel(domains_, "domain", *domain_name),
                                                FoldLabel(streams_, "stream", message.sending_stream), FoldLabel(categories_, "category", *category)});
  if (label_set_by_raw_.size() < kMaxRawLabelSets) label_set_by_raw_.emplace(raw_key_, label_set);
  return label_set;
}

m::Series& MailtrapState::Cached(const m::Desc& desc, std::uint32_t label_set, std::uint8_t status) {
  return series_.Find(counters_, desc, static_cast<std::uint64_t>(label_set) << 8 | status, [&] {
    m::LabelValues labels = label_sets_[label_set];
    if (status != kNoStatus) labels.push_back(StatusName(status));
    return labels;
  });
}

void MailtrapState::ApplyPage(const std::vector<events::OutboundSighting>& messages, const std::map<std::int64_t, std::string>& domain_names,
                              TimePoint now) {
  for (const auto& message : messages) ApplyMessage(message, domain_names, now);
}

void MailtrapState::ApplyMessage(const events::OutboundSighting& seen, const std::map<std::int64_t, std::string>& domain_names, TimePoint now) {
  bool is_new = false;
  Message& msg = messages_.FindOrInsert(RememberedKeyFor(seen.message_id), &is_new);
  if (is_new) {
    msg.sent_at_ms = seen.sent_at_ms;
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

// New label sets get their engagement counters at zero, so rate() and
// alerts see them before their first open.
std::uint32_t MailtrapState::InternLabels(m::LabelValues labels) {
  auto [it, is_new] = label_set_index_.try_emplace(labels, static_cast<std::uint32_t>(label_sets_.size()));
  if (is_new) {
    for (const m::Desc* d : {&m::kMtOpensTotal, &m::kMtClicksTotal, &m::kMtOpenedMessagesTotal, &m::kMtClickedMessagesTotal}) {
      counters_.At(*d, labels);
    }
    label_sets_.push_back(std::move(labels));
  }
  return it->second;
}

// Past kMaxStatuses distinct statuses (Mailtrap documents four) the rest
// count as "other", like any label past its limit.
std::uint8_t MailtrapState::InternStatus(const std::string& folded) {
  auto index_of = [&](const std::string& name) -> std::optional<std::uint8_t> {
    for (size_t i = 0; i < status_names_.size(); ++i) {
      if (status_names_[i] == name) return static_cast<std::uint8_t>(i);
    }
    return std::nullopt;
  };
  if (auto i = index_of(folded)) return *i;
  const std::string& name = status_names_.size() + 1 < kMaxStatuses ? folded : LabelFolder::kOther;
  if (auto i = index_of(name)) return *i;
  status_names_.push_back(name);
  return static_cast<std::uint8_t>(status_names_.size() - 1);
}

const std::string& MailtrapState::StatusName(std::uint8_t status) const {
  static const std::string kNone;
  return status < status_names_.size() ? status_names_[status] : kNone;
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
  detail_queue_.push_back(QueuedDetail{msg.key, ToUnixMillis(now), 0});
  ++changes_;
}

std::optional<PendingDetail> MailtrapState::NextDetail() const {
  if (detail_queue_.empty()) return std::nullopt;
  const QueuedDetail& front = detail_queue_.front();
  return PendingDetail{IdOf(front.key), front.queued_at_ms, front.failures};
}

std::optional<std::uint8_t> MailtrapState::FindStatus(std::string_view name) const {
  for (size_t i = 0; i < status_names_.size(); ++i) {
    if (status_names_[i] == name) return static_cast<std::uint8_t>(i);
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
  if (detail_queue_.empty()) return;
  const MessageKey key = detail_queue_.front().key;
  detail_queue_.pop_front();
  ++changes_;
  Message* found = messages_.Find(key);
  if (found == nullptr) return;  // evicted meanwhile
  Message& msg = *found;
  msg.detail_queued = false;
  msg.detail_fetched = true;
  std::map<std::pair<std::string_view, std::int64_t>, int> occurrences;
  for (const events::DeliveryEvent& event : detail.events) {
    const int n = occurrences[{event.type_name, event.created_at_ms}]++;
    const std::uint64_t event_key = EventKey(event.type_name, event.created_at_ms, n);
    if (event_keys_.Contains(msg.events_at, msg.event_count, event_key)) continue;
    AppendEvent(msg, event_key);
    CountEvent(msg, event);
  }
}

// Past kMaxEvents a message's event keys are no longer remembered.
void MailtrapState::AppendEvent(Message& msg, std::uint64_t key) {
  if (msg.event_count >= kMaxEvents) return;
  // Repacking drops nothing here, so `msg` stays where it is.
  if (event_keys_.WantsRepack()) RemoveIf([](const Message&) { return false; });
  msg.events_at = event_keys_.Append(msg.events_at, msg.event_count, key);
  ++msg.event_count;
}

void MailtrapState::CountEvent(Message& msg, const events::DeliveryEvent& event) {
  using events::DeliveryEventType;
  if (event.type == DeliveryEventType::kOther && unknown_event_types_.insert(event.type_name).second) {
    LogWarn("unknown Mailtrap event type; counted as \"other\"", {{"provider", "mailtrap"}, {"account", options_.account}, {"event_type", event.type_name}});
  }
  const m::LabelValues& message_labels = Labels(msg);
  m::LabelValues labels = message_labels;
  labels.emplace_back(events::DeliveryEventTypeName(event.type));
  counters_.Inc(m::kMtEventsTotal, labels);
  const m::LabelValues delivery_labels = {message_labels[0], message_labels[1], message_labels[2]};  // account, domain, stream
  if (event.type == DeliveryEventType::kBounce || event.type == DeliveryEventType::kSoftBounce) {
    const std::string& category = FoldLabel(bounce_categories_, "bounce_category", Lowercase(event.bounce_category.value_or("")));
    counters_.Inc(m::kMtBouncesTotal, {message_labels[0], message_labels[1], message_labels[2], category});
  }
  if (event.type == DeliveryEventType::kDelivery && !msg.delay_observed) {
    msg.delay_observed = true;
    counters_.Observe(m::kMtDeliveryDelay, delivery_labels, std::max<double>(0, static_cast<double>(event.created_at_ms - msg.sent_at_ms) / 1000.0));
  }
}

void MailtrapState::DropDetail() {
  if (detail_queue_.empty()) return;
  if (Message* msg = messages_.Find(detail_queue_.front().key)) msg->detail_queued = false;
  detail_queue_.pop_front();
  ++changes_;
}

void MailtrapState::PostponeDetail() {
  if (detail_queue_.empty()) return;
  QueuedDetail item = detail_queue_.front();
  detail_queue_.pop_front();
  if (++item.failures >= 3) {
    LogWarn("giving up on a message detail that keeps coming back malformed", {{"provider", "mailtrap"}, {"account", options_.account}});
    if (Message* msg = messages_.Find(item.key)) msg->detail_queued = false;
  } else {
    detail_queue_.push_back(item);
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
  Cached(m::kMtMessagesTotal, msg.label_set, status).value += 1;
}

void MailtrapState::CountEngagement(Message& msg, const events::OutboundSighting& seen) {
  const std::uint32_t opens = Saturate32(seen.opens_count), clicks = Saturate32(seen.clicks_count);
  if (opens <= msg.opens && clicks <= msg.clicks) return;  // the common case: unchanged
  ++changes_;
  if (opens > msg.opens) {
    if (msg.opens == 0) Cached(m::kMtOpenedMessagesTotal, msg.label_set).value += 1;
    Cached(m::kMtOpensTotal, msg.label_set).value += opens - msg.opens;
    msg.opens = opens;
  }
  if (clicks > msg.clicks) {
    if (msg.clicks == 0) Cached(m::kMtClickedMessagesTotal, msg.label_set).value += 1;
    Cached(m::kMtClicksTotal, msg.label_set).value += clicks - msg.clicks;
    msg.clicks = clicks;
  }
}

void MailtrapState::MoveGauge(std::uint32_t label_set, std::uint8_t from, std::uint8_t to) {
  if (from != kNoStatus) current_[{label_set, from}] -= 1;
  if (to != kNoStatus) current_[{label_set, to}] += 1;
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
  std::erase_if(detail_queue_, [&](const QueuedDetail& d) { return messages_.Find(d.key) == nullptr; });
}

void MailtrapState::Evict(TimePoint now) {
  const std::int64_t cutoff = ToUnixMillis(now) - options_.retention.count();
  RemoveIf([&](const Message& msg) { return msg.sent_at_ms < cutoff; });
  if (static_cast<std::int64_t>(messages_.size()) > options_.max_tracked_messages) {
    limit_warning_.MaybeWarn(now, "mailtrap", options_.account, messages_.size(), options_.max_tracked_messages);
    const size_t excess = messages_.size() - static_cast<size_t>(options_.max_tracked_messages);
    limit_evictions_ += excess;
    const std::vector<bool> drop = OldestRows(messages_, excess, [](const Message& msg) { return msg.sent_at_ms; });
    size_t position = 0;
    RemoveIf([&](const Message&) { return drop[position++]; });
  }
  DropDetailsOfUntracked();
}

void MailtrapState::ExportMetrics(m::MetricSet& out) const {
  counters_.CopyInto(out);
  for (const auto& [key, count] : current_) {
    m::LabelValues labels = label_sets_[key.first];
    labels.push_back(StatusName(key.second));
    out.Set(m::kMtMessages, labels, static_cast<double>(count));
  }
  for (const auto& [label, n] : overflow_) out.Inc(m::kLabelOverflowTotal, {"mailtrap", options_.account, label}, static_cast<double>(n));
  out.Inc(m::kLimitEvictionsTotal, {"mailtrap", options_.account}, static_cast<double>(limit_evictions_));
}

// --- the state file -------------------------------------------------------------
//
// Compact layout: marker, counters, label folders, overflow, label sets,
// status names, then per message its key (16 raw bytes), sent_at, counts and
// indices as varints, flags, and its event keys (8 raw bytes each); then
// the irregular ids and the detail queue. About 30 bytes a message; the
// legacy layout (the id as a string, every field a varint) took about 64.

void MailtrapState::Encode(BinaryWriter& out) const {
  out.U64(kCompactLayout);
  EncodeMetricSet(counters_, out);
  for (const LabelFolder* folder : {&domains_, &streams_, &categories_, &statuses_, &bounce_categories_}) EncodeLabelFolder(*folder, out);
  EncodeOverflowCounts(overflow_, out);
  out.U64(label_sets_.size());
  for (const auto& labels : label_sets_) EncodeStrings(labels, out);
  EncodeStrings(status_names_, out);
  out.Reserve(messages_.size() * 32 + event_keys_.size() * 8);
  out.U64(messages_.size());
  for (const Message& msg : messages_) {
    out.Fixed64(msg.key[0]);
    out.Fixed64(msg.key[1]);
    out.I64(msg.sent_at_ms);
    out.U64(msg.opens);
    out.U64(msg.clicks);
    out.U64(msg.label_set);
    out.U64(msg.status);
    out.U64(msg.statuses_seen);
    out.U64((msg.detail_queued ? kQueuedBit : 0) | (msg.detail_fetched ? kFetchedBit : 0) | (msg.delay_observed ? kDelayBit : 0));
    out.U64(msg.event_count);
    for (std::uint64_t key : event_keys_.Run(msg.events_at, msg.event_count)) out.Fixed64(key);
  }
  out.U64(irregular_ids_.size());
  for (const auto& [key, id] : irregular_ids_) {
    out.Fixed64(key[0]);
    out.Fixed64(key[1]);
    out.Str(id);
  }
  out.U64(detail_queue_.size());
  for (const QueuedDetail& d : detail_queue_) {
    out.Fixed64(d.key[0]);
    out.Fixed64(d.key[1]);
    out.I64(d.queued_at_ms);
    out.I64(d.failures);
  }
}

bool MailtrapState::Decode(BinaryReader& in) {
  BinaryReader peek = in;
  std::uint64_t layout = 0;
  const bool compact = peek.U64(&layout) && layout == kCompactLayout;
  if (compact) in = peek;
  std::uint64_t n = 0;
  if (!DecodeMetricSet(in, &counters_)) return false;
  for (LabelFolder* folder : {&domains_, &streams_, &categories_, &statuses_, &bounce_categories_}) {
    if (!DecodeLabelFolder(in, folder)) return false;
  }
  if (!DecodeOverflowCounts(in, &overflow_) || !in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    m::LabelValues labels;
    if (!DecodeStrings(in, &labels) || labels.size() != 4) return false;
    label_set_index_.emplace(labels, static_cast<std::uint32_t>(label_sets_.size()));
    label_sets_.push_back(std::move(labels));
  }
  if (!DecodeStrings(in, &status_names_) || status_names_.size() > kMaxStatuses) return false;
  if (!(compact ? DecodeMessages(in) : DecodeLegacyMessages(in))) return false;
  if (!messages_.Reindex()) return false;  // two messages with one key
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    QueuedDetail d;
    std::string legacy_id;
    std::int64_t failures = 0;
    if (compact ? !in.Fixed64(&d.key[0]) || !in.Fixed64(&d.key[1]) : !in.Str(&legacy_id)) return false;
    if (!compact) d.key = KeyFor(legacy_id);
    if (!in.I64(&d.queued_at_ms) || !in.I64(&failures) || !PlausibleUnixMs(d.queued_at_ms) || failures < 0 || failures >= 3) return false;
    d.failures = static_cast<int>(failures);
    if (messages_.Find(d.key) != nullptr) detail_queue_.push_back(d);  // else nothing left to fetch it for
  }
  return in.ok();
}

bool MailtrapState::DecodeMessages(BinaryReader& in) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  messages_.Reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    Message& msg = messages_.Append();
    std::uint64_t opens = 0, clicks = 0, label_set = 0, status = 0, seen = 0, flags = 0, events = 0;
    if (!in.Fixed64(&msg.key[0]) || !in.Fixed64(&msg.key[1]) || !in.I64(&msg.sent_at_ms) || !in.U64(&opens) || !in.U64(&clicks) ||
        !in.U64(&label_set) || !in.U64(&status) || !in.U64(&seen) || !in.U64(&flags) || !in.Count(&events) || !PlausibleUnixMs(msg.sent_at_ms)) {
      return false;
    }
    if (opens > std::numeric_limits<std::uint32_t>::max() || clicks > std::numeric_limits<std::uint32_t>::max() ||
        label_set >= label_sets_.size() || (status >= status_names_.size() && status != kNoStatus) || seen >= (1u << kMaxStatuses) ||
        flags > (kQueuedBit | kFetchedBit | kDelayBit) || events > kMaxEvents) {
      return false;
    }
    msg.opens = static_cast<std::uint32_t>(opens);
    msg.clicks = static_cast<std::uint32_t>(clicks);
    msg.label_set = static_cast<std::uint32_t>(label_set);
    msg.status = static_cast<std::uint8_t>(status);
    msg.statuses_seen = static_cast<std::uint16_t>(seen);
    msg.detail_queued = (flags & kQueuedBit) != 0;
    msg.detail_fetched = (flags & kFetchedBit) != 0;
    msg.delay_observed = (flags & kDelayBit) != 0;
    msg.event_count = static_cast<std::uint16_t>(events);
    msg.events_at = event_keys_.end();
    for (std::uint64_t e = 0; e < events; ++e) {
      std::uint64_t key = 0;
      if (!in.Fixed64(&key)) return false;
      event_keys_.Push(key);
    }
    MoveGauge(msg.label_set, kNoStatus, msg.status);
  }
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    MessageKey key;
    std::string id;
    if (!in.Fixed64(&key[0]) || !in.Fixed64(&key[1]) || !in.Str(&id)) return false;
    irregular_ids_.emplace(key, std::move(id));
  }
  return true;
}

// The layout before the compact one: the message id as a string, statuses
// seen as 64 bits, event keys as varints.
bool MailtrapState::DecodeLegacyMessages(BinaryReader& in) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  messages_.Reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string id;
    std::int64_t sent_at = 0, opens = 0, clicks = 0;
    std::uint64_t label_set = 0, status = 0, seen = 0, events = 0;
    bool queued = false, fetched = false, delay = false;
    if (!in.Str(&id) || !in.I64(&sent_at) || !in.I64(&opens) || !in.I64(&clicks) || !in.U64(&label_set) || label_set >= label_sets_.size() ||
        !in.U64(&status) || (status >= status_names_.size() && status != kNoStatus) || !in.U64(&seen) || seen >= (1u << kMaxStatuses) ||
        !in.Bool(&queued) || !in.Bool(&fetched) || !in.Bool(&delay) || !in.Count(&events) || !PlausibleUnixMs(sent_at)) {
      return false;
    }
    Message& msg = messages_.Append();
    msg.key = RememberedKeyFor(id);
    msg.sent_at_ms = sent_at;
    msg.opens = Saturate32(opens);
    msg.clicks = Saturate32(clicks);
    msg.label_set = static_cast<std::uint32_t>(label_set);
    msg.status = static_cast<std::uint8_t>(status);
    msg.statuses_seen = static_cast<std::uint16_t>(seen);
    msg.detail_queued = queued;
    msg.detail_fetched = fetched;
    msg.delay_observed = delay;
    msg.events_at = event_keys_.end();
    for (std::uint64_t e = 0; e < events; ++e) {
      std::uint64_t key = 0;
      if (!in.U64(&key)) return false;
      if (e < kMaxEvents) event_keys_.Push(key);
    }
    msg.event_count = static_cast<std::uint16_t>(std::min<std::uint64_t>(events, kMaxEvents));
    MoveGauge(msg.label_set, kNoStatus, msg.status);
  }
  return true;
}

}  // namespace ele
