#include "exporter/state/jetemail_state_codec.h"

#include <algorithm>
#include <limits>

#include "exporter/state/state_codec.h"

namespace ele {
namespace {

constexpr std::string_view kFirstTag = "jetemail-1";
// Marks the compact message rows of the first layout; its uncompact rows
// began with a descriptor id, always smaller, so either is recognised.
constexpr std::uint64_t kCompactRows = 0x4A45'544D;  // "JETM"

bool DecodeNames(BinaryReader& in, std::uint32_t limit, std::vector<std::string>* names) {
  return DecodeStrings(in, names) && names->size() < limit;
}

// Interns `names` in order; false when two are the same (ids would shift).
template <typename Intern>
bool InternAll(const std::vector<std::string>& names, Intern intern) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (intern(names[i]) != i) return false;
  }
  return true;
}

}  // namespace

std::string JetEmailStateCodec::Encode(const JetEmailState& state, const std::optional<TimePoint>& watermark) {
  BinaryWriter out;
  WriteBlobHeader(kTag, watermark, out);
  for (const LabelFolder* folder : {&state.domains_, &state.statuses_, &state.logtypes_}) EncodeLabelFolder(*folder, out);  // DecodeFolders' order
  EncodeCounts(state.counts_, out);
  EncodeMessages(state, out);
  return std::move(out.data());
}

bool JetEmailStateCodec::Decode(std::string_view blob, JetEmailState* state, std::optional<TimePoint>* watermark) {
  BinaryReader in(blob);
  std::string tag;
  if (!ReadBlobHeader(in, &tag, watermark)) return false;
  bool ok = false;
  if (tag == kTag) {
    ok = DecodeFolders(in, state) && DecodeCounts(in, &state->counts_) && DecodeMessages(in, state);
  } else if (tag == kFirstTag) {
    ok = DecodeFirstLayout(in, state);
  }
  return ok && Finish(state) && in.ok() && in.at_end();
}

bool JetEmailStateCodec::DecodeFolders(BinaryReader& in, JetEmailState* state) {
  return DecodeLabelFolder(in, &state->domains_) && DecodeLabelFolder(in, &state->statuses_) && DecodeLabelFolder(in, &state->logtypes_);
}

// --- counts -----------------------------------------------------------------------
//
// Interned names, overflow, domain health, then every count by its ids. The
// held gauge's keys are kept (a status no message holds any more stays at 0
// across a restart); its values are rebuilt from the messages.

// Each domain's last query outcome and the account's domain total: the
// same bytes in both layouts.
void JetEmailStateCodec::EncodeDomainHealth(const JetEmailCounts& counts, BinaryWriter& out) {
  out.U64(counts.domain_up.size());
  for (const auto& [domain, up] : counts.domain_up) {
    out.Str(domain);
    out.Bool(up);
  }
  out.I64(counts.account_domains);
}

bool JetEmailStateCodec::DecodeDomainHealth(BinaryReader& in, JetEmailCounts* counts) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string domain;
    bool up = false;
    if (!in.Str(&domain) || !in.Bool(&up)) return false;
    counts->domain_up[domain] = up;
  }
  return in.I64(&counts->account_domains);
}

void JetEmailStateCodec::EncodeCounts(const JetEmailCounts& counts, BinaryWriter& out) {
  for (const InternedNames* names : {&counts.domains, &counts.statuses, &counts.logtypes}) EncodeStrings(names->names(), out);
  EncodeOverflowCounts(counts.overflow, out);
  EncodeDomainHealth(counts, out);
  EncodePairCounts(counts.messages, out);
  EncodePairCounts(counts.held, out);
  EncodePairCounts(counts.actions, out);
  EncodeCountVector(counts.deliveries, out);
  EncodeCountVector(counts.rejections, out);
  for (const auto* histograms : {&counts.spam_scores, &counts.delivery_delays}) {
    for (const HistogramCounts& h : *histograms) EncodeHistogram(h, out);
  }
}

