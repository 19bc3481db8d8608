#include "exporter/state/jetemail_state.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "exporter/log/logger.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/state/state_codec.h"

namespace ele {

namespace m = metrics;

namespace {

// Marks the compact blob layout; the legacy one began with a descriptor id,
// always smaller, so either is recognised (and older builds refuse this one).
constexpr std::uint64_t kCompactLayout = 0x4A45'544D;  // "JETM"

std::uint64_t ActionHash(const std::string& id) { return std::hash<std::string>{}(id); }

}  // namespace

JetEmailState::JetEmailState(JetEmailStateOptions options)
    : options_(std::move(options)),
      domains_(options_.label_value_limit),
      statuses_(options_.label_value_limit),
      logtypes_(options_.label_value_limit) {}

std::uint32_t JetEmailState::Interned::Id(const std::string& name) {
  auto [it, inserted] = ids.try_emplace(name, static_cast<std::uint32_t>(names.size()));
  if (inserted) names.push_back(name);
  return it->second;
}

// --- the message table --------------------------------------------------------

template <typename Drop>
void JetEmailState::RemoveIf(Drop drop) {
  action_ids_.BeginRepack();
  messages_.RemoveIf([&](Message& msg) {
    if (drop(msg)) {
      MoveGauge(msg.domain, msg.status, kNoStatus);
      seen_overflow_.erase(seen_overflow_.lower_bound({msg.key, 0}), seen_overflow_.lower_bound({msg.key, kNoStatus + 1}));
      return true;
    }
    msg.actions_at = action_ids_.Keep(msg.actions_at, msg.action_count);
    return false;
  });
  action_ids_.EndRepack();
}

// Past kMaxActions a message's action ids are no longer remembered.
void JetEmailState::AppendAction(Message& msg, std::uint64_t id) {
  if (msg.action_count >= kMaxActions) return;
  // Repacking drops nothing here, so `msg` stays where it is.
  if (action_ids_.WantsRepack()) RemoveIf([](const Message&) { return false; });
  msg.actions_at = action_ids_.Append(msg.actions_at, msg.action_count, id);
  msg.action_count = (msg.action_count + 1) & kMaxActions;
}

bool JetEmailState::StatusSeen(const Message& msg, std::uint32_t status) const {
  if (status < kSeenBits) return (msg.statuses_seen >> status) & 1;
  return seen_overflow_.contains({msg.key, status});
}

void JetEmailState::MarkStatusSeen(Message& msg, std::uint32_t status) {
  if (status < kSeenBits) {
    msg.statuses_seen = (msg.statuses_seen | (1u << status)) & ((1u << kSeenBits) - 1);
  } else {
    seen_overflow_.insert({msg.key, status});
  }
}

// --- labels and series ----------------------------------------------------------

const std::string& JetEmailState::FoldLabel(LabelFolder& folder, const char* label, const std::string& raw) {
  return FoldCounted(folder, label, raw, overflow_, "jetemail", options_.account);
}

std::uint32_t JetEmailState::DomainId(const std::string& raw_domain) {
  // label_value_limit (at most 100,000) keeps ids below kNoStatus.
  const std::uint32_t id = domain_names_.Id(FoldLabel(domains_, "domain", raw_domain));
  if (id >= domain_ensured_.size()) domain_ensured_.resize(id + 1, false);
  if (!domain_ensured_[id]) {
    domain_ensured_[id] = true;
    const m::LabelValues labels = {options_.account, domain_names_.names[id]};
    for (const m::Desc* d : {&m::kJetDeliveriesTotal, &m::kJetRejectionsTotal, &m::kJetSpamScore, &m::kJetDeliveryDelay}) {
      counters_.At(*d, labels);
    }
  }
  return id;
}

void JetEmailState::EnsureDomain(const std::string& raw_domain) { DomainId(raw_domain); }

m::Series& JetEmailState::Cached(const m::Desc& desc, std::uint32_t domain, std::uint32_t label, const std::string& label_value) {
  return series_.Find(counters_, desc, static_cast<std::uint64_t>(domain) << 32 | label, [&] {
    m::LabelValues labels = {options_.account, domain_names_.names[domain]};
    if (desc.labels.size() == 3) labels.push_back(label_value);
    return labels;
  });
}

// --- applying pages -------------------------------------------------------------

void JetEmailState::ApplyPage(const std::vector<events::InboundSighting>& entries, TimePoint now) {
  for (const auto& entry : entries) ApplyEntry(entry, now);
}

void JetEmailState::ApplyEntry(const events::InboundSighting& entry, TimePoint now) {
  bool is_new = false;
  Message& msg = messages_.FindOrInsert(HashedKey(entry.uid), &is_new);
  if (is_new) {
    msg.status = kNoStatus;
    msg.actions_at = action_ids_.end();
    msg.first_seen_ms = ToUnixMillis(now);
    std::int64_t arrival = msg.first_seen_ms;
    for (const auto& action : entry.actions) {
      if (action.date_ms > 0) arrival = std::min(arrival, action.date_ms);
    }
    msg.arrival_back_ms = Saturate32(msg.first_seen_ms - arrival);
    msg.domain = DomainId(entry.domain) & kNoStatus;  // ids fit 17 bits (DomainId checks)
  }
  const std::uint32_t status = status_names_.Id(FoldLabel(statuses_, "status", Lowercase(entry.status)));
  if (status >= status_open_.size()) status_open_.push_back(IsOpenJetEmailStatus(status_names_.names[status]));
  CountStatus(msg, status);
  CountIncreases(msg, entry);
  CountActions(msg, entry);
}

void JetEmailState::CountStatus(Message& msg, std::uint32_t status) {
  if (msg.status == status) return;
  ++changes_;
  MoveGauge(msg.domain, msg.status, status);
  msg.status = status & kNoStatus;
  if (StatusSeen(msg, status)) return;
  MarkStatusSeen(msg, status);
  Cached(m::kJetMessagesTotal, msg.domain, status, status_names_.names[status]).value += 1;
}

void JetEmailState::MoveGauge(std::uint32_t domain, std::uint32_t from, std::uint32_t to) {
  if (from != kNoStatus) current_[{domain, from}] -= 1;
  if (to != kNoStatus) current_[{domain, to}] += 1;
}

void JetEmailState::CountIncreases(Message& msg, const events::InboundSighting& entry) {
  auto apply = [&](std::uint32_t& stored, std::int64_t seen_count, const m::Desc& desc, const char* field) {
    const std::uint32_t seen = Saturate32(seen_count);
    if (seen > stored) {
      ++changes_;
      Cached(desc, msg.domain, 0, "").value += static_cast<double>(seen - stored);
      stored = seen;
    } else if (seen < stored) {
      LogDebug("count went down in the API; counters keep the higher value",
               {{"provider", "jetemail"}, {"account", options_.account}, {"field", field},
                {"was", static_cast<long long>(stored)}, {"now", static_cast<long long>(seen)}});
    }
  };
  // Bit-fields and packed members cannot bind to references: go through locals.
  std::uint32_t delivery = msg.delivery_count, rejected = msg.rejected_count;
  apply(delivery, entry.delivery_count, m::kJetDeliveriesTotal, "delivery_count");
  apply(rejected, entry.rejected_count, m::kJetRejectionsTotal, "rejected_count");
  msg.delivery_count = delivery;
  msg.rejected_count = rejected;
}

void JetEmailState::CountActions(Message& msg, const events::InboundSighting& entry) {
  std::optional<double> max_score;
  for (const auto& action : entry.actions) {
    if (action.spam_score) max_score = std::max(max_score.value_or(*action.spam_score), *action.spam_score);
    const std::uint64_t id = ActionHash(action.id);
    if (action_ids_.Contains(msg.actions_at, msg.action_count, id)) continue;
    AppendAction(msg, id);
    ++changes_;
    const std::uint32_t logtype = logtype_names_.Id(FoldLabel(logtypes_, "logtype", Lowercase(action.logtype)));
    const std::string& name = logtype_names_.names[logtype];
    Cached(m::kJetActionsTotal, msg.domain, logtype, name).value += 1;
    if (name == "delivery") m::MetricSet::ObserveInto(m::kJetDeliveryDelay, Cached(m::kJetDeliveryDelay, msg.domain, 0, ""), action.delay_seconds);
  }
  if (!msg.spam_observed && max_score) {
    msg.spam_observed = 1;
    m::MetricSet::ObserveInto(m::kJetSpamScore, Cached(m::kJetSpamScore, msg.domain, 0, ""), *max_score);
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
  for (const Message& msg : messages_) {
    if (msg.status != kNoStatus && status_open_[msg.status] && (!oldest || msg.arrival_ms() < *oldest)) oldest = msg.arrival_ms();
  }
  return oldest;
}

void JetEmailState::Evict(TimePoint now) {
  const std::int64_t cutoff = ToUnixMillis(now) - options_.retention.count();
  RemoveIf([&](const Message& msg) { return msg.first_seen_ms < cutoff; });
  if (static_cast<std::int64_t>(messages_.size()) > options_.max_tracked_messages) {
    limit_warning_.MaybeWarn(now, "jetemail", options_.account, messages_.size(), options_.max_tracked_messages);
    const size_t excess = messages_.size() - static_cast<size_t>(options_.max_tracked_messages);
    limit_evictions_ += excess;
    const std::vector<bool> drop = OldestRows(messages_, excess, [](const Message& msg) { return msg.first_seen_ms; });
    size_t position = 0;
    RemoveIf([&](const Message&) { return drop[position++]; });
  }
}

void JetEmailState::SetDomainUp(const std::string& domain, bool up) { domain_up_[domain] = up; }
void JetEmailState::SetAccountDomains(std::int64_t total) { account_domains_ = total; }

void JetEmailState::ExportMetrics(m::MetricSet& out) const {
  counters_.CopyInto(out);
  for (const auto& [key, count] : current_) {
    out.Set(m::kJetMessages, {options_.account, domain_names_.names[key.first], status_names_.names[key.second]}, static_cast<double>(count));
  }
  for (const auto& [domain, up] : domain_up_) out.Set(m::kJetDomainUp, {options_.account, domain}, up ? 1 : 0);
  if (account_domains_ >= 0) out.Set(m::kJetAccountDomains, {options_.account}, static_cast<double>(account_domains_));
  for (const auto& [label, n] : overflow_) out.Inc(m::kLabelOverflowTotal, {"jetemail", options_.account, label}, static_cast<double>(n));
  out.Inc(m::kLimitEvictionsTotal, {"jetemail", options_.account}, static_cast<double>(limit_evictions_));
}

// --- the state file -------------------------------------------------------------
//
// Compact layout: marker, counters, label folders, overflow, domain_up,
// account_domains, interned domain and status names, then per message its
// key (16 raw bytes), times and counts as varints, label ids, seen bits and
// action hashes (8 raw bytes each), then statuses seen past the bits. About
// 50 bytes a message; the legacy layout (uid, label strings, action hashes
// as varints) took about 90.

void JetEmailState::Encode(BinaryWriter& out) const {
  out.U64(kCompactLayout);
  EncodeMetricSet(counters_, out);
  EncodeLabelFolder(domains_, out);
  EncodeLabelFolder(statuses_, out);
  EncodeLabelFolder(logtypes_, out);
  EncodeOverflowCounts(overflow_, out);
  out.U64(domain_up_.size());
  for (const auto& [domain, up] : domain_up_) {
    out.Str(domain);
    out.Bool(up);
  }
  out.I64(account_domains_);
  EncodeStrings(domain_names_.names, out);
  EncodeStrings(status_names_.names, out);
  out.Reserve(messages_.size() * 48 + action_ids_.size() * 8);
  out.U64(messages_.size());
  for (const Message& msg : messages_) {
    out.Fixed64(msg.key[0]);
    out.Fixed64(msg.key[1]);
    out.I64(msg.first_seen_ms);
    out.U64(msg.arrival_back_ms);
    out.U64(msg.delivery_count);
    out.U64(msg.rejected_count);
    out.U64(msg.domain);
    out.U64(msg.status);
    out.U64(msg.statuses_seen);
    out.Bool(msg.spam_observed);
    out.U64(msg.action_count);
    for (std::uint64_t id : action_ids_.Run(msg.actions_at, msg.action_count)) out.Fixed64(id);
  }
  out.U64(seen_overflow_.size());
  for (const auto& [key, status] : seen_overflow_) {
    out.Fixed64(key[0]);
    out.Fixed64(key[1]);
    out.U64(status);
  }
}

bool JetEmailState::Decode(BinaryReader& in) {
  BinaryReader peek = in;
  std::uint64_t layout = 0;
  const bool compact = peek.U64(&layout) && layout == kCompactLayout;
  if (compact) in = peek;
  std::uint64_t n = 0;
  if (!DecodeMetricSet(in, &counters_) || !DecodeLabelFolder(in, &domains_) || !DecodeLabelFolder(in, &statuses_) ||
      !DecodeLabelFolder(in, &logtypes_) || !DecodeOverflowCounts(in, &overflow_)) {
    return false;
  }
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string domain;
    bool up = false;
    if (!in.Str(&domain) || !in.Bool(&up)) return false;
    domain_up_[domain] = up;
  }
  if (!in.I64(&account_domains_)) return false;
  if (!(compact ? DecodeMessages(in) : DecodeLegacyMessages(in))) return false;
  domain_ensured_.assign(domain_names_.names.size(), false);  // EnsureDomain again on first use: idempotent
  for (const std::string& status : status_names_.names) status_open_.push_back(IsOpenJetEmailStatus(status));
  return messages_.Reindex() && in.ok();  // refuses two messages with one key
}

bool JetEmailState::DecodeMessages(BinaryReader& in) {
  std::vector<std::string> domains, statuses;
  std::uint64_t n = 0;
  if (!DecodeStrings(in, &domains) || !DecodeStrings(in, &statuses) || domains.size() >= kNoStatus || statuses.size() >= kNoStatus ||
      !in.Count(&n)) {
    return false;
  }
  for (const auto& d : domains) domain_names_.Id(d);
  for (const auto& s : statuses) status_names_.Id(s);
  if (domain_names_.names.size() != domains.size() || status_names_.names.size() != statuses.size()) return false;  // duplicates
  messages_.Reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    Message& msg = messages_.Append();
    std::uint64_t arrival_back = 0, delivery = 0, rejected = 0, domain = 0, status = 0, seen = 0, actions = 0;
    bool spam = false;
    if (!in.Fixed64(&msg.key[0]) || !in.Fixed64(&msg.key[1]) || !in.I64(&msg.first_seen_ms) || !in.U64(&arrival_back) ||
        !in.U64(&delivery) || !in.U64(&rejected) || !in.U64(&domain) || !in.U64(&status) || !in.U64(&seen) || !in.Bool(&spam) ||
        !in.Count(&actions) || !PlausibleUnixMs(msg.first_seen_ms)) {
      return false;
    }
    if (arrival_back > std::numeric_limits<std::uint32_t>::max() || delivery > std::numeric_limits<std::uint32_t>::max() ||
        rejected > std::numeric_limits<std::uint32_t>::max() || domain >= domains.size() ||
        (status != kNoStatus && status >= statuses.size()) || seen >= (1u << kSeenBits) || actions > kMaxActions) {
      return false;
    }
    msg.arrival_back_ms = static_cast<std::uint32_t>(arrival_back);
    msg.delivery_count = static_cast<std::uint32_t>(delivery);
    msg.rejected_count = static_cast<std::uint32_t>(rejected);
    msg.domain = domain & kNoStatus;
    msg.status = status & kNoStatus;
    msg.statuses_seen = seen & ((1u << kSeenBits) - 1);
    msg.spam_observed = spam ? 1 : 0;
    msg.action_count = actions & kMaxActions;
    msg.actions_at = action_ids_.end();
    for (std::uint64_t a = 0; a < actions; ++a) {
      std::uint64_t id = 0;
      if (!in.Fixed64(&id)) return false;
      action_ids_.Push(id);
    }
    MoveGauge(msg.domain, kNoStatus, msg.status);
  }
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    MessageKey key;
    std::uint64_t status = 0;
    if (!in.Fixed64(&key[0]) || !in.Fixed64(&key[1]) || !in.U64(&status) || status >= statuses.size()) return false;
    seen_overflow_.insert({key, static_cast<std::uint32_t>(status)});
  }
  return true;
}

