// The fake's data model: which messages exist and how each one changes over
// time. A message is a `Ref` (when it appears, its id bits and a seed); its
// whole timeline is derived from that seed on demand, so the state at any
// time t is a pure function of (scenario, t) and continuous mode needs to
// keep only the small refs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "tests/fakes/fake_api_server.h"

namespace ele::fake::internal {

// ---------------------------------------------------------------- randomness

std::uint64_t SplitMix(std::uint64_t x);
std::uint64_t Mix(std::uint64_t a, std::uint64_t b);
std::uint64_t HashText(std::string_view text);

// Hand-written distributions over mt19937_64, so a seed means the same data
// whatever the standard library's distributions do.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t Next() { return engine_(); }
  std::int64_t Uniform(std::int64_t lo, std::int64_t hi);  // inclusive
  bool Chance(double p);
  std::size_t Weighted(std::span<const int> weights);
  std::string Uuid();
  std::string Hex(int digits, bool upper = false);

 private:
  std::mt19937_64 engine_;
};

// Lower-case 8-4-4-4-12 form of 128 bits.
std::string FormatUuid(std::uint64_t hi, std::uint64_t lo);
// Inverse of FormatUuid; any case accepted.
std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseUuid(std::string_view text);

// ---------------------------------------------------------------- references

// A message as it first appears: arrival (JetEmail) or sent_at (Mailtrap).
// Ordered by (at_ms, key_hi, key_lo), which is also the order of the id
// strings at equal times.
struct Ref {
  std::int64_t at_ms = 0;
  std::uint64_t key_hi = 0;
  std::uint64_t key_lo = 0;
  std::uint64_t seed = 0;
  int domain = 0;  // JetEmail: index into the account's domains
  // JetEmail: deferred for this long after arrival, tried again every
  // retry_ms, then delivered (JetEmailAccountSpec::long_deferred_count).
  std::int64_t hold_ms = 0;
  std::int64_t retry_ms = 0;
};

bool operator<(const Ref& a, const Ref& b);

// The refs of one account. Scripted: a fixed sorted list. Continuous: slots
// of one minute generated on demand and cached; slots older than the cache
// span are dropped so memory stays bounded.
class RefSource {
 public:
  // Refs of slot k (starting at start + k * kSlotMs), a pure function of k.
  using SlotFn = std::function<std::vector<Ref>(std::int64_t slot)>;
  // The slot a key was generated in, when ids encode it (so Find need not
  // generate the whole retention).
  using SlotOfKeyFn = std::function<std::optional<std::int64_t>(std::uint64_t key_hi)>;

  explicit RefSource(std::vector<Ref> scripted);
  RefSource(SlotFn generate, SlotOfKeyFn slot_of_key, std::int64_t start_ms,
            std::int64_t retention_ms);

  // Refs with at_ms in [lo, hi] that exist at `now`, ascending.
  std::vector<Ref> Collect(std::int64_t lo, std::int64_t hi, std::int64_t now) const;
  // The ref with this key that exists at `now`.
  std::optional<Ref> Find(std::uint64_t key_hi, std::uint64_t key_lo, std::int64_t now) const;
  std::size_t cached_slots() const;
  std::int64_t retention_ms() const { return retention_ms_; }

  static constexpr std::int64_t kSlotMs = 60'000;
  static constexpr std::int64_t kCacheSpanMs = 8LL * 86'400'000;

 private:
  using Slot = std::shared_ptr<const std::vector<Ref>>;
  // Slots overlapping [lo, hi], generating missing ones; drops stale slots.
  std::vector<Slot> Slots(std::int64_t first, std::int64_t last, std::int64_t now) const;
  std::int64_t SlotOf(std::int64_t t) const;

  bool continuous_ = false;
  std::vector<Ref> scripted_;
  SlotFn generate_;
  SlotOfKeyFn slot_of_key_;
  std::int64_t start_ms_ = 0;
  std::int64_t retention_ms_ = 0;  // continuous: what the provider still returns
  mutable std::mutex mu_;
  mutable std::map<std::int64_t, Slot> slots_;
};

// ---------------------------------------------------------------- JetEmail

struct JetDomain {
  std::string name;
  std::string uuid;
};

struct JetAction {
  std::string id;
  std::string logtype;
  std::int64_t date_ms = 0;
  std::int64_t delay_s = 0;
  double spam_score = 0;
  std::string response;
  std::string spam_report;
  std::string host;
  std::string ip;
  int port = 0;
  std::string mode;
};