bool JetEmailStateCodec::DecodeCounts(BinaryReader& in, JetEmailCounts* counts) {
  std::vector<std::string> domains, statuses, logtypes;
  if (!DecodeNames(in, JetEmailState::kNoStatus, &domains) || !DecodeNames(in, JetEmailState::kNoStatus, &statuses) ||
      !DecodeStrings(in, &logtypes) || !InternAll(domains, [&](const std::string& d) { return counts->DomainId(d); }) ||
      !InternAll(statuses, [&](const std::string& s) { return counts->statuses.Id(s); }) ||
      !InternAll(logtypes, [&](const std::string& l) { return counts->logtypes.Id(l); }) || !DecodeOverflowCounts(in, &counts->overflow) ||
      !DecodeDomainHealth(in, counts)) {
    return false;
  }
  // Finish checks that every per-domain table has an entry for each domain.
  const auto d = static_cast<std::uint32_t>(domains.size()), s = static_cast<std::uint32_t>(statuses.size());
  if (!DecodePairCounts(in, {d, s}, &counts->messages) || !DecodePairCounts(in, {d, s}, &counts->held) ||
      !DecodePairCounts(in, {d, static_cast<std::uint32_t>(logtypes.size())}, &counts->actions) ||
      !DecodeCountVector(in, &counts->deliveries) || !DecodeCountVector(in, &counts->rejections)) {
    return false;
  }
  for (auto& [key, held] : counts->held) held = 0;  // rebuilt from the messages
  for (auto& h : counts->spam_scores) {
    if (!DecodeHistogram(in, buckets::kSpamScore.size(), &h)) return false;
  }
  for (auto& h : counts->delivery_delays) {
    if (!DecodeHistogram(in, buckets::kDelaySeconds.size(), &h)) return false;
  }
  return true;
}

// --- messages ---------------------------------------------------------------------
//
// Per message its key (16 raw bytes), times and counts as varints, label
// ids, seen bits and action hashes (8 raw bytes each), then the statuses
// seen past the bits. About 50 bytes a message.

void JetEmailStateCodec::EncodeMessages(const JetEmailState& state, BinaryWriter& out) {
  out.Reserve(state.messages_.size() * 56 + state.action_ids_.size() * 8);  // about 52 bytes a message: never grown again
  out.U64(state.messages_.size());
  for (const JetEmailState::Message& msg : state.messages_) {
    EncodeKey(msg.key, out);
    out.I64(msg.first_seen_ms);
    out.U64(msg.arrival_back_ms);
    out.U64(msg.delivery_count);
    out.U64(msg.rejected_count);
    out.U64(msg.domain);
    out.U64(msg.status);
    out.U64(msg.statuses_seen);
    out.Bool(msg.spam_observed);
    out.U64(msg.action_count);
    for (std::uint64_t id : state.action_ids_.Run(msg.actions_at, msg.action_count)) out.Fixed64(id);
  }
  out.U64(state.seen_overflow_.size());
  for (const auto& [key, status] : state.seen_overflow_) {
    EncodeKey(key, out);
    out.U64(status);
  }
}

bool JetEmailStateCodec::DecodeMessages(BinaryReader& in, JetEmailState* state) {
  std::uint64_t n = 0;
  if (!DecodeRows(in, state->messages_, [&] { return DecodeMessage(in, state); }) || !in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    MessageKey key;
    std::uint64_t status = 0;
    if (!DecodeKey(in, &key) || !in.U64(&status) || status >= state->counts_.statuses.size()) return false;
    state->seen_overflow_.insert({key, static_cast<std::uint32_t>(status)});
  }
  return true;
}

