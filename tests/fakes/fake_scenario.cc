#include "tests/fakes/fake_scenario.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string_view>

namespace ele::fake::internal {
namespace {

constexpr std::string_view kJetLocals[] = {"info", "support", "sales", "jobs", "admin", "kontakt"};
constexpr std::string_view kJetSenders[] = {
    "alice@partner.example.net", "billing@vendor.example.org", "noreply@shop.example.com",
    "j.muller@firma.example.de", "news@letters.example.io",    "sender@example.com"};
// Unicode on purpose: the exporter must not choke on it.
constexpr std::string_view kJetSubjects[] = {"Re: Online afspraken",    "Ihre Rechnung für März",
                                             "Réservation confirmée ✔", "见面时间确认",
                                             "Привет, как дела?",       "Weekly report 📈",
                                             "Invoice 2024-118",        "Fwd: Angebot – Übersicht"};
constexpr std::string_view kDeferrals[] = {
    "451 4.7.1 Greylisted, please try again later", "421 4.4.2 Connection timed out",
    "452 4.2.2 Mailbox full", "450 4.1.8 Sender address rejected: Domain not found"};

constexpr std::string_view kMtLocals[] = {"user", "customer", "jane.doe", "max", "li.wei"};
constexpr std::string_view kMtRecipientDomains[] = {"gmail.com", "outlook.com", "yahoo.com",
                                                    "example.net", "proton.me"};
constexpr std::string_view kMtSubjects[] = {"Welcome aboard! 🎉",       "Reset your password",
                                            "Your receipt #4711",      "Neuigkeiten im März",
                                            "Confirmez votre adresse", "本周精选"};
constexpr std::string_view kSoftBounceCategories[] = {"quota_issues", "routing_errors",
                                                      "message_expired"};
constexpr std::string_view kBounceCategories[] = {"bad_mailbox", "spam_block", "domain_not_found"};
constexpr std::string_view kRejectReasons[] = {"Blacklisted recipient",
                                               "Suppressed: previously unsubscribed"};

template <std::size_t N>
std::string Pick(Rng& rng, const std::string_view (&pool)[N]) {
  return std::string(
      pool[static_cast<std::size_t>(rng.Uniform(0, static_cast<std::int64_t>(N) - 1))]);
}

// A few domains (every seventh, including some past the first 20) carry
// most of the traffic, like real accounts.
std::vector<int> JetDomainWeights(int count) {
  std::vector<int> weights(static_cast<std::size_t>(std::max(count, 1)), 1);
  for (std::size_t i = 0; i < weights.size(); i += 7) weights[i] = 5;
  return weights;
}

std::string Ip(std::string_view prefix, Rng& rng) {
  return std::string(prefix) + std::to_string(rng.Uniform(1, 254));
}

// Odd multiplier spreading consecutive slot numbers over the 32-bit id prefix.
constexpr std::uint32_t kSlotSpread = 0x9E3779B1u;

// Multiplicative inverse of an odd number modulo 2^32 (Newton's iteration).
std::uint32_t InverseMod32(std::uint32_t a) {
  std::uint32_t x = a;
  for (int i = 0; i < 5; ++i) x *= 2u - a * x;
  return x;
}

// --- JetEmail ---

enum class JetOutcome { kDelivered, kRejected, kSpam, kBounced, kBlocked };

JetAction RelayAction(Rng& rng, std::string logtype, std::int64_t at, std::int64_t arrival,
                      std::string response, const std::string& domain) {
  JetAction action;
  action.id = rng.Uuid();
  action.logtype = std::move(logtype);
  action.date_ms = at;
  action.delay_s = (at - arrival) / 1000;
  action.response = std::move(response);
  action.host = "mail." + domain;
  action.ip = Ip("192.0.2.", rng);
  action.port = 25;
  action.mode = "smtp";
  return action;
}

JetStep ArrivalStep(Rng& rng, const JetMessage& m, std::int64_t score_tenths) {
  JetAction inbound;
  inbound.id = rng.Uuid();
  inbound.logtype = "inbound";
  inbound.date_ms = m.arrival_ms;
  inbound.spam_score = static_cast<double>(score_tenths) / 10.0;
  inbound.response = "250 2.0.0 Ok: queued as " + rng.Hex(11, true);
  JetStep step;
  step.at_ms = m.arrival_ms;
  step.status = "queued";
  step.response = inbound.response;
  step.action = std::move(inbound);
  return step;
}

JetStep DeferralStep(Rng& rng, const JetMessage& m, std::int64_t at, const std::string& domain) {
  const std::string response = Pick(rng, kDeferrals);
  JetStep step;
  step.at_ms = at;
  step.status = "deferred";
  step.rejected_inc = 1;
  step.action = RelayAction(rng, "delivery", at, m.arrival_ms, response, domain);
  step.response = response;
  step.rejected_response = "RCPT TO failed for " + m.to + ": " + response;
  return step;
}

JetStep FinalStep(Rng& rng, const JetMessage& m, JetOutcome outcome, std::int64_t at,
                  double spam_score, const std::string& domain) {
  JetStep step;
  step.at_ms = at;
  switch (outcome) {
    case JetOutcome::kDelivered:
      step.status = "delivered";
      step.delivery_inc = 1;
      step.delivered = true;
      step.action = RelayAction(rng, "delivery", at, m.arrival_ms,
                                "250 2.0.0 Ok: queued as " + rng.Hex(11, true), domain);
      break;
    case JetOutcome::kRejected:
      step.status = "rejected";
      step.rejected_inc = 1;
      step.action = RelayAction(rng, "delivery", at, m.arrival_ms,
                                "550 5.1.1 <" + m.to + ">: Recipient address rejected", domain);
      step.rejected_response = "RCPT TO failed for " + m.to + ": " + step.action->response;
      break;
    case JetOutcome::kSpam: {
      JetAction spam =
          RelayAction(rng, "spam", at, m.arrival_ms, "554 5.7.1 Message rejected as spam", domain);
      // Never above the inbound score: the message's highest score is known
      // from its arrival on, whenever a poller first sees it.
      spam.spam_score = spam_score;
      spam.spam_report = "BAYES_99(3.5),URIBL_BLACK(2.0),RCVD_IN_SBL(2.5)";
      spam.host = spam.ip = spam.mode = "";
      spam.port = 0;
      step.status = "spam";
      step.action = std::move(spam);
      break;
    }
    case JetOutcome::kBounced:
      step.status = "bounced";
      step.action = RelayAction(rng, "outbound", at, m.arrival_ms,
                                "250 2.0.0 Ok: bounce notice queued", domain);
      break;
    case JetOutcome::kBlocked:
      step.status = "Blocked";  // upper case as some rows are; the exporter lowercases
      step.response = "550 5.7.1 Blocked by domain policy";
      break;
  }
  if (step.action && step.response.empty()) step.response = step.action->response;
  return step;
}

// --- Mailtrap ---

std::optional<std::string> MailboxProviderOf(std::string_view recipient_domain) {
  if (recipient_domain == "gmail.com") return "Google";
  if (recipient_domain == "outlook.com") return "Microsoft";
  if (recipient_domain == "yahoo.com") return "Yahoo";
  if (recipient_domain == "proton.me") return "Other";
  return std::nullopt;
}

nlohmann::ordered_json DeliveryDetails(const std::string& sending_ip, const std::string& rcpt) {
  const std::string domain = rcpt.substr(rcpt.find('@') + 1);
  nlohmann::ordered_json details = {{"sending_ip", sending_ip}, {"recipient_mx", "mx." + domain}};
  // As Mailtrap names them; a recipient it does not recognise has no provider.
  if (const std::optional<std::string> provider = MailboxProviderOf(domain)) {
    details["email_service_provider"] = *provider;
  } else {
    details["email_service_provider"] = nullptr;
  }
  return details;
}

nlohmann::ordered_json BounceDetails(const std::string& sending_ip, const std::string& rcpt,
                                     bool soft, const std::string& category) {
  nlohmann::ordered_json details = DeliveryDetails(sending_ip, rcpt);
  details["email_service_provider_status"] = soft ? "4.2.2" : "5.1.1";
  details["email_service_provider_response"] =
      soft ? "452 4.2.2 Mailbox full, try again later" : "550 5.1.1 User unknown";
  details["bounce_category"] = category;
  return details;
}

MtEvent Event(std::string type, std::int64_t at, nlohmann::ordered_json details) {
  return MtEvent{std::move(type), at, std::move(details)};
}

// Rounds an offset up to 250 ms, so delivery delays are exact in binary and
// sums compare exactly.
std::int64_t Quarter(std::int64_t offset_ms) { return (offset_ms + 249) / 250 * 250; }

void AddEngagement(Rng& rng, MtMessage& m, std::int64_t delivered_at, std::int64_t late) {
  if (!rng.Chance(0.45)) return;
  std::vector<std::int64_t> opens;
  const std::int64_t open_count = rng.Uniform(1, 4);
  for (std::int64_t i = 0; i < open_count; ++i) {
    opens.push_back(delivered_at + rng.Uniform(1000, std::max<std::int64_t>(1000, late)));
  }
  for (std::int64_t at : opens) {
    m.events.push_back(Event("open", at, {{"web_ip_address", Ip("100.64.0.", rng)}}));
  }
  if (!rng.Chance(0.4)) return;
  const std::int64_t click_count = rng.Uniform(1, 2);
  for (std::int64_t i = 0; i < click_count; ++i) {
    const std::int64_t base = opens[static_cast<std::size_t>(rng.Uniform(0, open_count - 1))];
    const std::int64_t at =
        std::max(base, std::min(base + rng.Uniform(500, 10'000), delivered_at + late));
    m.events.push_back(Event("click", at,
                             {{"click_url", "https://example.com/landing?c=" + rng.Hex(6)},
                              {"web_ip_address", Ip("100.64.0.", rng)}}));
  }
}

void AddOptOut(Rng& rng, MtMessage& m, std::int64_t delivered_at, std::int64_t dwell,
               std::int64_t late) {
  if (!rng.Chance(0.04)) return;
  const std::int64_t at = delivered_at + dwell + rng.Uniform(0, std::max<std::int64_t>(0, late));
  if (rng.Chance(0.7)) {
    m.events.push_back(Event("unsubscribe", at, {{"web_ip_address", Ip("100.64.0.", rng)}}));
  } else {
    m.events.push_back(Event("spam", at, {{"spam_feedback_type", "abuse"}}));
  }
  m.statuses.emplace_back(at, "opted_out");
}

// Soft bounces and suspensions while enqueued; returns the last one's time.
std::int64_t AddEnqueuedEvents(Rng& rng, MtMessage& m, const std::string& sending_ip,
                               std::int64_t dwell) {
  std::int64_t last = m.sent_ms;
  if (rng.Chance(0.03)) {
    last += rng.Uniform(1000, std::max<std::int64_t>(1000, dwell));
    m.events.push_back(
        Event("suspension", last, {{"reject_reason", "Sending paused: account review"}}));
  }
  if (rng.Chance(0.10)) {
    const std::int64_t count = rng.Uniform(1, 2);
    for (std::int64_t i = 0; i < count; ++i) {
      last += rng.Uniform(1000, std::max<std::int64_t>(1000, dwell));
      m.events.push_back(
          Event("soft_bounce", last,
                BounceDetails(sending_ip, m.to, true, Pick(rng, kSoftBounceCategories))));
    }
  }
  return last;
}

}  // namespace

// ---------------------------------------------------------------- randomness

std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t Mix(std::uint64_t a, std::uint64_t b) { return SplitMix(a ^ SplitMix(b)); }

std::uint64_t HashText(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::int64_t Rng::Uniform(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<std::int64_t>(Next() % span);
}

bool Rng::Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }

std::size_t Rng::Weighted(std::span<const int> weights) {
  std::int64_t total = 0;
  for (const int w : weights) total += w;
  std::int64_t roll = Uniform(0, total - 1);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (roll < weights[i]) return i;
    roll -= weights[i];
  }
  return weights.empty() ? 0 : weights.size() - 1;
}

std::string Rng::Uuid() {
  const std::uint64_t hi = (Next() & ~0xF000ULL) | 0x4000ULL;
  const std::uint64_t lo = (Next() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return FormatUuid(hi, lo);
}

std::string Rng::Hex(int digits, bool upper) {
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  std::string out;
  for (int i = 0; i < digits; ++i) out.push_back((upper ? kUpper : kLower)[Next() & 15]);
  return out;
}

std::string FormatUuid(std::uint64_t hi, std::uint64_t lo) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                static_cast<unsigned long long>(hi & 0xFFFF),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buffer;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseUuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::uint64_t parts[2] = {0, 0};
  int nibbles = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return std::nullopt;
      continue;
    }
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) return std::nullopt;
    std::uint64_t& part = parts[nibbles / 16];
    part = (part << 4) | static_cast<std::uint64_t>(v);
    ++nibbles;
  }
  return std::make_pair(parts[0], parts[1]);
}

