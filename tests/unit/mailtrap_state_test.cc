#include "exporter/state/mailtrap_state.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "exporter/metrics/catalogue.h"
#include "exporter/snapshot/mailtrap_snapshot.h"
#include "exporter/state/mailtrap_state_codec.h"
#include "exporter/state/state_codec.h"

namespace ele {
namespace {

using namespace std::chrono_literals;
namespace m = metrics;

const TimePoint kStart = FromUnixMillis(1'767'225'600'000);

events::OutboundSighting Msg(const std::string& id, const std::string& status, std::int64_t opens = 0, std::int64_t clicks = 0,
                      std::optional<std::string> category = "welcome") {
  events::OutboundSighting msg;
  msg.message_id = id;
  msg.status = status;
  msg.sent_at_ms = ToUnixMillis(kStart);
  msg.sending_stream = "transactional";
  msg.sending_domain = 7;
  msg.category = std::move(category);
  msg.opens_count = opens;
  msg.clicks_count = clicks;
  return msg;
}

class MailtrapStateTest : public ::testing::Test {
 protected:
  MailtrapState state{MailtrapStateOptions{"prod", 24h, 200, 1'000'000, {"welcome"}}};
  std::map<std::int64_t, std::string> names{{7, "mail.example.com"}};
  const m::LabelValues labels{"prod", "mail.example.com", "transactional", "welcome"};
  m::MetricSet Export() const {
    m::MetricSet out;
    AddMailtrapSeries(state, out);
    return out;
  }
  m::LabelValues With(const std::string& status) const {
    m::LabelValues l = labels;
    l.push_back(status);
    return l;
  }
};

TEST_F(MailtrapStateTest, EnqueuedDeliveredOptedOutCountsEveryStatus) {
  state.ApplyPage({Msg("m1", "enqueued")}, names, kStart);
  state.ApplyPage({Msg("m1", "delivered")}, names, kStart);
  state.ApplyPage({Msg("m1", "opted_out")}, names, kStart);
  state.ApplyPage({Msg("m1", "opted_out")}, names, kStart);
  const m::MetricSet out = Export();
  for (const char* s : {"enqueued", "delivered", "opted_out"}) EXPECT_EQ(out.Value(m::kMtMessagesTotal, With(s)), 1) << s;
  EXPECT_EQ(out.Value(m::kMtMessages, With("opted_out")), 1);
  EXPECT_EQ(out.Value(m::kMtMessages, With("delivered")), 0);
}

TEST_F(MailtrapStateTest, OptedOutImpliesAMissedDelivered) {
  state.ApplyPage({Msg("m1", "enqueued"), Msg("m3", "opted_out")}, names, kStart);
  state.ApplyPage({Msg("m1", "opted_out"), Msg("m3", "opted_out")}, names, kStart);
  state.ApplyPage({Msg("m4", "not_delivered")}, names, kStart);
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("enqueued")), 1);
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("delivered")), 2);
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("opted_out")), 2);
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("not_delivered")), 1);
  EXPECT_EQ(out.Value(m::kMtMessages, With("delivered")), 0) << "the gauge holds current statuses only";
  EXPECT_EQ(out.Value(m::kMtMessages, With("opted_out")), 2);
}

TEST_F(MailtrapStateTest, OpensAndClicksCountIncreasesAndFirstTimes) {
  state.ApplyPage({Msg("m2", "delivered")}, names, kStart);
  state.ApplyPage({Msg("m2", "delivered", 2, 0)}, names, kStart);
  state.ApplyPage({Msg("m2", "delivered", 5, 1)}, names, kStart);
  state.ApplyPage({Msg("m2", "delivered", 5, 1)}, names, kStart);
  state.ApplyPage({Msg("m2", "delivered", 4, 1)}, names, kStart);  // a correction down: no decrement
  state.ApplyPage({Msg("m2", "delivered", 6, 3)}, names, kStart);
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtOpensTotal, labels), 6);
  EXPECT_EQ(out.Value(m::kMtClicksTotal, labels), 3);
  EXPECT_EQ(out.Value(m::kMtOpenedMessagesTotal, labels), 1);
  EXPECT_EQ(out.Value(m::kMtClickedMessagesTotal, labels), 1);
}