bool JetEmailStateCodec::DecodeMessage(BinaryReader& in, JetEmailState* state) {
  constexpr std::uint64_t kMax32 = std::numeric_limits<std::uint32_t>::max();
  JetEmailState::Message& msg = state->messages_.Append();
  std::uint64_t arrival_back = 0, delivery = 0, rejected = 0, domain = 0, status = 0, seen = 0, actions = 0;
  bool spam = false;
  if (!DecodeKey(in, &msg.key) || !in.I64(&msg.first_seen_ms) || !in.U64(&arrival_back) || !in.U64(&delivery) ||
      !in.U64(&rejected) || !in.U64(&domain) || !in.U64(&status) || !in.U64(&seen) || !in.Bool(&spam) || !in.Count(&actions) ||
      !PlausibleUnixMs(msg.first_seen_ms)) {
    return false;
  }
  if (arrival_back > kMax32 || delivery > kMax32 || rejected > kMax32 || domain >= state->counts_.domains.size() ||
      (status != JetEmailState::kNoStatus && status >= state->counts_.statuses.size()) || seen >= (1u << JetEmailState::kSeenBits) ||
      actions > JetEmailState::kMaxActions) {
    return false;
  }
  msg.arrival_back_ms = static_cast<std::uint32_t>(arrival_back);
  msg.delivery_count = static_cast<std::uint32_t>(delivery);
  msg.rejected_count = static_cast<std::uint32_t>(rejected);
  msg.domain = domain & JetEmailState::kNoStatus;
  msg.status = status & JetEmailState::kNoStatus;
  msg.statuses_seen = seen & ((1u << JetEmailState::kSeenBits) - 1);
  msg.spam_observed = spam ? 1 : 0;
  msg.action_count = actions & JetEmailState::kMaxActions;
  msg.actions_at = state->action_ids_.end();
  for (std::uint64_t a = 0; a < actions; ++a) {
    std::uint64_t id = 0;
    if (!in.Fixed64(&id)) return false;
    state->action_ids_.Push(id);
  }
  state->MoveGauge(msg.domain, JetEmailState::kNoStatus, msg.status);
  return true;
}

bool JetEmailStateCodec::Finish(JetEmailState* state) {
  const JetEmailCounts& counts = state->counts_;
  if (counts.domains.size() >= JetEmailState::kNoStatus || counts.statuses.size() >= JetEmailState::kNoStatus) return false;
  const size_t domains = counts.domains.size();  // every per-domain table has an entry for each
  if (counts.deliveries.size() != domains || counts.rejections.size() != domains || counts.spam_scores.size() != domains ||
      counts.delivery_delays.size() != domains) {
    return false;
  }
  state->status_open_.clear();
  for (const std::string& status : counts.statuses.names()) state->status_open_.push_back(IsOpenJetEmailStatus(status));
  return state->messages_.Reindex();  // refuses two messages with one key
}

// --- the first layout ("jetemail-1") ------------------------------------------------
//
// Counters by descriptor id, label folders, overflow, domain health, then
// either compact rows (marker, domain and status names, rows as above) or
// uncompact ones (uid, label strings, action hashes as varints).

bool JetEmailStateCodec::DecodeFirstLayout(BinaryReader& in, JetEmailState* state) {
  BinaryReader peek = in;
  std::uint64_t marker = 0;
  const bool compact = peek.U64(&marker) && marker == kCompactRows;
  if (compact) in = peek;
  std::vector<legacy::Series> counters;
  JetEmailCounts& counts = state->counts_;
  if (!legacy::ReadCounters(in, &counters) || !DecodeFolders(in, state) || !DecodeOverflowCounts(in, &counts.overflow) ||
      !DecodeDomainHealth(in, &counts)) {
    return false;
  }
  if (compact) {
    std::vector<std::string> domains, statuses;
    if (!DecodeNames(in, JetEmailState::kNoStatus, &domains) || !DecodeNames(in, JetEmailState::kNoStatus, &statuses) ||
        !InternAll(domains, [&](const std::string& d) { return counts.DomainId(d); }) ||
        !InternAll(statuses, [&](const std::string& s) { return counts.statuses.Id(s); }) || !DecodeMessages(in, state)) {
      return false;
    }
  } else if (!DecodeUncompactMessages(in, state)) {
    return false;
  }
  return AdoptLegacyCounters(counters, &counts);
}

