#include "exporter/state/mailtrap_state_codec.h"

#include <algorithm>
#include <limits>

#include "exporter/state/state_codec.h"

namespace ele {
namespace {

constexpr std::string_view kFirstTag = "mailtrap-2";
// Marks the compact message rows of the first layout; its uncompact rows
// began with a descriptor id, always smaller, so either is recognised.
constexpr std::uint64_t kCompactRows = 0x4D54'5250;  // "MTRP"

constexpr std::uint64_t kQueuedBit = 1, kFetchedBit = 2, kDelayBit = 4;  // a message's flags
constexpr auto kEventTypes = static_cast<std::uint32_t>(events::DeliveryEventType::kOther) + 1;

bool DecodeLabelSet(BinaryReader& in, size_t skip, MailtrapCounts* counts) {
  std::vector<std::string> labels;
  if (!DecodeStrings(in, &labels) || labels.size() != skip + 3) return false;
  const size_t before = counts->label_sets.size();
  return counts->LabelSetId({labels[skip], labels[skip + 1], labels[skip + 2]}) == before;  // a duplicate would shift ids
}

}  // namespace

bool MailtrapStateCodec::DecodeFolders(BinaryReader& in, MailtrapState* state) {
  for (LabelFolder* folder : Folders(state)) {
    if (!DecodeLabelFolder(in, folder)) return false;
  }
  return true;
}

// Statuses as MailtrapState::InternStatus makes them: at most 15 names,
// then "other" as the last one a state can take.
bool MailtrapStateCodec::PlausibleStatuses(const std::vector<std::string>& statuses) {
  if (statuses.size() < MailtrapState::kMaxStatuses) return true;
  return statuses.size() == MailtrapState::kMaxStatuses && std::find(statuses.begin(), statuses.end(), LabelFolder::kOther) != statuses.end();
}

std::string MailtrapStateCodec::Encode(const MailtrapState& state, const std::optional<TimePoint>& watermark) {
  BinaryWriter out;
  WriteBlobHeader(kTag, watermark, out);
  for (const LabelFolder* folder : Folders(&state)) EncodeLabelFolder(*folder, out);
  EncodeCounts(state.counts_, out);
  EncodeMessages(state, out);
  EncodeMailboxProviders(state, out);
  return std::move(out.data());
}

bool MailtrapStateCodec::Decode(std::string_view blob, MailtrapState* state, std::optional<TimePoint>* watermark) {
  BinaryReader in(blob);
  std::string tag;
  if (!ReadBlobHeader(in, &tag, watermark)) return false;
  bool ok = false;
  if (tag == kTag || tag == kPreviousTag) {
    ok = DecodeFolders(in, state) && DecodeCounts(in, &state->counts_) && DecodeMessages(in, state) && DecodeDetailQueue(in, true, state) &&
         (tag == kPreviousTag || DecodeMailboxProviders(in, state));
  } else if (tag == kFirstTag) {
    ok = DecodeFirstLayout(in, state);
  }
  return ok && in.ok() && in.at_end();
}

// --- counts -----------------------------------------------------------------------
//
// Label sets (routes follow from them), statuses, bounce categories,
// overflow, then every count by its ids. The held gauge's keys are kept (a
// status no message holds any more stays at 0 across a restart); its values
// are rebuilt from the messages.

void MailtrapStateCodec::EncodeCounts(const MailtrapCounts& counts, BinaryWriter& out) {
  out.U64(counts.label_sets.size());
  for (const auto& labels : counts.label_sets) EncodeStrings({labels.begin(), labels.end()}, out);
  EncodeStrings(counts.statuses, out);
  EncodeStrings(counts.bounce_categories.names(), out);
  EncodeOverflowCounts(counts.overflow, out);
  EncodePairCounts(counts.messages, out);
  EncodePairCounts(counts.held, out);
  for (const auto* per_set : {&counts.opens, &counts.clicks, &counts.opened, &counts.clicked}) EncodeCountVector(*per_set, out);
  EncodePairCounts(counts.events, out);
  EncodePairCounts(counts.bounces, out);
  out.U64(counts.delivery_delays.size());
  for (const auto& [route, histogram] : counts.delivery_delays) {
    out.U64(route);
    EncodeHistogram(histogram, out);
  }
}

bool MailtrapStateCodec::DecodeCounts(BinaryReader& in, MailtrapCounts* counts) {
  std::uint64_t n = 0;
  std::vector<std::string> bounce_categories;
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (!DecodeLabelSet(in, 0, counts)) return false;
  }
  if (!DecodeStrings(in, &counts->statuses) || !PlausibleStatuses(counts->statuses) || !DecodeStrings(in, &bounce_categories) ||
      !DecodeOverflowCounts(in, &counts->overflow)) {
    return false;
  }
  for (size_t i = 0; i < bounce_categories.size(); ++i) {
    if (counts->bounce_categories.Id(bounce_categories[i]) != i) return false;
  }
  return DecodeCountTables(in, counts);
}