// ---------------------------------------------------------------- references

bool operator<(const Ref& a, const Ref& b) {
  if (a.at_ms != b.at_ms) return a.at_ms < b.at_ms;
  if (a.key_hi != b.key_hi) return a.key_hi < b.key_hi;
  return a.key_lo < b.key_lo;
}

RefSource::RefSource(std::vector<Ref> scripted) : scripted_(std::move(scripted)) {
  std::sort(scripted_.begin(), scripted_.end());
}

RefSource::RefSource(SlotFn generate, SlotOfKeyFn slot_of_key, std::int64_t start_ms,
                     std::int64_t retention_ms)
    : continuous_(true),
      generate_(std::move(generate)),
      slot_of_key_(std::move(slot_of_key)),
      start_ms_(start_ms),
      retention_ms_(retention_ms) {}

std::int64_t RefSource::SlotOf(std::int64_t t) const {
  const std::int64_t offset = t - start_ms_;
  return offset >= 0 ? offset / kSlotMs : -1;
}

std::vector<RefSource::Slot> RefSource::Slots(std::int64_t first, std::int64_t last,
                                              std::int64_t now) const {
  std::lock_guard<std::mutex> lock(mu_);
  // Drop what no query can reach any more, whatever the caller asks for.
  const std::int64_t oldest_kept = SlotOf(now - kCacheSpanMs);
  while (!slots_.empty() && slots_.begin()->first < oldest_kept) slots_.erase(slots_.begin());
  std::vector<Slot> out;
  for (std::int64_t k = std::max<std::int64_t>(first, 0); k <= last; ++k) {
    auto it = slots_.find(k);
    if (it == slots_.end()) {
      auto refs = generate_(k);
      std::sort(refs.begin(), refs.end());
      it = slots_.emplace(k, std::make_shared<const std::vector<Ref>>(std::move(refs))).first;
    }
    out.push_back(it->second);
  }
  return out;
}