TEST_F(MailtrapStateTest, MessageOnTwoPagesCountsOnce) {
  state.ApplyPage({Msg("m3", "delivered", 1), Msg("m4", "delivered")}, names, kStart);
  state.ApplyPage({Msg("m3", "delivered", 1)}, names, kStart);
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("delivered")), 2);
  EXPECT_EQ(out.Value(m::kMtOpensTotal, labels), 1);
}

TEST_F(MailtrapStateTest, CategoryFollowsTheAllowlistAndDomainFallsBackToId) {
  state.ApplyPage({Msg("m5", "delivered", 0, 0, "newsletter"), Msg("m6", "delivered", 0, 0, std::nullopt)}, {}, kStart);
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, {"prod", "7", "transactional", "other", "delivered"}), 2);
  MailtrapState no_allowlist(MailtrapStateOptions{"prod", 24h, 200, 1'000'000, {}});
  no_allowlist.ApplyPage({Msg("m7", "delivered", 0, 0, "newsletter")}, names, kStart);
  m::MetricSet plain;
  AddMailtrapSeries(no_allowlist, plain);
  EXPECT_EQ(plain.Value(m::kMtMessagesTotal, {"prod", "mail.example.com", "transactional", "", "delivered"}), 1);
}

TEST_F(MailtrapStateTest, LabelValuesThatConcatenateAlikeStayApart) {
  std::map<std::int64_t, std::string> odd_names{{7, "d\ns"}, {8, "d"}};
  events::OutboundSighting first = Msg("m1", "delivered"), second = Msg("m2", "delivered");
  first.sending_stream = "t";
  second.sending_domain = 8;
  second.sending_stream = "s\nt";
  state.ApplyPage({first, second}, odd_names, kStart);
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, {"prod", "d\ns", "t", "welcome", "delivered"}), 1);
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, {"prod", "d", "s\nt", "welcome", "delivered"}), 1);
}

TEST_F(MailtrapStateTest, EvictsBySentAtAfterRetention) {
  state.ApplyPage({Msg("m8", "enqueued")}, names, kStart);
  EXPECT_EQ(state.OldestEnqueuedSentAtMs(), ToUnixMillis(kStart));
  state.Evict(kStart + 23h);
  EXPECT_EQ(state.tracked(), 1u);
  state.Evict(kStart + 24h + 1s);
  EXPECT_EQ(state.tracked(), 0u);
  EXPECT_FALSE(state.OldestEnqueuedSentAtMs().has_value());
  EXPECT_EQ(Export().Value(m::kMtMessagesTotal, With("enqueued")), 1);
}

TEST_F(MailtrapStateTest, SentAtOutsideWhatTheStateKeepsNeitherCountsTwiceNorBreaksTheStateFile) {
  // Before the lookback and overlap: counted, evicted and counted again at
  // each read, were it taken.
  events::OutboundSighting ancient = Msg("ancient", "delivered");
  ancient.sent_at_ms = ToUnixMillis(kStart - 24h - 1s);
  for (int read = 0; read < 3; ++read) {
    state.ApplyPage({ancient}, names, kStart);
    state.Evict(kStart);
  }
  EXPECT_EQ(Export().Value(m::kMtMessagesTotal, With("delivered")), 0);
  // Dated in 2300: kept as sent now, so it is evicted in time and the state
  // file it is saved in loads.
  events::OutboundSighting future = Msg("future", "delivered");
  future.sent_at_ms = 10'413'792'000'000;
  state.ApplyPage({future}, names, kStart);
  MailtrapState restored{MailtrapStateOptions{"prod", 24h, 200, 1'000'000, {"welcome"}}};
  std::optional<TimePoint> watermark;
  ASSERT_TRUE(MailtrapStateCodec::Decode(MailtrapStateCodec::Encode(state, std::nullopt), &restored, &watermark));
  EXPECT_EQ(restored.tracked(), 1u);
  state.Evict(kStart + 48h + 1s);
  EXPECT_EQ(state.tracked(), 0u);
  EXPECT_EQ(Export().Value(m::kMtMessagesTotal, With("delivered")), 1);
}