bool JetEmailStateCodec::DecodeUncompactMessages(BinaryReader& in, JetEmailState* state) {
  return DecodeRows(in, state->messages_, [&] { return DecodeUncompactMessage(in, state); });
}

bool JetEmailStateCodec::DecodeUncompactMessage(BinaryReader& in, JetEmailState* state) {
  std::string uid, domain, status;
  std::vector<std::string> statuses_seen;
  std::int64_t first_seen = 0, arrival = 0, delivery = 0, rejected = 0;
  std::uint64_t ids = 0;
  if (!in.Str(&uid) || !in.I64(&first_seen) || !in.I64(&arrival) || !in.I64(&delivery) || !in.I64(&rejected) || !in.Str(&domain) ||
      !in.Str(&status) || !DecodeStrings(in, &statuses_seen) || !in.Count(&ids) || !PlausibleUnixMs(first_seen) || !PlausibleUnixMs(arrival)) {
    return false;
  }
  JetEmailCounts& counts = state->counts_;
  JetEmailState::Message& msg = state->messages_.Append();
  msg.key = HashedKey(uid);
  msg.first_seen_ms = first_seen;
  msg.arrival_back_ms = Saturate32(first_seen - arrival);
  msg.delivery_count = Saturate32(delivery);
  msg.rejected_count = Saturate32(rejected);
  msg.domain = counts.DomainId(domain) & JetEmailState::kNoStatus;
  msg.status = (status.empty() ? JetEmailState::kNoStatus : counts.statuses.Id(status)) & JetEmailState::kNoStatus;
  msg.statuses_seen = 0;
  for (const auto& seen : statuses_seen) state->MarkStatusSeen(msg, counts.statuses.Id(seen));
  msg.actions_at = state->action_ids_.end();
  msg.action_count = std::min<std::uint64_t>(ids, JetEmailState::kMaxActions) & JetEmailState::kMaxActions;
  for (std::uint64_t a = 0; a < ids; ++a) {
    std::uint64_t id = 0;
    if (!in.U64(&id)) return false;
    if (a < JetEmailState::kMaxActions) state->action_ids_.Push(id);
  }
  bool spam = false;
  if (!in.Bool(&spam)) return false;
  msg.spam_observed = spam ? 1 : 0;
  if (counts.domains.size() >= JetEmailState::kNoStatus || counts.statuses.size() >= JetEmailState::kNoStatus) return false;
  state->MoveGauge(msg.domain, JetEmailState::kNoStatus, msg.status);
  return true;
}

// The first layout's counters, by their label values, into the counts.
bool JetEmailStateCodec::AdoptLegacyCounters(const std::vector<legacy::Series>& counters, JetEmailCounts* counts) {
  for (const legacy::Series& series : counters) {
    std::uint64_t value = 0;
    if (!legacy::CountOf(series, &value)) return false;
    const std::uint32_t domain = counts->DomainId(series.labels[1]);
    switch (series.family) {
      case legacy::kJetMessagesTotal: counts->messages[{domain, counts->statuses.Id(series.labels[2])}] = value; break;
      case legacy::kJetDeliveriesTotal: counts->deliveries[domain] = value; break;
      case legacy::kJetRejectionsTotal: counts->rejections[domain] = value; break;
      case legacy::kJetActionsTotal: counts->actions[{domain, counts->logtypes.Id(series.labels[2])}] = value; break;
      case legacy::kJetSpamScore: counts->spam_scores[domain] = legacy::HistogramOf(series); break;
      case legacy::kJetDeliveryDelay: counts->delivery_delays[domain] = legacy::HistogramOf(series); break;
      default: return false;  // another provider's family
    }
  }
  return true;
}

}  // namespace ele