std::vector<Ref> RefSource::Collect(std::int64_t lo, std::int64_t hi, std::int64_t now) const {
  hi = std::min(hi, now);
  std::vector<Ref> out;
  if (!continuous_) {
    auto it = std::lower_bound(scripted_.begin(), scripted_.end(), lo,
                               [](const Ref& r, std::int64_t t) { return r.at_ms < t; });
    for (; it != scripted_.end() && it->at_ms <= hi; ++it) out.push_back(*it);
    return out;
  }
  lo = std::max({lo, now - retention_ms_, start_ms_});
  if (lo > hi) return out;
  for (const Slot& slot : Slots(SlotOf(lo), SlotOf(hi), now)) {
    for (const Ref& ref : *slot) {
      if (ref.at_ms >= lo && ref.at_ms <= hi) out.push_back(ref);
    }
  }
  return out;
}

std::optional<Ref> RefSource::Find(std::uint64_t key_hi, std::uint64_t key_lo,
                                   std::int64_t now) const {
  auto matches = [&](const Ref& r) { return r.key_hi == key_hi && r.key_lo == key_lo; };
  if (!continuous_) {
    for (const Ref& ref : scripted_) {
      if (matches(ref) && ref.at_ms <= now) return ref;
    }
    return std::nullopt;
  }
  const std::optional<std::int64_t> slot = slot_of_key_(key_hi);
  if (!slot || *slot < SlotOf(now - retention_ms_) || *slot > SlotOf(now)) return std::nullopt;
  for (const Slot& s : Slots(*slot, *slot, now)) {
    for (const Ref& ref : *s) {
      if (matches(ref) && ref.at_ms <= now && ref.at_ms >= now - retention_ms_) return ref;
    }
  }
  return std::nullopt;
}