TEST_F(MailtrapStateTest, MaxTrackedMessagesDropsTheOldestAndCountsThem) {
  MailtrapState small{MailtrapStateOptions{"prod", 24h, 200, 2, {"welcome"}}};
  events::OutboundSighting oldest = Msg("old", "delivered");
  oldest.sent_at_ms -= 60'000;
  small.ApplyPage({oldest, Msg("a", "delivered"), Msg("b", "delivered")}, names, kStart);
  small.Evict(kStart);
  EXPECT_EQ(small.tracked(), 2u);
  m::MetricSet out;
  AddMailtrapSeries(small, out);
  EXPECT_EQ(out.Value(m::kLimitEvictionsTotal, {"mailtrap", "prod"}), 1);
  EXPECT_EQ(out.Value(m::kMtMessages, With("delivered")), 2) << "the gauge follows what is tracked";
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("delivered")), 3) << "what was counted stays counted";
}

// --- message details (events) ---

events::DeliveryEvent Ev(events::DeliveryEventType type, std::int64_t after_sent_s, std::optional<std::string> bounce_category = std::nullopt) {
  events::DeliveryEvent e;
  e.type = type;
  e.type_name = std::string(events::DeliveryEventTypeName(type));
  e.created_at_ms = ToUnixMillis(kStart) + after_sent_s * 1000;
  e.bounce_category = std::move(bounce_category);
  return e;
}

m::MetricSet Snapshot(const MailtrapState& s) {
  m::MetricSet out;
  AddMailtrapSeries(s, out);
  return out;
}

m::Series Hist(const m::MetricSet& set, const m::Desc& desc, const m::LabelValues& labels) {
  const m::MetricSet::Family* family = set.Find(desc);
  if (family == nullptr || !family->contains(labels)) return {};
  return family->at(labels);
}

events::MessageHistory Detail(std::vector<events::DeliveryEvent> events) {
  events::MessageHistory d;
  d.events = std::move(events);
  return d;
}

class MailtrapEventsTest : public MailtrapStateTest {
 protected:
  MailtrapState WithEvents(EventsMode mode) {
    return MailtrapState{MailtrapStateOptions{"prod", 24h, 200, 1'000'000, {"welcome"}, mode}};
  }
  std::vector<std::string> Queue(MailtrapState& s) {
    std::vector<std::string> ids;
    MailtrapState copy = s;
    while (const std::optional<PendingDetail> d = copy.NextDetail()) {
      ids.push_back(d->message_id);
      copy.DropDetail();
    }
    return ids;
  }
  m::LabelValues Event(const std::string& type) const {
    m::LabelValues l = labels;
    l.push_back(type);
    return l;
  }
};

TEST_F(MailtrapEventsTest, FailuresWantsFailedAndOptedOutMessagesAndAgainWhenTheyChange) {
  MailtrapState s = WithEvents(EventsMode::kFailures);
  s.ApplyPage({Msg("ok", "delivered"), Msg("bounced", "not_delivered"), Msg("unsub", "opted_out"), Msg("wait", "enqueued")}, names, kStart);
  EXPECT_EQ(Queue(s), (std::vector<std::string>{"bounced", "unsub"}));
  s.ApplyPage({Msg("bounced", "not_delivered")}, names, kStart + 1min);  // unchanged and already queued
  EXPECT_EQ(s.pending_details(), 2u);
  s.ApplyDetail(Detail({Ev(events::DeliveryEventType::kBounce, 5, "invalid_recipient")}));
  s.ApplyDetail(Detail({Ev(events::DeliveryEventType::kDelivery, 2), Ev(events::DeliveryEventType::kUnsubscribe, 60)}));
  EXPECT_EQ(s.pending_details(), 0u);
  s.ApplyPage({Msg("unsub", "opted_out", 1, 0)}, names, kStart + 2min);  // a fetched message changed
  s.ApplyPage({Msg("ok", "delivered", 3, 0)}, names, kStart + 2min);     // never failed: not wanted
  EXPECT_EQ(Queue(s), (std::vector<std::string>{"unsub"}));
  s.QueueLongEnqueued(kStart + 9min);
  EXPECT_EQ(s.pending_details(), 1u);
  s.QueueLongEnqueued(kStart + 11min);  // still enqueued after 10 minutes
  EXPECT_EQ(Queue(s), (std::vector<std::string>{"unsub", "wait"}));
}

