#include "exporter/state/mailtrap_state.h"

#include <algorithm>

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

m::LabelValues MailtrapState::LabelsFor(const mailtrap::Message& message, const std::map<std::int64_t, std::string>& domain_names) {
  std::string domain;
  if (message.sending_domain) {
    auto it = domain_names.find(*message.sending_domain);
    domain = it != domain_names.end() ? it->second : std::to_string(*message.sending_domain);
  }
  std::string category;
  if (!options_.categories.empty()) {
    const bool allowed = message.category && std::find(options_.categories.begin(), options_.categories.end(), *message.category) != options_.categories.end();
    category = allowed ? *message.category : "other";
  }
  return {options_.account, FoldLabel(domains_, "domain", domain), FoldLabel(streams_, "stream", message.sending_stream),
          FoldLabel(categories_, "category", category)};
}

void MailtrapState::ApplyPage(const std::vector<mailtrap::Message>& messages, const std::map<std::int64_t, std::string>& domain_names,
                              TimePoint now) {
  for (const auto& message : messages) ApplyMessage(message, domain_names, now);
}

void MailtrapState::ApplyMessage(const mailtrap::Message& seen, const std::map<std::int64_t, std::string>& domain_names, TimePoint now) {
  auto [it, is_new] = messages_.try_emplace(seen.message_id);
  Message& msg = it->second;
  if (is_new) {
    msg.sent_at_ms = seen.sent_at_ms;
    msg.label_set = InternLabels(LabelsFor(seen, domain_names));
  }
  const std::uint64_t changes_before = changes_;
  const std::uint8_t status = StatusOf(seen.status);
  // A copy: interning "delivered" below may grow status_names_.
  const std::string status_name = StatusName(status);
  // `opted_out` replaces an earlier `delivered` (an unsubscribe or complaint
  // needs a delivered message): a message first seen opted out, or seen
  // enqueued and then opted out, was delivered in between.
  if (status_name == "opted_out") CountStatusSeen(msg, StatusOf("delivered"));
  CountStatus(msg, status);
  CountEngagement(msg, seen);
  ConsiderDetail(msg, seen.message_id, status_name, changes_ != changes_before, now);
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

void MailtrapState::ConsiderDetail(Message& msg, const std::string& id, const std::string& status, bool changed, TimePoint now) {
  if (!changed || msg.detail_queued) return;
  bool wanted = false;
  switch (options_.events) {
    case EventsMode::kOff: return;
    case EventsMode::kAll: wanted = status != "enqueued"; break;
    case EventsMode::kFailures: wanted = msg.detail_fetched || status == "not_delivered" || status == "opted_out"; break;
  }
  if (wanted) QueueDetail(msg, id, now);
}

void MailtrapState::QueueDetail(Message& msg, const std::string& id, TimePoint now) {
  msg.detail_queued = true;
  detail_queue_.push_back(PendingDetail{id, ToUnixMillis(now), 0});
  ++changes_;
}

void MailtrapState::QueueLongEnqueued(TimePoint now) {
  if (options_.events != EventsMode::kFailures) return;
  const std::int64_t before = ToUnixMillis(now - kLongEnqueued);
  for (auto& [id, msg] : messages_) {
    if (StatusName(msg.status) == "enqueued" && msg.sent_at_ms < before && !msg.detail_fetched && !msg.detail_queued) QueueDetail(msg, id, now);
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

void MailtrapState::ApplyDetail(const mailtrap::MessageDetail& detail) {
  if (detail_queue_.empty()) return;
  const std::string id = std::move(detail_queue_.front().message_id);
  detail_queue_.pop_front();
  ++changes_;
  auto it = messages_.find(id);
  if (it == messages_.end()) return;  // evicted meanwhile
  Message& msg = it->second;
  msg.detail_queued = false;
  msg.detail_fetched = true;
  std::map<std::pair<std::string_view, std::int64_t>, int> occurrences;
  for (const mailtrap::Event& event : detail.events) {
    const int n = occurrences[{event.type_name, event.created_at_ms}]++;
    const std::uint64_t key = EventKey(event.type_name, event.created_at_ms, n);
    if (std::find(msg.events_counted.begin(), msg.events_counted.end(), key) != msg.events_counted.end()) continue;
    msg.events_counted.push_back(key);
    CountEvent(msg, event);
  }
}

void MailtrapState::CountEvent(Message& msg, const mailtrap::Event& event) {
  using mailtrap::EventType;
  if (event.type == EventType::kOther && unknown_event_types_.insert(event.type_name).second) {
    LogWarn("unknown Mailtrap event type; counted as \"other\"", {{"provider", "mailtrap"}, {"account", options_.account}, {"event_type", event.type_name}});
  }
  const m::LabelValues& message_labels = Labels(msg);
  m::LabelValues labels = message_labels;
  labels.emplace_back(mailtrap::EventTypeName(event.type));
  counters_.Inc(m::kMtEventsTotal, labels);
  const m::LabelValues delivery_labels = {message_labels[0], message_labels[1], message_labels[2]};  // account, domain, stream
  if (event.type == EventType::kBounce || event.type == EventType::kSoftBounce) {
    const std::string& category = FoldLabel(bounce_categories_, "bounce_category", Lowercase(event.bounce_category.value_or("")));
    counters_.Inc(m::kMtBouncesTotal, {message_labels[0], message_labels[1], message_labels[2], category});
  }
  if (event.type == EventType::kDelivery && !msg.delay_observed) {
    msg.delay_observed = true;
    counters_.Observe(m::kMtDeliveryDelay, delivery_labels, std::max<double>(0, static_cast<double>(event.created_at_ms - msg.sent_at_ms) / 1000.0));
  }
}

void MailtrapState::DropDetail() {
  if (detail_queue_.empty()) return;
  if (auto it = messages_.find(detail_queue_.front().message_id); it != messages_.end()) it->second.detail_queued = false;
  detail_queue_.pop_front();
  ++changes_;
}

void MailtrapState::PostponeDetail() {
  if (detail_queue_.empty()) return;
  PendingDetail item = std::move(detail_queue_.front());
  detail_queue_.pop_front();
  if (++item.failures >= 3) {
    LogWarn("giving up on a message detail that keeps coming back malformed", {{"provider", "mailtrap"}, {"account", options_.account}});
    if (auto it = messages_.find(item.message_id); it != messages_.end()) it->second.detail_queued = false;
  } else {
    detail_queue_.push_back(std::move(item));
  }
  ++changes_;
}

void MailtrapState::CountStatus(Message& msg, std::uint8_t status) {
  if (msg.status == status) return;
  ++changes_;
  MoveGauge(Labels(msg), StatusName(msg.status), StatusName(status));
  msg.status = status;
  CountStatusSeen(msg, status);
}

void MailtrapState::CountStatusSeen(Message& msg, std::uint8_t status) {
  const std::uint64_t bit = std::uint64_t{1} << status;
  if (msg.statuses_seen & bit) return;
  ++changes_;
  msg.statuses_seen |= bit;
  m::LabelValues labels = Labels(msg);
  labels.push_back(StatusName(status));
  counters_.Inc(m::kMtMessagesTotal, labels);
}

void MailtrapState::CountEngagement(Message& msg, const mailtrap::Message& seen) {
  if (seen.opens_count <= msg.opens && seen.clicks_count <= msg.clicks) return;  // the common case: unchanged
  ++changes_;
  const m::LabelValues& labels = Labels(msg);
  if (seen.opens_count > msg.opens) {
    if (msg.opens == 0) counters_.Inc(m::kMtOpenedMessagesTotal, labels);
    counters_.Inc(m::kMtOpensTotal, labels, static_cast<double>(seen.opens_count - msg.opens));
    msg.opens = seen.opens_count;
  }
  if (seen.clicks_count > msg.clicks) {
    if (msg.clicks == 0) counters_.Inc(m::kMtClickedMessagesTotal, labels);
    counters_.Inc(m::kMtClicksTotal, labels, static_cast<double>(seen.clicks_count - msg.clicks));
    msg.clicks = seen.clicks_count;
  }
}

void MailtrapState::MoveGauge(const m::LabelValues& labels, const std::string& from, const std::string& to) {
  m::LabelValues key = labels;
  key.emplace_back();
  if (!from.empty()) {
    key.back() = from;
    current_[key] -= 1;
  }
  if (!to.empty()) {
    key.back() = to;
    current_[key] += 1;
  }
}

std::optional<std::int64_t> MailtrapState::OldestEnqueuedSentAtMs() const {
  std::optional<std::int64_t> oldest;
  for (const auto& [id, msg] : messages_) {
    if (StatusName(msg.status) == "enqueued" && (!oldest || msg.sent_at_ms < *oldest)) oldest = msg.sent_at_ms;
  }
  return oldest;
}

void MailtrapState::Evict(TimePoint now) {
  const std::int64_t cutoff = ToUnixMillis(now) - options_.retention.count();
  std::erase_if(messages_, [&](auto& item) {
    if (item.second.sent_at_ms >= cutoff) return false;
    MoveGauge(Labels(item.second), StatusName(item.second.status), "");
    return true;
  });
  std::erase_if(detail_queue_, [&](const PendingDetail& d) { return !messages_.contains(d.message_id); });
  if (static_cast<std::int64_t>(messages_.size()) <= options_.max_tracked_messages) return;
  limit_warning_.MaybeWarn(now, "mailtrap", options_.account, messages_.size(), options_.max_tracked_messages);
  std::vector<std::pair<std::int64_t, std::string>> by_age;
  for (const auto& [id, msg] : messages_) by_age.emplace_back(msg.sent_at_ms, id);
  const size_t excess = messages_.size() - static_cast<size_t>(options_.max_tracked_messages);
  limit_evictions_ += excess;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<long>(excess), by_age.end());
  for (size_t i = 0; i < excess; ++i) {
    auto it = messages_.find(by_age[i].second);
    MoveGauge(Labels(it->second), StatusName(it->second.status), "");
    messages_.erase(it);
  }
  std::erase_if(detail_queue_, [&](const PendingDetail& d) { return !messages_.contains(d.message_id); });
}

void MailtrapState::ExportMetrics(m::MetricSet& out) const {
  counters_.CopyInto(out);
  for (const auto& [labels, count] : current_) out.Set(m::kMtMessages, labels, static_cast<double>(count));
  for (const auto& [label, n] : overflow_) out.Inc(m::kLabelOverflowTotal, {"mailtrap", options_.account, label}, static_cast<double>(n));
  out.Inc(m::kLimitEvictionsTotal, {"mailtrap", options_.account}, static_cast<double>(limit_evictions_));
}

void MailtrapState::Encode(BinaryWriter& out) const {
  EncodeMetricSet(counters_, out);
  for (const LabelFolder* folder : {&domains_, &streams_, &categories_, &statuses_, &bounce_categories_}) EncodeLabelFolder(*folder, out);
  EncodeOverflowCounts(overflow_, out);
  out.U64(label_sets_.size());
  for (const auto& labels : label_sets_) EncodeStrings(labels, out);
  EncodeStrings(status_names_, out);
  out.U64(messages_.size());
  for (const auto& [id, msg] : messages_) {
    out.Str(id);
    out.I64(msg.sent_at_ms);
    out.I64(msg.opens);
    out.I64(msg.clicks);
    out.U64(msg.label_set);
    out.U64(msg.status);
    out.U64(msg.statuses_seen);
    out.Bool(msg.detail_queued);
    out.Bool(msg.detail_fetched);
    out.Bool(msg.delay_observed);
    out.U64(msg.events_counted.size());
    for (std::uint64_t key : msg.events_counted) out.U64(key);
  }
  out.U64(detail_queue_.size());
  for (const PendingDetail& d : detail_queue_) {
    out.Str(d.message_id);
    out.I64(d.queued_at_ms);
    out.I64(d.failures);
  }
}

bool MailtrapState::Decode(BinaryReader& in) {
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
  if (!in.Count(&n)) return false;
  messages_.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string id;
    Message msg;
    std::uint64_t events = 0;
    std::uint64_t label_set = 0, status = 0;
    if (!in.Str(&id) || !in.I64(&msg.sent_at_ms) || !in.I64(&msg.opens) || !in.I64(&msg.clicks) || !in.U64(&label_set) ||
        label_set >= label_sets_.size() || !in.U64(&status) || (status >= status_names_.size() && status != kNoStatus) ||
        !in.U64(&msg.statuses_seen) || !in.Bool(&msg.detail_queued) || !in.Bool(&msg.detail_fetched) || !in.Bool(&msg.delay_observed) || !in.Count(&events)) {
      return false;
    }
    msg.events_counted.resize(events);
    for (std::uint64_t& key : msg.events_counted) {
      if (!in.U64(&key)) return false;
    }
    msg.label_set = static_cast<std::uint32_t>(label_set);
    msg.status = static_cast<std::uint8_t>(status);
    MoveGauge(Labels(msg), "", StatusName(msg.status));
    messages_.emplace(std::move(id), std::move(msg));
  }
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    PendingDetail d;
    std::int64_t failures = 0;
    if (!in.Str(&d.message_id) || !in.I64(&d.queued_at_ms) || !in.I64(&failures)) return false;
    d.failures = static_cast<int>(failures);
    detail_queue_.push_back(std::move(d));
  }
  return in.ok();
}

}  // namespace ele