std::size_t RefSource::cached_slots() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.size();
}

// ---------------------------------------------------------------- JetEmail

std::vector<JetDomain> MakeJetDomains(std::uint64_t seed, std::size_t account, int count) {
  std::vector<JetDomain> domains;
  Rng rng(Mix(seed, Mix(HashText("jetemail-domains"), account)));
  for (int i = 1; i <= count; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "d%02d.example.com", i);
    domains.push_back({name, rng.Uuid()});
  }
  return domains;
}

Ref MakeJetRef(Rng& rng, std::int64_t at_ms, int domain_count) {
  Ref ref;
  ref.at_ms = at_ms;
  ref.domain = static_cast<int>(rng.Weighted(JetDomainWeights(domain_count)));
  ref.key_hi = rng.Next();
  ref.key_lo = rng.Next() & 0xFFFF;
  ref.seed = rng.Next();
  return ref;
}

std::string JetUid(const Ref& ref) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "%016llx%04llx",
                static_cast<unsigned long long>(ref.key_hi),
                static_cast<unsigned long long>(ref.key_lo & 0xFFFF));
  return buffer;
}

namespace {

// Marks long_deferred_count of `refs`, evenly spread by arrival (the
// oldest first), as deferred for long.
void HoldSome(const JetEmailAccountSpec& account, std::vector<Ref>& refs) {
  const std::size_t n = refs.size();
  const std::size_t count = std::min(n, static_cast<std::size_t>(std::max(account.long_deferred_count, 0)));
  if (count == 0) return;
  std::sort(refs.begin(), refs.end());
  for (std::size_t i = 0; i < count; ++i) {
    Ref& ref = refs[i * n / count];
    ref.hold_ms = std::int64_t{account.long_deferral_s} * 1000;
    ref.retry_ms = std::max<std::int64_t>(1000, std::int64_t{account.long_retry_s} * 1000);
  }
}

// Deferred from one dwell after arrival until ref.hold_ms after it, tried
// again every ref.retry_ms, then delivered.
void AddLongDeferral(Rng& rng, const ScenarioSpec& spec, const std::string& domain, const Ref& ref, JetMessage& m) {
  const std::int64_t dwell = std::int64_t{spec.min_status_dwell_s} * 1000;
  const std::int64_t end = m.arrival_ms + std::max(ref.hold_ms, 2 * dwell);
  for (std::int64_t t = m.arrival_ms + dwell; t + dwell <= end; t += ref.retry_ms) {
    m.steps.push_back(DeferralStep(rng, m, t, domain));
  }
  m.steps.push_back(FinalStep(rng, m, JetOutcome::kDelivered, end, 0, domain));
}

}  // namespace