TEST_F(MailtrapEventsTest, AllWantsEveryFinalMessageAndOffNone) {
  MailtrapState all = WithEvents(EventsMode::kAll);
  all.ApplyPage({Msg("a", "enqueued"), Msg("b", "delivered")}, names, kStart);
  all.ApplyPage({Msg("a", "delivered")}, names, kStart + 1min);
  EXPECT_EQ(Queue(all), (std::vector<std::string>{"b", "a"}));
  MailtrapState off = WithEvents(EventsMode::kOff);
  off.ApplyPage({Msg("a", "not_delivered"), Msg("b", "opted_out", 2, 1)}, names, kStart);
  off.QueueLongEnqueued(kStart + 1h);
  EXPECT_EQ(off.pending_details(), 0u);
}

TEST_F(MailtrapEventsTest, EventsCountOnceAcrossFetchesAndDelayOncePerMessage) {
  MailtrapState s = WithEvents(EventsMode::kAll);
  using T = events::DeliveryEventType;
  s.ApplyPage({Msg("m", "delivered")}, names, kStart);
  s.ApplyDetail(Detail({Ev(T::kDelivery, 3), Ev(T::kOpen, 60)}));
  s.ApplyPage({Msg("m", "delivered", 2, 2)}, names, kStart + 5min);
  // The second fetch repeats the first two events and appends four more:
  // two clicks in the same millisecond are two events.
  s.ApplyDetail(Detail({Ev(T::kDelivery, 3), Ev(T::kOpen, 60), Ev(T::kOpen, 120), Ev(T::kClick, 130), Ev(T::kClick, 130),
                        Ev(T::kSoftBounce, 140, "Mailbox_Full")}));
  const m::MetricSet out = Snapshot(s);
  EXPECT_EQ(out.Value(m::kMtEventsTotal, Event("delivery")), 1);
  EXPECT_EQ(out.Value(m::kMtEventsTotal, Event("open")), 2);
  EXPECT_EQ(out.Value(m::kMtEventsTotal, Event("click")), 2);
  EXPECT_EQ(out.Value(m::kMtEventsTotal, Event("soft_bounce")), 1);
  EXPECT_EQ(out.Value(m::kMtBouncesTotal, {"prod", "mail.example.com", "transactional", "mailbox_full"}), 1);
  EXPECT_EQ(Hist(out, m::kMtDeliveryDelay, {"prod", "mail.example.com", "transactional"}).count, 1u);
  EXPECT_DOUBLE_EQ(Hist(out, m::kMtDeliveryDelay, {"prod", "mail.example.com", "transactional"}).sum, 3.0);
}

TEST_F(MailtrapEventsTest, GoneAndMalformedDetailsLeaveTheQueue) {
  MailtrapState s = WithEvents(EventsMode::kFailures);
  s.ApplyPage({Msg("gone", "not_delivered"), Msg("bad", "not_delivered")}, names, kStart);
  s.DropDetail();  // 404
  EXPECT_EQ(Queue(s), (std::vector<std::string>{"bad"}));
  for (int i = 0; i < 3; ++i) s.PostponeDetail();
  EXPECT_EQ(s.pending_details(), 0u) << "given up after three malformed answers";
  s.ApplyPage({Msg("bad", "not_delivered", 1, 0)}, names, kStart + 1min);
  EXPECT_EQ(Queue(s), (std::vector<std::string>{"bad"})) << "wanted again when it changes";
}