// The layout before the compact one: uid and label values as strings,
// statuses seen as a list, action hashes as varints.
bool JetEmailState::DecodeLegacyMessages(BinaryReader& in) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  messages_.Reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string uid, domain, status;
    std::vector<std::string> statuses_seen;
    std::int64_t first_seen = 0, arrival = 0, delivery = 0, rejected = 0;
    std::uint64_t ids = 0;
    if (!in.Str(&uid) || !in.I64(&first_seen) || !in.I64(&arrival) || !in.I64(&delivery) || !in.I64(&rejected) || !in.Str(&domain) ||
        !in.Str(&status) || !DecodeStrings(in, &statuses_seen) || !in.Count(&ids) || !PlausibleUnixMs(first_seen) || !PlausibleUnixMs(arrival)) {
      return false;
    }
    Message& msg = messages_.Append();
    msg.key = HashedKey(uid);
    msg.first_seen_ms = first_seen;
    msg.arrival_back_ms = Saturate32(first_seen - arrival);
    msg.delivery_count = Saturate32(delivery);
    msg.rejected_count = Saturate32(rejected);
    msg.domain = domain_names_.Id(domain) & kNoStatus;
    msg.status = (status.empty() ? kNoStatus : status_names_.Id(status)) & kNoStatus;
    msg.statuses_seen = 0;
    for (const auto& seen : statuses_seen) MarkStatusSeen(msg, status_names_.Id(seen));
    msg.actions_at = action_ids_.end();
    msg.action_count = std::min<std::uint64_t>(ids, kMaxActions) & kMaxActions;
    for (std::uint64_t a = 0; a < ids; ++a) {
      std::uint64_t id = 0;
      if (!in.U64(&id)) return false;
      if (a < kMaxActions) action_ids_.Push(id);
    }
    bool spam = false;
    if (!in.Bool(&spam)) return false;
    msg.spam_observed = spam ? 1 : 0;
    if (domain_names_.names.size() >= kNoStatus || status_names_.names.size() >= kNoStatus) return false;
    MoveGauge(msg.domain, kNoStatus, msg.status);
  }
  return true;
}

}  // namespace ele