bool MailtrapStateCodec::DecodeCountTables(BinaryReader& in, MailtrapCounts* counts) {
  const auto sets = static_cast<std::uint32_t>(counts->label_sets.size());
  const auto statuses = static_cast<std::uint32_t>(counts->statuses.size());
  if (!DecodePairCounts(in, {sets, statuses}, &counts->messages) || !DecodePairCounts(in, {sets, statuses}, &counts->held)) return false;
  for (auto& [key, held] : counts->held) held = 0;  // rebuilt from the messages
  for (auto* per_set : {&counts->opens, &counts->clicks, &counts->opened, &counts->clicked}) {
    if (!DecodeCountVector(in, per_set) || per_set->size() != sets) return false;
  }
  std::uint64_t n = 0;
  if (!DecodePairCounts(in, {sets, kEventTypes}, &counts->events) ||
      !DecodePairCounts(in, {static_cast<std::uint32_t>(counts->routes.size()), static_cast<std::uint32_t>(counts->bounce_categories.size())},
                        &counts->bounces) ||
      !in.Count(&n)) {
    return false;
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t route = 0;
    HistogramCounts histogram;
    if (!in.U64(&route) || route >= counts->routes.size() || !DecodeHistogram(in, buckets::kDelaySeconds.size(), &histogram)) return false;
    counts->delivery_delays[static_cast<std::uint32_t>(route)] = std::move(histogram);
  }
  return true;
}

// --- messages ---------------------------------------------------------------------
//
// Per message its key (16 raw bytes), sent_at, counts and indices as
// varints, flags, and its event keys (8 raw bytes each); then the irregular
// ids. About 30 bytes a message. Then the detail queue.

void MailtrapStateCodec::EncodeMessages(const MailtrapState& state, BinaryWriter& out) {
  // About 37 bytes a message, 24 a queued detail: reserved whole, so the
  // buffer is not grown (and copied) again.
  out.Reserve(state.messages_.size() * 40 + state.event_keys_.size() * 8 + state.details_.size() * 32 + state.irregular_ids_.size() * 64);
  out.U64(state.messages_.size());
  for (const MailtrapState::Message& msg : state.messages_) {
    EncodeKey(msg.key, out);
    out.I64(msg.sent_at_ms);
    out.U64(msg.opens);
    out.U64(msg.clicks);
    out.U64(msg.label_set);
    out.U64(msg.status);
    out.U64(msg.statuses_seen);
    out.U64((msg.detail_queued ? kQueuedBit : 0) | (msg.detail_fetched ? kFetchedBit : 0) | (msg.delay_observed ? kDelayBit : 0));
    out.U64(msg.event_count);
    for (std::uint64_t key : state.event_keys_.Run(msg.events_at, msg.event_count)) out.Fixed64(key);
  }
  out.U64(state.irregular_ids_.size());
  for (const auto& [key, id] : state.irregular_ids_) {
    EncodeKey(key, out);
    out.Str(id);
  }
  out.U64(state.details_.size());
  for (const DetailQueue::Entry& d : state.details_.entries()) {
    EncodeKey(d.key, out);
    out.I64(d.queued_at_ms);
    out.I64(d.failures);
  }
}

bool MailtrapStateCodec::DecodeMessages(BinaryReader& in, MailtrapState* state) {
  std::uint64_t n = 0;
  if (!DecodeRows(in, state->messages_, [&] { return DecodeMessage(in, state); }) || !in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    MessageKey key;
    std::string id;
    if (!DecodeKey(in, &key) || !in.Str(&id)) return false;
    state->irregular_ids_.emplace(key, std::move(id));
  }
  return state->messages_.Reindex();  // refuses two messages with one key
}