TEST_F(MailtrapEventsTest, EncodeKeepsCountedEventsAndTheQueue) {
  MailtrapState s = WithEvents(EventsMode::kAll);
  using T = events::DeliveryEventType;
  s.ApplyPage({Msg("m", "delivered"), Msg("n", "delivered")}, names, kStart);
  s.ApplyDetail(Detail({Ev(T::kDelivery, 3)}));
  const std::string blob = MailtrapStateCodec::Encode(s, std::nullopt);
  MailtrapState restored = WithEvents(EventsMode::kAll);
  std::optional<TimePoint> watermark;
  ASSERT_TRUE(MailtrapStateCodec::Decode(blob, &restored, &watermark));
  EXPECT_EQ(Queue(restored), (std::vector<std::string>{"n"}));
  restored.ApplyPage({Msg("m", "delivered", 1, 0)}, names, kStart + 1min);
  restored.DropDetail();  // n
  restored.ApplyDetail(Detail({Ev(T::kDelivery, 3), Ev(T::kOpen, 30)}));
  const m::MetricSet result = Snapshot(restored);
  EXPECT_EQ(result.Value(m::kMtEventsTotal, Event("delivery")), 1);
  EXPECT_EQ(result.Value(m::kMtEventsTotal, Event("open")), 1);
  EXPECT_EQ(Hist(result, m::kMtDeliveryDelay, {"prod", "mail.example.com", "transactional"}).count, 1u);
}

// The state part of a "mailtrap-2" blob written by the build before the
// compact layout (ids as strings): an enqueued and a delivered UUID
// message, one opted out with an irregular id, and the delivered one's
// events fetched.
const char* const kLegacyBlobHex =
    "0a03050470726f64106d61696c2e6578616d706c652e636f6d0d7472616e73616374696f6e616c0777656c636f6d65096465"
    "6c697665726564000000000000004000000000000000000000050470726f64106d61696c2e6578616d706c652e636f6d0d74"
    "72616e73616374696f6e616c0777656c636f6d6508656e717565756564000000000000f03f00000000000000000000050470"
    "726f64106d61696c2e6578616d706c652e636f6d0d7472616e73616374696f6e616c0777656c636f6d65096f707465645f6f"
    "7574000000000000f03f000000000000000000000c01040470726f64106d61696c2e6578616d706c652e636f6d0d7472616e"
    "73616374696f6e616c0777656c636f6d650000000000000040000000000000000000000d01040470726f64106d61696c2e65"
    "78616d706c652e636f6d0d7472616e73616374696f6e616c0777656c636f6d65000000000000f03f00000000000000000000"
    "0e01040470726f64106d61696c2e6578616d706c652e636f6d0d7472616e73616374696f6e616c0777656c636f6d65000000"
    "000000f03f000000000000000000000f01040470726f64106d61696c2e6578616d706c652e636f6d0d7472616e7361637469"
    "6f6e616c0777656c636f6d65000000000000f03f000000000000000000001001050470726f64106d61696c2e6578616d706c"
    "652e636f6d0d7472616e73616374696f6e616c0777656c636f6d650864656c6976657279000000000000f03f000000000000"
    "000000001201030470726f64106d61696c2e6578616d706c652e636f6d0d7472616e73616374696f6e616c00000000000000"
    "000100000000000008400e00010000000000000000000000000001106d61696c2e6578616d706c652e636f6d00010d747261"
    "6e73616374696f6e616c00010777656c636f6d65000308656e717565756564096f707465645f6f75740964656c6976657265"
    "640000000001040470726f64106d61696c2e6578616d706c652e636f6d0d7472616e73616374696f6e616c0777656c636f6d"
    "65030964656c697665726564096f707465645f6f757408656e717565756564032463396630663839352d666239382d346239"
    "312d623661312d30623366643563663165326180a0d5edee660000000204000000000b6c65676163792d69642d3180a0d5ed"
    "ee660000000103010000002438663134653435662d636565612d343637662d613065362d31633962643065316133623280a0"
    "d5edee66040200000100010101a9cafccfa8b1cdf751010b6c65676163792d69642d3180a0d5edee6600";

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

