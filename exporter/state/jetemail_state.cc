#include "exporter/state/jetemail_state.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "exporter/base/logger.h"

namespace ele {
namespace {

std::uint64_t ActionHash(const std::string& id) { return std::hash<std::string>{}(id); }

// The API's numbers, bounded before they reach a histogram: two delays of
// 1e308 would make its _sum +Inf for good, and a negative one would take
// it down. JetEmail retries for 5 days; spam scores stay within hundreds.
constexpr double kMaxDelaySeconds = 30.0 * 24 * 3600;
constexpr double kMaxSpamScore = 1000;
double Bounded(double value, double low, double high) { return std::isfinite(value) ? std::clamp(value, low, high) : low; }

}  // namespace

JetEmailState::JetEmailState(JetEmailStateOptions options)
    : options_(std::move(options)),
      domains_(options_.label_value_limit),
      statuses_(options_.label_value_limit),
      logtypes_(options_.label_value_limit) {}

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

// --- labels ---------------------------------------------------------------------

const std::string& JetEmailState::FoldLabel(LabelFolder& folder, const char* label, const std::string& raw) {
  return FoldCounted(folder, label, raw, counts_.overflow, "jetemail", options_.account);
}

// label_value_limit (at most 100,000) keeps ids below kNoStatus.
std::uint32_t JetEmailState::DomainId(const std::string& raw_domain) { return counts_.DomainId(FoldLabel(domains_, "domain", raw_domain)); }

void JetEmailState::EnsureDomain(const std::string& raw_domain) { DomainId(raw_domain); }

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
  const std::uint32_t status = counts_.statuses.Id(FoldLabel(statuses_, "status", Lowercase(entry.status)));
  if (status >= status_open_.size()) status_open_.push_back(IsOpenJetEmailStatus(counts_.statuses[status]));
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
  counts_.messages[{static_cast<std::uint32_t>(msg.domain), status}] += 1;
}

void JetEmailState::MoveGauge(std::uint32_t domain, std::uint32_t from, std::uint32_t to) {
  if (from != kNoStatus) counts_.held[{domain, from}] -= 1;
  if (to != kNoStatus) counts_.held[{domain, to}] += 1;
}

void JetEmailState::CountIncreases(Message& msg, const events::InboundSighting& entry) {
  auto apply = [&](std::uint32_t& stored, std::int64_t seen_count, std::uint64_t& total, const char* field) {
    const std::uint32_t seen = Saturate32(seen_count);
    if (seen > stored) {
      ++changes_;
      total += seen - stored;
      stored = seen;
    } else if (seen < stored) {
      LogDebug("count went down in the API; counters keep the higher value",
               {{"provider", "jetemail"}, {"account", options_.account}, {"field", field},
                {"was", static_cast<long long>(stored)}, {"now", static_cast<long long>(seen)}});
    }
  };
  // Bit-fields and packed members cannot bind to references: go through locals.
  std::uint32_t delivery = msg.delivery_count, rejected = msg.rejected_count;
  apply(delivery, entry.delivery_count, counts_.deliveries[msg.domain], "delivery_count");
  apply(rejected, entry.rejected_count, counts_.rejections[msg.domain], "rejected_count");
  msg.delivery_count = delivery;
  msg.rejected_count = rejected;
}

void JetEmailState::CountActions(Message& msg, const events::InboundSighting& entry) {
  std::optional<double> max_score;
  for (const auto& action : entry.actions) {
    if (action.spam_score) {
      const double score = Bounded(*action.spam_score, -kMaxSpamScore, kMaxSpamScore);
      max_score = std::max(max_score.value_or(score), score);
    }
    const std::uint64_t id = ActionHash(action.id);
    if (action_ids_.Contains(msg.actions_at, msg.action_count, id)) continue;
    AppendAction(msg, id);
    ++changes_;
    const std::uint32_t logtype = counts_.logtypes.Id(FoldLabel(logtypes_, "logtype", Lowercase(action.logtype)));
    counts_.actions[{static_cast<std::uint32_t>(msg.domain), logtype}] += 1;
    if (counts_.logtypes[logtype] == "delivery") counts_.delivery_delays[msg.domain].Observe(buckets::kDelaySeconds, Bounded(action.delay_seconds, 0, kMaxDelaySeconds));
  }
  if (!msg.spam_observed && max_score) {
    msg.spam_observed = 1;
    counts_.spam_scores[msg.domain].Observe(buckets::kSpamScore, *max_score);
  }
}

bool IsOpenJetEmailStatus(const std::string& status) {
  static const char* const kOpen[] = {"queued", "deferred", "pending", "processing", "retrying", "greylisted"};
  for (const char* open : kOpen) {
    if (status == open) return true;
  }
  return false;
}

std::vector<JetEmailState::OpenMessage> JetEmailState::OpenMessages() const {
  std::vector<OpenMessage> open;
  for (const Message& msg : messages_) {
    if (msg.status != kNoStatus && status_open_[msg.status]) open.push_back({msg.key, msg.arrival_ms(), msg.first_seen_ms});
  }
  return open;
}

std::vector<std::vector<std::int64_t>> JetEmailState::CountArrivals(const std::vector<std::int64_t>& bounds_ms, int groups,
                                                                   const std::function<int(const std::string&)>& group_of) const {
  const size_t buckets = bounds_ms.empty() ? 0 : bounds_ms.size() - 1;
  std::vector<std::vector<std::int64_t>> counts(static_cast<size_t>(groups), std::vector<std::int64_t>(buckets, 0));
  if (buckets == 0) return counts;
  std::vector<int> group_by_domain;  // by domain id
  for (size_t id = 0; id < counts_.domains.size(); ++id) group_by_domain.push_back(group_of(counts_.domains[static_cast<std::uint32_t>(id)]));
  for (const Message& msg : messages_) {
    const auto after = std::upper_bound(bounds_ms.begin(), bounds_ms.end(), msg.arrival_ms());
    if (after == bounds_ms.begin() || after == bounds_ms.end()) continue;
    const auto bucket = static_cast<size_t>(after - bounds_ms.begin() - 1);
    const int group = group_by_domain[msg.domain];
    for (int g = 0; g < groups; ++g) {
      if (group < 0 || group == g) ++counts[static_cast<size_t>(g)][bucket];
    }
  }
  return counts;
}

void JetEmailState::Evict(TimePoint now) {
  const std::int64_t cutoff = ToUnixMillis(now) - options_.retention.count();
  RemoveIf([&](const Message& msg) { return msg.first_seen_ms < cutoff; });
  if (static_cast<std::int64_t>(messages_.size()) > options_.max_tracked_messages) {
    limit_warning_.MaybeWarn(now, "jetemail", options_.account, messages_.size(), options_.max_tracked_messages);
    const size_t excess = messages_.size() - static_cast<size_t>(options_.max_tracked_messages);
    counts_.limit_evictions += excess;
    const std::vector<bool> drop = OldestRows(messages_, excess, [](const Message& msg) { return msg.first_seen_ms; });
    size_t position = 0;
    RemoveIf([&](const Message&) { return drop[position++]; });
  }
}

// Folded like every domain label: the names are the API's, and one per
// answer would otherwise be a series each.
void JetEmailState::SetDomainUp(const std::string& domain, bool up) { counts_.domain_up[FoldLabel(domains_, "domain", domain)] = up; }
void JetEmailState::SetAccountDomains(std::int64_t total) { counts_.account_domains = total; }

}  // namespace ele