JetMessage BuildJetMessage(const ScenarioSpec& spec, const std::vector<JetDomain>& domains,
                           const Ref& ref) {
  Rng rng(ref.seed);
  const std::int64_t dwell = std::int64_t{spec.min_status_dwell_s} * 1000;
  const std::string& domain = domains.at(static_cast<std::size_t>(ref.domain)).name;
  JetMessage m;
  m.uid = JetUid(ref);
  m.domain = ref.domain;
  m.arrival_ms = ref.at_ms;
  m.to = Pick(rng, kJetLocals) + "@" + domain;
  m.from = Pick(rng, kJetSenders);
  m.subject = Pick(rng, kJetSubjects);

  static constexpr int kOutcomeWeights[] = {78, 7, 6, 5, 4};
  const auto outcome = static_cast<JetOutcome>(rng.Weighted(kOutcomeWeights));
  const std::int64_t score_tenths =
      outcome == JetOutcome::kSpam ? rng.Uniform(50, 100) : rng.Uniform(0, 45);
  m.steps.push_back(ArrivalStep(rng, m, score_tenths));
  if (ref.hold_ms > 0) {
    AddLongDeferral(rng, spec, domain, ref, m);
    return m;
  }

  std::int64_t t = m.arrival_ms;
  if (outcome != JetOutcome::kSpam && outcome != JetOutcome::kBlocked) {
    static constexpr int kDeferralWeights[] = {75, 15, 7, 3};
    const std::size_t deferrals = rng.Weighted(kDeferralWeights);
    for (std::size_t i = 0; i < deferrals; ++i) {
      t += dwell + rng.Uniform(0, dwell);
      m.steps.push_back(DeferralStep(rng, m, t, domain));
    }
  }
  t += dwell + rng.Uniform(0, 2 * dwell);
  m.steps.push_back(
      FinalStep(rng, m, outcome, t, static_cast<double>(score_tenths) / 10.0, domain));
  return m;
}