TEST_F(MailtrapEventsTest, DecodesTheLegacyLayout) {
  BinaryWriter blob;
  blob.Str("mailtrap-2");
  blob.I64(0);  // no watermark
  MailtrapState s = WithEvents(EventsMode::kAll);
  std::optional<TimePoint> watermark;
  ASSERT_TRUE(MailtrapStateCodec::Decode(blob.data() + FromHex(kLegacyBlobHex), &s, &watermark));
  EXPECT_EQ(s.tracked(), 3u);
  EXPECT_EQ(Queue(s), (std::vector<std::string>{"legacy-id-1"}));
  const std::string delivered_id = "8f14e45f-ceea-467f-a0e6-1c9bd0e1a3b2";
  s.ApplyPage({Msg(delivered_id, "delivered", 2, 1), Msg("c9f0f895-fb98-4b91-b6a1-0b3fd5cf1e2a", "enqueued")}, names, kStart + 1min);
  m::MetricSet out = Snapshot(s);
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("delivered")), 2) << "known messages are not counted again";
  EXPECT_EQ(out.Value(m::kMtMessages, With("enqueued")), 1);
  EXPECT_EQ(out.Value(m::kMtOpensTotal, labels), 2);
  s.ApplyPage({Msg(delivered_id, "delivered", 3, 1)}, names, kStart + 2min);
  s.DropDetail();  // legacy-id-1
  ASSERT_EQ(Queue(s), (std::vector<std::string>{delivered_id}));
  s.ApplyDetail(Detail({Ev(events::DeliveryEventType::kDelivery, 3), Ev(events::DeliveryEventType::kOpen, 90)}));
  out = Snapshot(s);
  EXPECT_EQ(out.Value(m::kMtEventsTotal, Event("delivery")), 1) << "the event counted before the upgrade stays counted once";
  EXPECT_EQ(out.Value(m::kMtEventsTotal, Event("open")), 1);
}

events::DeliveryEvent FromProvider(events::DeliveryEvent event, std::string provider) {
  event.mailbox_provider = std::move(provider);
  return event;
}

// The provider is the one named by the last delivery, bounce or soft_bounce
// of the answer that brings the events; other events never name one.
TEST_F(MailtrapEventsTest, MailboxProviderOfEachFetchLabelsItsNewEvents) {
  MailtrapState s{MailtrapStateOptions{"prod", 24h, 3, 1'000'000, {"welcome"}, EventsMode::kAll}};
  using T = events::DeliveryEventType;
  s.ApplyPage({Msg("a", "delivered"), Msg("b", "not_delivered"), Msg("c", "delivered"), Msg("d", "delivered"), Msg("e", "delivered")}, names, kStart);
  s.ApplyDetail(Detail({FromProvider(Ev(T::kSoftBounce, 2), "Yahoo"), FromProvider(Ev(T::kDelivery, 9), "Gmail"), Ev(T::kOpen, 60),
                        FromProvider(Ev(T::kSpam, 61), "ignored: spam names no provider")}));
  s.ApplyDetail(Detail({Ev(T::kReject, 1)}));
  s.ApplyDetail(Detail({FromProvider(Ev(T::kDelivery, 3), "")}));  // empty: names none
  s.ApplyDetail(Detail({FromProvider(Ev(T::kDelivery, 3), "Outlook")}));
  s.ApplyDetail(Detail({FromProvider(Ev(T::kDelivery, 3), "Zoho")}));  // past the limit of 3 values
  const m::MetricSet out = Snapshot(s);
  auto count = [&](const std::string& provider, const std::string& event) {
    return out.Value(m::kMtMailboxProviderEventsTotal, {"prod", "mail.example.com", provider, event});
  };
  EXPECT_EQ(count("gmail", "soft_bounce"), 1);
  EXPECT_EQ(count("gmail", "delivery"), 1);
  EXPECT_EQ(count("gmail", "open"), 1);
  EXPECT_EQ(count("gmail", "spam"), 1);
  EXPECT_EQ(count("unknown", "reject"), 1);
  EXPECT_EQ(count("unknown", "delivery"), 1);
  EXPECT_EQ(count("outlook", "delivery"), 1);
  EXPECT_EQ(count("other", "delivery"), 1);
  EXPECT_EQ(out.Value(m::kLabelOverflowTotal, {"mailtrap", "prod", "mailbox_provider"}), 1);

  // Kept in the state file; a second fetch counts only what is new.
  MailtrapState restored{MailtrapStateOptions{"prod", 24h, 3, 1'000'000, {"welcome"}, EventsMode::kAll}};
  std::optional<TimePoint> watermark;
  ASSERT_TRUE(MailtrapStateCodec::Decode(MailtrapStateCodec::Encode(s, std::nullopt), &restored, &watermark));
  restored.ApplyPage({Msg("a", "delivered", 2, 0)}, names, kStart + 1min);
  restored.ApplyDetail(Detail({FromProvider(Ev(T::kSoftBounce, 2), "Yahoo"), FromProvider(Ev(T::kDelivery, 9), "Gmail"), Ev(T::kOpen, 60),
                               Ev(T::kOpen, 90)}));
  const m::MetricSet after = Snapshot(restored);
  EXPECT_EQ(after.Value(m::kMtMailboxProviderEventsTotal, {"prod", "mail.example.com", "gmail", "open"}), 2);
  EXPECT_EQ(after.Value(m::kMtMailboxProviderEventsTotal, {"prod", "mail.example.com", "gmail", "delivery"}), 1);
  EXPECT_EQ(after.Value(m::kMtMailboxProviderEventsTotal, {"prod", "mail.example.com", "other", "delivery"}), 1);
}