bool MailtrapStateCodec::DecodeMessage(BinaryReader& in, MailtrapState* state) {
  constexpr std::uint64_t kMax32 = std::numeric_limits<std::uint32_t>::max();
  MailtrapState::Message& msg = state->messages_.Append();
  std::uint64_t opens = 0, clicks = 0, label_set = 0, status = 0, seen = 0, flags = 0, events = 0;
  if (!DecodeKey(in, &msg.key) || !in.I64(&msg.sent_at_ms) || !in.U64(&opens) || !in.U64(&clicks) ||
      !in.U64(&label_set) || !in.U64(&status) || !in.U64(&seen) || !in.U64(&flags) || !in.Count(&events) || !PlausibleUnixMs(msg.sent_at_ms)) {
    return false;
  }
  if (opens > kMax32 || clicks > kMax32 || label_set >= state->counts_.label_sets.size() ||
      (status >= state->counts_.statuses.size() && status != MailtrapState::kNoStatus) || seen >= (1u << MailtrapState::kMaxStatuses) ||
      flags > (kQueuedBit | kFetchedBit | kDelayBit) || events > MailtrapState::kMaxEvents) {
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
  msg.events_at = state->event_keys_.end();
  for (std::uint64_t e = 0; e < events; ++e) {
    std::uint64_t key = 0;
    if (!in.Fixed64(&key)) return false;
    state->event_keys_.Push(key);
  }
  state->MoveGauge(msg.label_set, MailtrapState::kNoStatus, msg.status);
  return true;
}

// --- mailbox providers --------------------------------------------------------------
//
// Their label folder, their names, then each count as (route, provider,
// event type, count).

void MailtrapStateCodec::EncodeMailboxProviders(const MailtrapState& state, BinaryWriter& out) {
  EncodeLabelFolder(state.mailbox_providers_, out);
  EncodeStrings(state.counts_.mailbox_providers.names(), out);
  out.U64(state.counts_.mailbox_provider_events.size());
  for (const auto& [key, n] : state.counts_.mailbox_provider_events) {
    for (std::uint32_t id : key) out.U64(id);
    out.U64(n);
  }
}

bool MailtrapStateCodec::DecodeMailboxProviders(BinaryReader& in, MailtrapState* state) {
  MailtrapCounts& counts = state->counts_;
  std::vector<std::string> names;
  std::uint64_t n = 0;
  if (!DecodeLabelFolder(in, &state->mailbox_providers_) || !DecodeStrings(in, &names) || !in.Count(&n)) return false;
  for (size_t i = 0; i < names.size(); ++i) {
    if (counts.mailbox_providers.Id(names[i]) != i) return false;  // a duplicate would shift ids
  }
  const std::array<std::uint64_t, 3> limits = {counts.routes.size(), names.size(), kEventTypes};
  for (std::uint64_t i = 0; i < n; ++i) {
    IdTriple key{};
    std::uint64_t count = 0;
    for (size_t k = 0; k < key.size(); ++k) {
      std::uint64_t id = 0;
      if (!in.U64(&id) || id >= limits[k]) return false;
      key[k] = static_cast<std::uint32_t>(id);
    }
    if (!in.U64(&count) || !counts.mailbox_provider_events.emplace(key, count).second) return false;
  }
  return true;
}

// `by_key`: entries name their message by its key (else by its id, as the
// uncompact rows of the first layout did).
bool MailtrapStateCodec::DecodeDetailQueue(BinaryReader& in, bool by_key, MailtrapState* state) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    DetailQueue::Entry d;
    std::string id;
    std::int64_t failures = 0;
    if (by_key ? !DecodeKey(in, &d.key) : !in.Str(&id)) return false;
    if (!by_key) d.key = MailtrapState::KeyFor(id);
    if (!in.I64(&d.queued_at_ms) || !in.I64(&failures) || !PlausibleUnixMs(d.queued_at_ms) || failures < 0 || failures >= DetailQueue::kMaxFailures) return false;
    d.failures = static_cast<int>(failures);
    if (state->messages_.Find(d.key) != nullptr) state->details_.Push(d);  // else nothing left to fetch it for
  }
  return true;
}

// --- the first layout ("mailtrap-2") ------------------------------------------------
//
// Counters by descriptor id, label folders, overflow, label sets with the
// account first, statuses, then compact rows (marker; as above) or
// uncompact ones (the id as a string, every field a varint), then the
// detail queue.

bool MailtrapStateCodec::DecodeFirstLayout(BinaryReader& in, MailtrapState* state) {
  BinaryReader peek = in;
  std::uint64_t marker = 0;
  const bool compact = peek.U64(&marker) && marker == kCompactRows;
  if (compact) in = peek;
  std::vector<legacy::Series> counters;
  if (!legacy::ReadCounters(in, &counters) || !DecodeFolders(in, state)) return false;
  MailtrapCounts& counts = state->counts_;
  if (!DecodeOverflowCounts(in, &counts.overflow) || !DecodeFirstLabelSets(in, &counts) || !DecodeStrings(in, &counts.statuses) ||
      !PlausibleStatuses(counts.statuses)) {
    return false;
  }
  if (!(compact ? DecodeMessages(in, state) : DecodeUncompactMessages(in, state) && state->messages_.Reindex())) return false;
  return DecodeDetailQueue(in, compact, state) && AdoptLegacyCounters(counters, &counts);
}