JetState JetStateAt(const JetMessage& message, std::int64_t t) {
  JetState state;
  for (const JetStep& step : message.steps) {
    if (step.at_ms > t) break;
    state.status = step.status;
    state.delivery_count += step.delivery_inc;
    state.rejected_count += step.rejected_inc;
    if (step.delivered) state.delivered_timestamp = step.at_ms;
    if (!step.response.empty()) state.response = step.response;
    if (!step.rejected_response.empty()) state.rejected_response = step.rejected_response;
    if (step.action) state.actions.push_back(&*step.action);
  }
  return state;
}

// ---------------------------------------------------------------- Mailtrap

std::int64_t MtMessage::last_change_ms() const {
  std::int64_t last = statuses.back().first;
  for (const MtEvent& e : events) last = std::max(last, e.at_ms);
  return last;
}

Ref MakeMtRef(Rng& rng, std::int64_t at_ms, std::optional<std::uint32_t> id_prefix) {
  Ref ref;
  ref.at_ms = at_ms;
  ref.key_hi = (rng.Next() & ~0xF000ULL) | 0x4000ULL;
  if (id_prefix) ref.key_hi = (std::uint64_t{*id_prefix} << 32) | (ref.key_hi & 0xFFFFFFFFULL);
  ref.key_lo = (rng.Next() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  ref.seed = rng.Next();
  return ref;
}

MtMessage BuildMtMessage(const ScenarioSpec& spec, const MailtrapAccountSpec& account,
                         const Ref& ref) {
  Rng rng(ref.seed);
  const std::int64_t dwell = std::int64_t{spec.min_status_dwell_s} * 1000;
  const std::int64_t late = std::int64_t{spec.late_activity_s} * 1000;
  MtMessage m;
  m.id = FormatUuid(ref.key_hi, ref.key_lo);
  m.sent_ms = ref.at_ms;
  m.stream = rng.Chance(0.7) ? "transactional" : "bulk";
  std::vector<int> domain_weights(std::max<std::size_t>(account.sending_domains.size(), 1), 1);
  domain_weights[0] = 3;
  if (domain_weights.size() > 1) domain_weights[1] = 2;
  m.domain = rng.Weighted(domain_weights);
  if (!account.categories.empty() && !rng.Chance(0.15)) {
    m.category = account.categories[static_cast<std::size_t>(
        rng.Uniform(0, static_cast<std::int64_t>(account.categories.size()) - 1))];
  }
  const std::string domain_name =
      account.sending_domains.empty() ? "example.com" : account.sending_domains[m.domain].name;
  m.from = (m.stream == "bulk" ? "news@" : "no-reply@") + domain_name;
  m.to = Pick(rng, kMtLocals) + std::to_string(rng.Uniform(1, 9999)) + "@" +
         Pick(rng, kMtRecipientDomains);
  m.subject = Pick(rng, kMtSubjects);
  m.client_ip = Ip("198.51.100.", rng);
  if (rng.Chance(0.5)) m.template_id = rng.Uniform(1000, 1100);
  m.statuses.emplace_back(m.sent_ms, "enqueued");

  const std::string sending_ip = Ip("203.0.113.", rng);
  const std::int64_t last_enqueued = AddEnqueuedEvents(rng, m, sending_ip, dwell);
  const std::int64_t final_at =
      m.sent_ms +
      Quarter(std::max(dwell, last_enqueued - m.sent_ms + 1000) + rng.Uniform(0, dwell));
  static constexpr int kOutcomeWeights[] = {85, 10, 5};
  // 0 delivered, 1 bounced, 2 rejected (bounces twice as often as rejects).
  std::size_t outcome = 0;
  if (account.failure_share < 0) {
    outcome = rng.Weighted(kOutcomeWeights);
  } else if (rng.Chance(account.failure_share)) {
    outcome = rng.Chance(2.0 / 3.0) ? 1 : 2;
  }
  switch (outcome) {
    case 0:
      m.events.push_back(Event("delivery", final_at, DeliveryDetails(sending_ip, m.to)));
      m.statuses.emplace_back(final_at, "delivered");
      AddEngagement(rng, m, final_at, late);
      AddOptOut(rng, m, final_at, dwell, late);
      break;
    case 1:
      m.events.push_back(
          Event("bounce", final_at,
                BounceDetails(sending_ip, m.to, false, Pick(rng, kBounceCategories))));
      m.statuses.emplace_back(final_at, "not_delivered");
      break;
    default:
      m.events.push_back(Event("reject", final_at, {{"reject_reason", Pick(rng, kRejectReasons)}}));
      m.statuses.emplace_back(final_at, "not_delivered");
      break;
  }
  std::stable_sort(m.events.begin(), m.events.end(),
                   [](const MtEvent& a, const MtEvent& b) { return a.at_ms < b.at_ms; });
  return m;
}

MtState MtStateAt(const MtMessage& message, std::int64_t t) {
  MtState state;
  for (const auto& [at, status] : message.statuses) {
    if (at <= t) state.status = status;
  }
  for (const MtEvent& e : message.events) {
    if (e.at_ms > t) break;
    if (e.type == "open") ++state.opens;
    if (e.type == "click") ++state.clicks;
  }
  return state;
}

// ---------------------------------------------------------------- scenario

Scenario::Scenario(ScenarioSpec spec, std::int64_t start_ms)
    : spec_(std::move(spec)), start_ms_(start_ms) {
  for (MailtrapAccountSpec& account : spec_.mailtrap) {
    if (account.sending_domains.empty()) account.sending_domains.push_back({1, "example.com"});
    account.page_size = std::max(account.page_size, 1);
  }
  for (std::size_t a = 0; a < spec_.jetemail.size(); ++a) {
    spec_.jetemail[a].domain_count = std::max(spec_.jetemail[a].domain_count, 1);
    jet_domains_.push_back(MakeJetDomains(spec_.seed, a, spec_.jetemail[a].domain_count));
  }
  if (spec_.continuous) {
    BuildContinuous();
  } else {
    BuildScripted();
  }
}

double Scenario::fault_share() const {
  if (spec_.fault_share >= 0) return spec_.fault_share;
  return spec_.continuous ? 0.01 : 0.0;
}

JetMessage Scenario::Jet(std::size_t account, const Ref& ref) const {
  return BuildJetMessage(spec_, jet_domains_[account], ref);
}

MtMessage Scenario::Mt(std::size_t account, const Ref& ref) const {
  return BuildMtMessage(spec_, spec_.mailtrap[account], ref);
}

void Scenario::BuildScripted() {
  end_ms_ = start_ms_;
  for (std::size_t a = 0; a < spec_.jetemail.size(); ++a) {
    const JetEmailAccountSpec& account = spec_.jetemail[a];
    Rng rng(Mix(spec_.seed, Mix(HashText("jetemail"), a)));
    std::vector<Ref> refs;
    for (int i = 0; i < account.message_count; ++i) {
      const std::int64_t at = start_ms_ + rng.Uniform(0, std::int64_t{account.duration_s} * 1000);
      refs.push_back(MakeJetRef(rng, at, account.domain_count));
    }
    HoldSome(account, refs);
    for (const Ref& ref : refs) end_ms_ = std::max(end_ms_, Jet(a, ref).last_change_ms());
    jet_sources_.push_back(std::make_unique<RefSource>(std::move(refs)));
  }
  for (std::size_t a = 0; a < spec_.mailtrap.size(); ++a) {
    const MailtrapAccountSpec& account = spec_.mailtrap[a];
    Rng rng(Mix(spec_.seed, Mix(HashText("mailtrap"), a)));
    std::vector<Ref> refs;
    for (int i = 0; i < account.message_count; ++i) {
      const std::int64_t at = start_ms_ + rng.Uniform(0, std::int64_t{account.duration_s} * 1000);
      refs.push_back(MakeMtRef(rng, at, std::nullopt));
      end_ms_ = std::max(end_ms_, Mt(a, refs.back()).last_change_ms());
    }
    mt_sources_.push_back(std::make_unique<RefSource>(std::move(refs)));
  }
}

void Scenario::BuildContinuous() {
  end_ms_ = std::numeric_limits<std::int64_t>::max();
  const std::int64_t start = start_ms_;
  for (std::size_t a = 0; a < spec_.jetemail.size(); ++a) {
    const std::uint64_t account_seed = Mix(spec_.seed, Mix(HashText("jetemail-slots"), a));
    const int domain_count = spec_.jetemail[a].domain_count;
    auto generate = [=](std::int64_t slot) {
      Rng rng(Mix(account_seed, static_cast<std::uint64_t>(slot)));
      std::vector<Ref> refs;
      const std::int64_t count = rng.Uniform(60, 180);  // about 2 a second
      for (std::int64_t i = 0; i < count; ++i) {
        const std::int64_t at =
            start + slot * RefSource::kSlotMs + rng.Uniform(0, RefSource::kSlotMs - 1);
        refs.push_back(MakeJetRef(rng, at, domain_count));
      }
      return refs;
    };
    auto no_slot = [](std::uint64_t) -> std::optional<std::int64_t> { return std::nullopt; };
    jet_sources_.push_back(std::make_unique<RefSource>(generate, no_slot, start, kJetRetentionMs));
  }
  for (std::size_t a = 0; a < spec_.mailtrap.size(); ++a) {
    const std::uint64_t account_seed = Mix(spec_.seed, Mix(HashText("mailtrap-slots"), a));
    // Ids carry their slot (scrambled, invertibly) in the first 32 bits, so
    // a detail call regenerates one slot only.
    const auto mask = static_cast<std::uint32_t>(account_seed >> 32);
    auto generate = [=](std::int64_t slot) {
      Rng rng(Mix(account_seed, static_cast<std::uint64_t>(slot)));
      std::vector<Ref> refs;
      const std::int64_t count = rng.Uniform(60, 180);
      const std::uint32_t prefix = (static_cast<std::uint32_t>(slot) * kSlotSpread) ^ mask;
      for (std::int64_t i = 0; i < count; ++i) {
        const std::int64_t at =
            start + slot * RefSource::kSlotMs + rng.Uniform(0, RefSource::kSlotMs - 1);
        refs.push_back(MakeMtRef(rng, at, prefix));
      }
      return refs;
    };
    auto slot_of_key = [=](std::uint64_t key_hi) -> std::optional<std::int64_t> {
      const std::uint32_t prefix = static_cast<std::uint32_t>(key_hi >> 32) ^ mask;
      return static_cast<std::int64_t>(prefix * InverseMod32(kSlotSpread));
    };
    mt_sources_.push_back(
        std::make_unique<RefSource>(generate, slot_of_key, start, kMtRetentionMs));
  }
}

}  // namespace ele::fake::internal
