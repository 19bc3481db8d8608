#include "exporter/state/jetemail_state.h"

#include <gtest/gtest.h>

#include "exporter/metrics/catalogue.h"
#include "exporter/snapshot/jetemail_snapshot.h"
#include "exporter/state/label_folder.h"

namespace ele {
namespace {

using namespace std::chrono_literals;
namespace m = metrics;

const TimePoint kStart = FromUnixMillis(1'767'225'600'000);

events::InboundSighting MakeEntry(const std::string& uid, const std::string& status, std::int64_t deliveries = 0, std::int64_t rejections = 0) {
  events::InboundSighting e;
  e.uid = uid;
  e.domain = "example.com";
  e.status = status;
  e.delivery_count = deliveries;
  e.rejected_count = rejections;
  e.actions.push_back({uid + "-in", "inbound", 0, 0, 4.5});
  return e;
}

class JetEmailStateTest : public ::testing::Test {
 protected:
  JetEmailState state{JetEmailStateOptions{"main", 24h, 200, 1'000'000}};
  m::MetricSet Export() const {
    m::MetricSet out;
    AddJetEmailSeries(state, out);
    return out;
  }
  double Count(const m::Desc& d, const m::LabelValues& l) const { return Export().Value(d, l); }
};

TEST_F(JetEmailStateTest, QueuedDeferredDeliveredCountsEachStatusOnce) {
  state.ApplyPage({MakeEntry("u1", "queued")}, kStart);
  auto deferred = MakeEntry("u1", "Deferred", 0, 1);
  deferred.actions.push_back({"u1-d1", "delivery", 0, 30, 0});
  state.ApplyPage({deferred}, kStart + 1min);
  auto delivered = MakeEntry("u1", "delivered", 1, 1);
  delivered.actions = deferred.actions;
  delivered.actions.push_back({"u1-d2", "delivery", 0, 90, 0});
  state.ApplyPage({delivered}, kStart + 2min);
  state.ApplyPage({delivered}, kStart + 3min);  // repeated: nothing changes

  for (const char* status : {"queued", "deferred", "delivered"}) {
    EXPECT_EQ(Count(m::kJetMessagesTotal, {"main", "example.com", status}), 1) << status;
  }
  EXPECT_EQ(Count(m::kJetMessages, {"main", "example.com", "delivered"}), 1);
  EXPECT_EQ(Count(m::kJetMessages, {"main", "example.com", "queued"}), 0);
  EXPECT_EQ(Count(m::kJetDeliveriesTotal, {"main", "example.com"}), 1);
  EXPECT_EQ(Count(m::kJetRejectionsTotal, {"main", "example.com"}), 1);
  EXPECT_EQ(Count(m::kJetActionsTotal, {"main", "example.com", "delivery"}), 2);
  EXPECT_EQ(Count(m::kJetActionsTotal, {"main", "example.com", "inbound"}), 1);
  const m::MetricSet out = Export();
  const auto& delay = out.Find(m::kJetDeliveryDelay)->at({"main", "example.com"});
  EXPECT_EQ(delay.count, 2u);
  EXPECT_EQ(delay.sum, 120);
  const auto& spam = out.Find(m::kJetSpamScore)->at({"main", "example.com"});
  EXPECT_EQ(spam.count, 1u) << "one observation per message";
  EXPECT_EQ(spam.sum, 4.5);
}

TEST_F(JetEmailStateTest, AbsurdDelaysAndSpamScoresAreBoundedBeforeTheHistograms) {
  // Two delays of 1e308 would sum to +Inf for good; a negative one would
  // take the _sum down.
  auto entry = MakeEntry("u1", "delivered", 1);
  entry.actions = {{"u1-in", "inbound", 0, 0, 1e308},
                   {"u1-d1", "delivery", 0, 1e308, std::nullopt},
                   {"u1-d2", "delivery", 0, 1e308, std::nullopt},
                   {"u1-d3", "delivery", 0, -50, std::nullopt}};
  state.ApplyPage({entry}, kStart);
  const m::MetricSet out = Export();
  const auto& delay = out.Find(m::kJetDeliveryDelay)->at({"main", "example.com"});
  EXPECT_EQ(delay.count, 3u);
  EXPECT_EQ(delay.sum, 2 * 30.0 * 24 * 3600) << "bounded at 30 days, and a negative delay at 0";
  const auto& spam = out.Find(m::kJetSpamScore)->at({"main", "example.com"});
  EXPECT_EQ(spam.sum, 1000);
}

TEST(JetEmailDomainUpTest, DomainNamesTheApiReportsAreFoldedLikeEveryDomainLabel) {
  JetEmailState state{JetEmailStateOptions{"main", 24h, 2, 1'000'000}};
  for (int i = 0; i < 1000; ++i) state.SetDomainUp("d" + std::to_string(i) + ".example", i % 2 == 0);
  m::MetricSet out;
  AddJetEmailSeries(state, out);
  EXPECT_EQ(out.Find(m::kJetDomainUp)->size(), 3u) << "two kept, and other";
  EXPECT_EQ(out.Value(m::kJetDomainUp, {"main", "d0.example"}), 1);
}

TEST(LabelFolderTest, RemembersABoundedNumberOfFoldedValues) {
  LabelFolder folder(1);
  bool newly_folded = false;
  EXPECT_EQ(folder.Fold("kept", &newly_folded), "kept");
  for (size_t i = 0; i < LabelFolder::kMaxRememberedFolded + 50; ++i) {
    ASSERT_EQ(folder.Fold("value" + std::to_string(i), &newly_folded), LabelFolder::kOther);
    ASSERT_EQ(newly_folded, i < LabelFolder::kMaxRememberedFolded) << i;
  }
  EXPECT_EQ(folder.folded(), LabelFolder::kMaxRememberedFolded);
}

TEST_F(JetEmailStateTest, SameUidOnTwoPagesCountsOnce) {
  const auto e = MakeEntry("u2", "delivered", 1);
  state.ApplyPage({e}, kStart);
  state.ApplyPage({e, MakeEntry("u3", "delivered", 1)}, kStart);
  EXPECT_EQ(Count(m::kJetMessagesTotal, {"main", "example.com", "delivered"}), 2);
  EXPECT_EQ(Count(m::kJetDeliveriesTotal, {"main", "example.com"}), 2);
}

TEST_F(JetEmailStateTest, ACountGoingDownNeverDecrementsAndIsNotCountedAgain) {
  state.ApplyPage({MakeEntry("u4", "delivered", 3, 2)}, kStart);
  state.ApplyPage({MakeEntry("u4", "delivered", 1, 0)}, kStart + 1min);
  state.ApplyPage({MakeEntry("u4", "delivered", 3, 2)}, kStart + 2min);
  EXPECT_EQ(Count(m::kJetDeliveriesTotal, {"main", "example.com"}), 3);
  EXPECT_EQ(Count(m::kJetRejectionsTotal, {"main", "example.com"}), 2);
  state.ApplyPage({MakeEntry("u4", "delivered", 4, 2)}, kStart + 3min);
  EXPECT_EQ(Count(m::kJetDeliveriesTotal, {"main", "example.com"}), 4);
}

TEST_F(JetEmailStateTest, EvictsAfterRetentionAndKeepsCounters) {
  state.ApplyPage({MakeEntry("u5", "queued")}, kStart);
  state.ApplyPage({MakeEntry("u6", "queued")}, kStart + 23h);
  state.Evict(kStart + 24h + 1s);
  EXPECT_EQ(state.tracked(), 1u);
  EXPECT_EQ(Count(m::kJetMessages, {"main", "example.com", "queued"}), 1) << "the gauge follows eviction";
  EXPECT_EQ(Count(m::kJetMessagesTotal, {"main", "example.com", "queued"}), 2) << "counters never go down";
}

TEST_F(JetEmailStateTest, FoldsLabelValuesPastTheLimit) {
  JetEmailState small(JetEmailStateOptions{"main", 24h, 2, 1'000'000});
  std::vector<events::InboundSighting> entries;
  for (const char* s : {"a", "b", "c", "d"}) entries.push_back(MakeEntry(std::string("u-") + s, s));
  small.ApplyPage(entries, kStart);
  m::MetricSet out;
  AddJetEmailSeries(small, out);
  EXPECT_EQ(out.Value(m::kJetMessagesTotal, {"main", "example.com", "a"}), 1);
  EXPECT_EQ(out.Value(m::kJetMessagesTotal, {"main", "example.com", "b"}), 1);
  EXPECT_EQ(out.Value(m::kJetMessagesTotal, {"main", "example.com", "other"}), 2);
  EXPECT_EQ(out.Value(m::kLabelOverflowTotal, {"jetemail", "main", "status"}), 2);
}

}  // namespace
}  // namespace ele
