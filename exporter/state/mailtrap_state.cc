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
      statuses_(options_.label_value_limit) {}

const std::string& MailtrapState::FoldLabel(LabelFolder& folder, const char* label, const std::string& raw) {
  bool newly_folded = false;
  const std::string& value = folder.Fold(raw, &newly_folded);
  if (newly_folded) {
    overflow_[label] += 1;
    LogWarn("label value limit reached; folding into \"other\"", {{"provider", "mailtrap"}, {"account", options_.account}, {"label", label}});
  }
  return value;
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

void MailtrapState::ApplyPage(const std::vector<mailtrap::Message>& messages, const std::map<std::int64_t, std::string>& domain_names) {
  for (const auto& message : messages) ApplyMessage(message, domain_names);
}

void MailtrapState::ApplyMessage(const mailtrap::Message& seen, const std::map<std::int64_t, std::string>& domain_names) {
  auto [it, is_new] = messages_.try_emplace(seen.message_id);
  Message& msg = it->second;
  if (is_new) {
    msg.sent_at_ms = seen.sent_at_ms;
    msg.labels = LabelsFor(seen, domain_names);
    for (const m::Desc* d : {&m::kMtOpensTotal, &m::kMtClicksTotal, &m::kMtOpenedMessagesTotal, &m::kMtClickedMessagesTotal}) {
      counters_.At(*d, msg.labels);
    }
  }
  const std::string status = Lowercase(seen.status);
  // `opted_out` replaces an earlier `delivered` (an unsubscribe or complaint
  // needs a delivered message): a message first seen opted out, or seen
  // enqueued and then opted out, was delivered in between.
  if (status == "opted_out") CountStatusSeen(msg, FoldLabel(statuses_, "status", "delivered"));
  CountStatus(msg, FoldLabel(statuses_, "status", status));
  CountEngagement(msg, seen);
}

void MailtrapState::CountStatus(Message& msg, const std::string& status) {
  if (msg.status == status) return;
  ++changes_;
  MoveGauge(msg.labels, msg.status, status);
  msg.status = status;
  CountStatusSeen(msg, status);
}

void MailtrapState::CountStatusSeen(Message& msg, const std::string& status) {
  if (std::find(msg.statuses_seen.begin(), msg.statuses_seen.end(), status) != msg.statuses_seen.end()) return;
  ++changes_;
  msg.statuses_seen.push_back(status);
  m::LabelValues labels = msg.labels;
  labels.push_back(status);
  counters_.Inc(m::kMtMessagesTotal, labels);
}

void MailtrapState::CountEngagement(Message& msg, const mailtrap::Message& seen) {
  if (seen.opens_count > msg.opens || seen.clicks_count > msg.clicks) ++changes_;
  if (seen.opens_count > msg.opens) {
    if (msg.opens == 0) counters_.Inc(m::kMtOpenedMessagesTotal, msg.labels);
    counters_.Inc(m::kMtOpensTotal, msg.labels, static_cast<double>(seen.opens_count - msg.opens));
    msg.opens = seen.opens_count;
  }
  if (seen.clicks_count > msg.clicks) {
    if (msg.clicks == 0) counters_.Inc(m::kMtClickedMessagesTotal, msg.labels);
    counters_.Inc(m::kMtClicksTotal, msg.labels, static_cast<double>(seen.clicks_count - msg.clicks));
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
    if (msg.status == "enqueued" && (!oldest || msg.sent_at_ms < *oldest)) oldest = msg.sent_at_ms;
  }
  return oldest;
}

void MailtrapState::Evict(TimePoint now) {
  const std::int64_t cutoff = ToUnixMillis(now) - options_.retention.count();
  std::erase_if(messages_, [&](auto& item) {
    if (item.second.sent_at_ms >= cutoff) return false;
    MoveGauge(item.second.labels, item.second.status, "");
    return true;
  });
  if (static_cast<std::int64_t>(messages_.size()) <= options_.max_tracked_messages) return;
  LogWarn("more messages than collection.max_tracked_messages; later changes of the oldest are no longer counted",
          {{"provider", "mailtrap"}, {"account", options_.account}, {"tracked", static_cast<unsigned long>(messages_.size())}});
  std::vector<std::pair<std::int64_t, std::string>> by_age;
  for (const auto& [id, msg] : messages_) by_age.emplace_back(msg.sent_at_ms, id);
  const size_t excess = messages_.size() - static_cast<size_t>(options_.max_tracked_messages);
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<long>(excess), by_age.end());
  for (size_t i = 0; i < excess; ++i) {
    auto it = messages_.find(by_age[i].second);
    MoveGauge(it->second.labels, it->second.status, "");
    messages_.erase(it);
  }
}

void MailtrapState::ExportMetrics(m::MetricSet& out) const {
  counters_.CopyInto(out);
  for (const auto& [labels, count] : current_) out.Set(m::kMtMessages, labels, static_cast<double>(count));
  for (const auto& [label, n] : overflow_) out.Inc(m::kLabelOverflowTotal, {"mailtrap", options_.account, label}, static_cast<double>(n));
}

void MailtrapState::Encode(BinaryWriter& out) const {
  EncodeMetricSet(counters_, out);
  for (const LabelFolder* folder : {&domains_, &streams_, &categories_, &statuses_}) EncodeLabelFolder(*folder, out);
  out.U64(overflow_.size());
  for (const auto& [label, n] : overflow_) {
    out.Str(label);
    out.U64(n);
  }
  out.U64(messages_.size());
  for (const auto& [id, msg] : messages_) {
    out.Str(id);
    out.I64(msg.sent_at_ms);
    out.I64(msg.opens);
    out.I64(msg.clicks);
    out.Str(msg.status);
    EncodeStrings(msg.statuses_seen, out);
    EncodeStrings(msg.labels, out);
  }
}

bool MailtrapState::Decode(BinaryReader& in) {
  std::uint64_t n = 0;
  if (!DecodeMetricSet(in, &counters_)) return false;
  for (LabelFolder* folder : {&domains_, &streams_, &categories_, &statuses_}) {
    if (!DecodeLabelFolder(in, folder)) return false;
  }
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string label;
    std::uint64_t count = 0;
    if (!in.Str(&label) || !in.U64(&count)) return false;
    overflow_[label] = count;
  }
  if (!in.Count(&n)) return false;
  messages_.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string id;
    Message msg;
    if (!in.Str(&id) || !in.I64(&msg.sent_at_ms) || !in.I64(&msg.opens) || !in.I64(&msg.clicks) || !in.Str(&msg.status) ||
        !DecodeStrings(in, &msg.statuses_seen) || !DecodeStrings(in, &msg.labels) || msg.labels.size() != 4) {
      return false;
    }
    MoveGauge(msg.labels, "", msg.status);
    messages_.emplace(std::move(id), std::move(msg));
  }
  return in.ok();
}

}  // namespace ele
