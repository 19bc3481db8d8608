#include "exporter/state/mailtrap_state.h"

#include <gtest/gtest.h>

#include "exporter/metrics/catalogue.h"

namespace ele {
namespace {

using namespace std::chrono_literals;
namespace m = metrics;

const TimePoint kStart = FromUnixMillis(1'767'225'600'000);

mailtrap::Message Msg(const std::string& id, const std::string& status, std::int64_t opens = 0, std::int64_t clicks = 0,
                      std::optional<std::string> category = "welcome") {
  mailtrap::Message msg;
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
    state.ExportMetrics(out);
    return out;
  }
  m::LabelValues With(const std::string& status) const {
    m::LabelValues l = labels;
    l.push_back(status);
    return l;
  }
};

TEST_F(MailtrapStateTest, EnqueuedDeliveredOptedOutCountsEveryStatus) {
  state.ApplyPage({Msg("m1", "enqueued")}, names);
  state.ApplyPage({Msg("m1", "delivered")}, names);
  state.ApplyPage({Msg("m1", "opted_out")}, names);
  state.ApplyPage({Msg("m1", "opted_out")}, names);
  const m::MetricSet out = Export();
  for (const char* s : {"enqueued", "delivered", "opted_out"}) EXPECT_EQ(out.Value(m::kMtMessagesTotal, With(s)), 1) << s;
  EXPECT_EQ(out.Value(m::kMtMessages, With("opted_out")), 1);
  EXPECT_EQ(out.Value(m::kMtMessages, With("delivered")), 0);
}

TEST_F(MailtrapStateTest, OptedOutImpliesAMissedDelivered) {
  state.ApplyPage({Msg("m1", "enqueued"), Msg("m3", "opted_out")}, names);
  state.ApplyPage({Msg("m1", "opted_out"), Msg("m3", "opted_out")}, names);
  state.ApplyPage({Msg("m4", "not_delivered")}, names);
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("enqueued")), 1);
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("delivered")), 2);
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("opted_out")), 2);
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("not_delivered")), 1);
  EXPECT_EQ(out.Value(m::kMtMessages, With("delivered")), 0) << "the gauge holds current statuses only";
  EXPECT_EQ(out.Value(m::kMtMessages, With("opted_out")), 2);
}

TEST_F(MailtrapStateTest, OpensAndClicksCountIncreasesAndFirstTimes) {
  state.ApplyPage({Msg("m2", "delivered")}, names);
  state.ApplyPage({Msg("m2", "delivered", 2, 0)}, names);
  state.ApplyPage({Msg("m2", "delivered", 5, 1)}, names);
  state.ApplyPage({Msg("m2", "delivered", 5, 1)}, names);
  state.ApplyPage({Msg("m2", "delivered", 4, 1)}, names);  // a correction down: no decrement
  state.ApplyPage({Msg("m2", "delivered", 6, 3)}, names);
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtOpensTotal, labels), 6);
  EXPECT_EQ(out.Value(m::kMtClicksTotal, labels), 3);
  EXPECT_EQ(out.Value(m::kMtOpenedMessagesTotal, labels), 1);
  EXPECT_EQ(out.Value(m::kMtClickedMessagesTotal, labels), 1);
}

TEST_F(MailtrapStateTest, MessageOnTwoPagesCountsOnce) {
  state.ApplyPage({Msg("m3", "delivered", 1), Msg("m4", "delivered")}, names);
  state.ApplyPage({Msg("m3", "delivered", 1)}, names);
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, With("delivered")), 2);
  EXPECT_EQ(out.Value(m::kMtOpensTotal, labels), 1);
}

TEST_F(MailtrapStateTest, CategoryFollowsTheAllowlistAndDomainFallsBackToId) {
  state.ApplyPage({Msg("m5", "delivered", 0, 0, "newsletter"), Msg("m6", "delivered", 0, 0, std::nullopt)}, {});
  const m::MetricSet out = Export();
  EXPECT_EQ(out.Value(m::kMtMessagesTotal, {"prod", "7", "transactional", "other", "delivered"}), 2);
  MailtrapState no_allowlist(MailtrapStateOptions{"prod", 24h, 200, 1'000'000, {}});
  no_allowlist.ApplyPage({Msg("m7", "delivered", 0, 0, "newsletter")}, names);
  m::MetricSet plain;
  no_allowlist.ExportMetrics(plain);
  EXPECT_EQ(plain.Value(m::kMtMessagesTotal, {"prod", "mail.example.com", "transactional", "", "delivered"}), 1);
}

TEST_F(MailtrapStateTest, EvictsBySentAtAfterRetention) {
  state.ApplyPage({Msg("m8", "enqueued")}, names);
  EXPECT_EQ(state.OldestEnqueuedSentAtMs(), ToUnixMillis(kStart));
  state.Evict(kStart + 23h);
  EXPECT_EQ(state.tracked(), 1u);
  state.Evict(kStart + 24h + 1s);
  EXPECT_EQ(state.tracked(), 0u);
  EXPECT_FALSE(state.OldestEnqueuedSentAtMs().has_value());
  EXPECT_EQ(Export().Value(m::kMtMessagesTotal, With("enqueued")), 1);
}

}  // namespace
}  // namespace ele