// One change of an entry: a new status, counter increments, maybe an action.
struct JetStep {
  std::int64_t at_ms = 0;
  std::string status;  // as the API writes it (some upper case on purpose)
  int delivery_inc = 0;
  int rejected_inc = 0;
  bool delivered = false;  // sets delivered_timestamp
  std::optional<JetAction> action;
  std::string response;           // new entry `response`, if not empty
  std::string rejected_response;  // new entry `rejected_response`, if not empty
};

struct JetMessage {
  std::string uid;
  int domain = 0;
  std::int64_t arrival_ms = 0;
  std::string from;
  std::string to;
  std::string subject;
  std::vector<JetStep> steps;  // steps[0] is the arrival; times ascending
  std::int64_t last_change_ms() const { return steps.back().at_ms; }
};

struct JetState {
  std::string status;
  std::int64_t delivery_count = 0;
  std::int64_t rejected_count = 0;
  std::optional<std::int64_t> delivered_timestamp;
  std::string response;
  std::string rejected_response;
  std::vector<const JetAction*> actions;
};

std::vector<JetDomain> MakeJetDomains(std::uint64_t seed, std::size_t account, int count);
Ref MakeJetRef(Rng& rng, std::int64_t at_ms, int domain_count);
JetMessage BuildJetMessage(const ScenarioSpec& spec, const std::vector<JetDomain>& domains,
                           const Ref& ref);
JetState JetStateAt(const JetMessage& message, std::int64_t t);
std::string JetUid(const Ref& ref);

// ---------------------------------------------------------------- Mailtrap

struct MtEvent {
  std::string type;  // delivery, open, click, soft_bounce, bounce, spam, ...
  std::int64_t at_ms = 0;
  nlohmann::ordered_json details;
};

struct MtMessage {
  std::string id;
  std::int64_t sent_ms = 0;
  std::string stream;      // transactional | bulk
  std::size_t domain = 0;  // index into the account's sending domains
  std::optional<std::string> category;
  std::string from;
  std::string to;
  std::string subject;
  std::string client_ip;
  std::optional<std::int64_t> template_id;
  std::vector<std::pair<std::int64_t, std::string>> statuses;  // (at, status), ascending
  std::vector<MtEvent> events;                                 // ascending
  std::int64_t last_change_ms() const;
};

struct MtState {
  std::string status;
  std::int64_t opens = 0;
  std::int64_t clicks = 0;
};

// `id_prefix`, when set, becomes the first 32 bits of the UUID.
Ref MakeMtRef(Rng& rng, std::int64_t at_ms, std::optional<std::uint32_t> id_prefix);
MtMessage BuildMtMessage(const ScenarioSpec& spec, const MailtrapAccountSpec& account,
                         const Ref& ref);
MtState MtStateAt(const MtMessage& message, std::int64_t t);

// ---------------------------------------------------------------- scenario

// The resolved scenario: specs, start time and one RefSource per account.
class Scenario {
 public:
  Scenario(ScenarioSpec spec, std::int64_t start_ms);

  const ScenarioSpec& spec() const { return spec_; }
  std::int64_t start_ms() const { return start_ms_; }
  std::int64_t end_ms() const { return end_ms_; }
  bool continuous() const { return spec_.continuous; }
  double fault_share() const;

  const std::vector<JetDomain>& jet_domains(std::size_t account) const {
    return jet_domains_[account];
  }
  const RefSource& jet_refs(std::size_t account) const { return *jet_sources_[account]; }
  const RefSource& mt_refs(std::size_t account) const { return *mt_sources_[account]; }

  JetMessage Jet(std::size_t account, const Ref& ref) const;
  MtMessage Mt(std::size_t account, const Ref& ref) const;

  // Continuous mode: how long each provider keeps messages.
  static constexpr std::int64_t kJetRetentionMs = 5LL * 86'400'000;
  static constexpr std::int64_t kMtRetentionMs = 7LL * 86'400'000;

 private:
  void BuildScripted();
  void BuildContinuous();

  ScenarioSpec spec_;
  std::int64_t start_ms_;
  std::int64_t end_ms_ = 0;
  std::vector<std::vector<JetDomain>> jet_domains_;
  std::vector<std::unique_ptr<RefSource>> jet_sources_;
  std::vector<std::unique_ptr<RefSource>> mt_sources_;
};

}  // namespace ele::fake::internal
