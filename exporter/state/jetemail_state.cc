#include "exporter/state/jetemail_state.h"

#include <algorithm>
#include <functional>

#include "exporter/log/logger.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/state/state_codec.h"

namespace ele {

namespace m = metrics;

JetEmailState::JetEmailState(JetEmailStateOptions options)
    : options_(std::move(options)),
      domains_(options_.label_value_limit),
      statuses_(options_.label_value_limit),
      logtypes_(options_.label_value_limit) {}

const std::string& JetEmailState::FoldLabel(LabelFolder& folder, const char* label, const std::string& raw) {
  bool newly_folded = false;
  const std::string& value = folder.Fold(raw, &newly_folded);
  if (newly_folded) {
    overflow_[label] += 1;
    LogWarn("label value limit reached; folding into \"other\"",
            {{"provider", "jetemail"}, {"account", options_.account}, {"label", label}});
  }
  return value;
}

void JetEmailState::EnsureDomain(const std::string& raw_domain) {
  const std::string& domain = FoldLabel(domains_, "domain", raw_domain);
  for (const m::Desc* d : {&m::kJetDeliveriesTotal, &m::kJetRejectionsTotal}) counters_.At(*d, {options_.account, domain});
  counters_.At(m::kJetSpamScore, {options_.account, domain});
  counters_.At(m::kJetDeliveryDelay, {options_.account, domain});
}

void JetEmailState::ApplyPage(const std::vector<jetemail::Entry>& entries, TimePoint now) {
  for (const auto& entry : entries) ApplyEntry(entry, now);
}

void JetEmailState::ApplyEntry(const jetemail::Entry& entry, TimePoint now) {
  auto [it, is_new] = messages_.try_emplace(entry.uid);
  Message& msg = it->second;
  if (is_new) {
    msg.first_seen_ms = ToUnixMillis(now);
    msg.arrival_ms = msg.first_seen_ms;
    for (const auto& action : entry.actions) {
      if (action.date_ms > 0) msg.arrival_ms = std::min(msg.arrival_ms, action.date_ms);
    }
    msg.domain = FoldLabel(domains_, "domain", entry.domain);
    EnsureDomain(entry.domain);
  }
  CountStatus(msg, FoldLabel(statuses_, "status", Lowercase(entry.status)));
  CountIncreases(msg, entry);
  CountActions(msg, entry);
}

void JetEmailState::CountStatus(Message& msg, const std::string& status) {
  if (msg.status == status) return;
  ++changes_;
  MoveGauge(msg.domain, msg.status, status);
  msg.status = status;
  if (std::find(msg.statuses_seen.begin(), msg.statuses_seen.end(), status) != msg.statuses_seen.end()) return;
  msg.statuses_seen.push_back(status);
  counters_.Inc(m::kJetMessagesTotal, {options_.account, msg.domain, status});
}

void JetEmailState::MoveGauge(const std::string& domain, const std::string& from, const std::string& to) {
  if (!from.empty()) current_[{domain, from}] -= 1;
  if (!to.empty()) current_[{domain, to}] += 1;
}

void JetEmailState::CountIncreases(Message& msg, const jetemail::Entry& entry) {
  const m::LabelValues labels = {options_.account, msg.domain};
  auto apply = [&](std::int64_t& stored, std::int64_t seen, const m::Desc& desc, const char* field) {
    if (seen > stored) {
      ++changes_;
      counters_.Inc(desc, labels, static_cast<double>(seen - stored));
      stored = seen;
    } else if (seen < stored) {
      LogDebug("count went down in the API; counters keep the higher value",
               {{"provider", "jetemail"}, {"account", options_.account}, {"field", field},
                {"was", static_cast<long long>(stored)}, {"now", static_cast<long long>(seen)}});
    }
  };
  apply(msg.delivery_count, entry.delivery_count, m::kJetDeliveriesTotal, "delivery_count");
  apply(msg.rejected_count, entry.rejected_count, m::kJetRejectionsTotal, "rejected_count");
}

void JetEmailState::CountActions(Message& msg, const jetemail::Entry& entry) {
  std::optional<double> max_score;
  for (const auto& action : entry.actions) {
    if (action.spam_score) max_score = std::max(max_score.value_or(*action.spam_score), *action.spam_score);
    const std::uint64_t id = std::hash<std::string>{}(action.id);
    if (std::find(msg.action_ids.begin(), msg.action_ids.end(), id) != msg.action_ids.end()) continue;
    msg.action_ids.push_back(id);
    ++changes_;
    const std::string& logtype = FoldLabel(logtypes_, "logtype", Lowercase(action.logtype));
    counters_.Inc(m::kJetActionsTotal, {options_.account, msg.domain, logtype});
    if (logtype == "delivery") counters_.Observe(m::kJetDeliveryDelay, {options_.account, msg.domain}, action.delay_seconds);
  }
  if (!msg.spam_observed && max_score) {
    msg.spam_observed = true;
    counters_.Observe(m::kJetSpamScore, {options_.account, msg.domain}, *max_score);
  }
}

bool IsOpenJetEmailStatus(const std::string& status) {
  static const char* const kOpen[] = {"queued", "deferred", "pending", "processing", "retrying", "greylisted"};
  for (const char* open : kOpen) {
    if (status == open) return true;
  }
  return false;
}

std::optional<std::int64_t> JetEmailState::OldestOpenArrivalMs() const {
  std::optional<std::int64_t> oldest;
  for (const auto& [uid, msg] : messages_) {
    if (IsOpenJetEmailStatus(msg.status) && (!oldest || msg.arrival_ms < *oldest)) oldest = msg.arrival_ms;
  }
  return oldest;
}

void JetEmailState::Evict(TimePoint now) {
  const std::int64_t cutoff = ToUnixMillis(now) - options_.retention.count();
  std::erase_if(messages_, [&](auto& item) {
    if (item.second.first_seen_ms >= cutoff) return false;
    MoveGauge(item.second.domain, item.second.status, "");
    return true;
  });
  if (static_cast<std::int64_t>(messages_.size()) > options_.max_tracked_messages) {
    LogWarn("more messages than collection.max_tracked_messages; later changes of the oldest are no longer counted",
            {{"provider", "jetemail"}, {"account", options_.account}, {"tracked", static_cast<unsigned long>(messages_.size())}});
    std::vector<std::pair<std::int64_t, std::string>> by_age;
    for (const auto& [uid, msg] : messages_) by_age.emplace_back(msg.first_seen_ms, uid);
    const size_t excess = messages_.size() - static_cast<size_t>(options_.max_tracked_messages);
    std::nth_element(by_age.begin(), by_age.begin() + static_cast<long>(excess), by_age.end());
    for (size_t i = 0; i < excess; ++i) {
      auto it = messages_.find(by_age[i].second);
      MoveGauge(it->second.domain, it->second.status, "");
      messages_.erase(it);
    }
  }
}

void JetEmailState::SetDomainUp(const std::string& domain, bool up) { domain_up_[domain] = up; }
void JetEmailState::SetAccountDomains(std::int64_t total) { account_domains_ = total; }

void JetEmailState::ExportMetrics(m::MetricSet& out) const {
  counters_.CopyInto(out);
  for (const auto& [key, count] : current_) out.Set(m::kJetMessages, {options_.account, key.first, key.second}, static_cast<double>(count));
  for (const auto& [domain, up] : domain_up_) out.Set(m::kJetDomainUp, {options_.account, domain}, up ? 1 : 0);
  if (account_domains_ >= 0) out.Set(m::kJetAccountDomains, {options_.account}, static_cast<double>(account_domains_));
  for (const auto& [label, n] : overflow_) out.Inc(m::kLabelOverflowTotal, {"jetemail", options_.account, label}, static_cast<double>(n));
}

void JetEmailState::Encode(BinaryWriter& out) const {
  EncodeMetricSet(counters_, out);
  EncodeLabelFolder(domains_, out);
  EncodeLabelFolder(statuses_, out);
  EncodeLabelFolder(logtypes_, out);
  out.U64(overflow_.size());
  for (const auto& [label, n] : overflow_) {
    out.Str(label);
    out.U64(n);
  }
  out.U64(domain_up_.size());
  for (const auto& [domain, up] : domain_up_) {
    out.Str(domain);
    out.Bool(up);
  }
  out.I64(account_domains_);
  out.U64(messages_.size());
  for (const auto& [uid, msg] : messages_) {
    out.Str(uid);
    out.I64(msg.first_seen_ms);
    out.I64(msg.arrival_ms);
    out.I64(msg.delivery_count);
    out.I64(msg.rejected_count);
    out.Str(msg.domain);
    out.Str(msg.status);
    EncodeStrings(msg.statuses_seen, out);
    out.U64(msg.action_ids.size());
    for (std::uint64_t id : msg.action_ids) out.U64(id);
    out.Bool(msg.spam_observed);
  }
}

bool JetEmailState::Decode(BinaryReader& in) {
  std::uint64_t n = 0;
  if (!DecodeMetricSet(in, &counters_) || !DecodeLabelFolder(in, &domains_) || !DecodeLabelFolder(in, &statuses_) ||
      !DecodeLabelFolder(in, &logtypes_) || !in.Count(&n)) {
    return false;
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string label;
    std::uint64_t count = 0;
    if (!in.Str(&label) || !in.U64(&count)) return false;
    overflow_[label] = count;
  }
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string domain;
    bool up = false;
    if (!in.Str(&domain) || !in.Bool(&up)) return false;
    domain_up_[domain] = up;
  }
  if (!in.I64(&account_domains_) || !in.Count(&n)) return false;
  messages_.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string uid;
    Message msg;
    std::uint64_t ids = 0;
    if (!in.Str(&uid) || !in.I64(&msg.first_seen_ms) || !in.I64(&msg.arrival_ms) || !in.I64(&msg.delivery_count) ||
        !in.I64(&msg.rejected_count) || !in.Str(&msg.domain) || !in.Str(&msg.status) || !DecodeStrings(in, &msg.statuses_seen) ||
        !in.Count(&ids)) {
      return false;
    }
    msg.action_ids.resize(ids);
    for (auto& id : msg.action_ids) {
      if (!in.U64(&id)) return false;
    }
    if (!in.Bool(&msg.spam_observed)) return false;
    MoveGauge(msg.domain, "", msg.status);
    messages_.emplace(std::move(uid), std::move(msg));
  }
  return in.ok();
}

}  // namespace ele