// A "mailtrap-3" blob is this layout without the mailbox-provider section
// at its end: it loads, and those counts start at zero.
TEST_F(MailtrapEventsTest, DecodesThePreviousLayoutWithoutMailboxProviders) {
  MailtrapState s = WithEvents(EventsMode::kAll);
  s.ApplyPage({Msg("m", "delivered"), Msg("n", "not_delivered")}, names, kStart);
  std::string blob = MailtrapStateCodec::Encode(s, std::nullopt);
  BinaryWriter empty_section;
  EncodeLabelFolder(LabelFolder(200), empty_section);
  EncodeStrings({}, empty_section);
  empty_section.U64(0);
  ASSERT_TRUE(blob.ends_with(empty_section.data()));
  blob.resize(blob.size() - empty_section.data().size());
  const size_t tag = blob.find(MailtrapStateCodec::kTag);
  ASSERT_NE(tag, std::string::npos);
  blob.replace(tag, MailtrapStateCodec::kTag.size(), MailtrapStateCodec::kPreviousTag);
  MailtrapState restored = WithEvents(EventsMode::kAll);
  std::optional<TimePoint> watermark;
  ASSERT_TRUE(MailtrapStateCodec::Decode(blob, &restored, &watermark));
  EXPECT_EQ(Queue(restored), Queue(s));
  MailtrapState wrong_tag = WithEvents(EventsMode::kAll);
  blob.replace(tag, MailtrapStateCodec::kTag.size(), MailtrapStateCodec::kTag);
  EXPECT_FALSE(MailtrapStateCodec::Decode(blob, &wrong_tag, &watermark)) << "this layout without its last section is truncated";
}

TEST_F(MailtrapEventsTest, DetailRequestsUseTheIdAsSent) {
  // Lowercase UUIDs are kept as their 128 bits and written back; any other
  // id (here an uppercase UUID and a short one) is kept as sent.
  MailtrapState s = WithEvents(EventsMode::kFailures);
  const std::vector<std::string> ids = {"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "msg-1"};
  for (const auto& id : ids) s.ApplyPage({Msg(id, "enqueued")}, names, kStart);
  s.QueueLongEnqueued(kStart + 11min);
  std::vector<std::string> queued = Queue(s);
  std::sort(queued.begin(), queued.end());
  std::vector<std::string> expected = ids;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(queued, expected);
  const std::string saved = MailtrapStateCodec::Encode(s, std::nullopt);
  MailtrapState restored = WithEvents(EventsMode::kFailures);
  std::optional<TimePoint> watermark;
  ASSERT_TRUE(MailtrapStateCodec::Decode(saved, &restored, &watermark));
  while (restored.NextDetail()) restored.DropDetail();
  restored.ApplyPage({Msg(ids[2], "not_delivered")}, names, kStart + 12min);
  EXPECT_EQ(Queue(restored), (std::vector<std::string>{"msg-1"}));
  EXPECT_EQ(Snapshot(restored).Value(m::kMtMessagesTotal, With("not_delivered")), 1);
}

}  // namespace
}  // namespace ele