bool MailtrapStateCodec::DecodeFirstLabelSets(BinaryReader& in, MailtrapCounts* counts) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (!DecodeLabelSet(in, 1, counts)) return false;  // the account first: the same for every set
  }
  return true;
}

bool MailtrapStateCodec::DecodeUncompactMessages(BinaryReader& in, MailtrapState* state) {
  return DecodeRows(in, state->messages_, [&] { return DecodeUncompactMessage(in, state); });
}

bool MailtrapStateCodec::DecodeUncompactMessage(BinaryReader& in, MailtrapState* state) {
  std::string id;
  std::int64_t sent_at = 0, opens = 0, clicks = 0;
  std::uint64_t label_set = 0, status = 0, seen = 0, events = 0;
  bool queued = false, fetched = false, delay = false;
  const MailtrapCounts& counts = state->counts_;
  if (!in.Str(&id) || !in.I64(&sent_at) || !in.I64(&opens) || !in.I64(&clicks) || !in.U64(&label_set) || label_set >= counts.label_sets.size() ||
      !in.U64(&status) || (status >= counts.statuses.size() && status != MailtrapState::kNoStatus) || !in.U64(&seen) ||
      seen >= (1u << MailtrapState::kMaxStatuses) || !in.Bool(&queued) || !in.Bool(&fetched) || !in.Bool(&delay) || !in.Count(&events) ||
      !PlausibleUnixMs(sent_at)) {
    return false;
  }
  MailtrapState::Message& msg = state->messages_.Append();
  msg.key = state->RememberedKeyFor(id);
  msg.sent_at_ms = sent_at;
  msg.opens = Saturate32(opens);
  msg.clicks = Saturate32(clicks);
  msg.label_set = static_cast<std::uint32_t>(label_set);
  msg.status = static_cast<std::uint8_t>(status);
  msg.statuses_seen = static_cast<std::uint16_t>(seen);
  msg.detail_queued = queued;
  msg.detail_fetched = fetched;
  msg.delay_observed = delay;
  msg.events_at = state->event_keys_.end();
  for (std::uint64_t e = 0; e < events; ++e) {
    std::uint64_t key = 0;
    if (!in.U64(&key)) return false;
    if (e < MailtrapState::kMaxEvents) state->event_keys_.Push(key);
  }
  msg.event_count = static_cast<std::uint16_t>(std::min<std::uint64_t>(events, MailtrapState::kMaxEvents));
  state->MoveGauge(msg.label_set, MailtrapState::kNoStatus, msg.status);
  return true;
}

// The first layout's counters, by their label values, into the counts.
bool MailtrapStateCodec::AdoptLegacyCounters(const std::vector<legacy::Series>& counters, MailtrapCounts* counts) {
  for (const legacy::Series& series : counters) {
    const auto& l = series.labels;  // account first
    std::uint64_t value = 0;
    if (!legacy::CountOf(series, &value)) return false;
    switch (series.family) {
      case legacy::kMtMessagesTotal: {
        auto status = std::find(counts->statuses.begin(), counts->statuses.end(), l[4]);
        if (status == counts->statuses.end()) return false;  // a counted status is always interned
        counts->messages[{counts->LabelSetId({l[1], l[2], l[3]}), static_cast<std::uint32_t>(status - counts->statuses.begin())}] = value;
        break;
      }
      case legacy::kMtOpensTotal: counts->opens[counts->LabelSetId({l[1], l[2], l[3]})] = value; break;
      case legacy::kMtClicksTotal: counts->clicks[counts->LabelSetId({l[1], l[2], l[3]})] = value; break;
      case legacy::kMtOpenedMessagesTotal: counts->opened[counts->LabelSetId({l[1], l[2], l[3]})] = value; break;
      case legacy::kMtClickedMessagesTotal: counts->clicked[counts->LabelSetId({l[1], l[2], l[3]})] = value; break;
      case legacy::kMtEventsTotal: {
        const auto type = static_cast<std::uint32_t>(events::DeliveryEventTypeFromName(l[4]));
        counts->events[{counts->LabelSetId({l[1], l[2], l[3]}), type}] = value;
        break;
      }
      case legacy::kMtBouncesTotal: {
        const auto route = counts->route_ids.find({l[1], l[2]});
        if (route == counts->route_ids.end()) return false;  // routes come from label sets; the new layout rebuilds them so
        counts->bounces[{route->second, counts->bounce_categories.Id(l[3])}] = value;
        break;
      }
      case legacy::kMtDeliveryDelay: {
        const auto route = counts->route_ids.find({l[1], l[2]});
        if (route == counts->route_ids.end()) return false;
        counts->delivery_delays[route->second] = legacy::HistogramOf(series);
        break;
      }
      default: return false;  // another provider's family
    }
  }
  return true;
}

}  // namespace ele
