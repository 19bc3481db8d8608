// Invariants of the fake's timelines and helpers that the black-box tests
// cannot see: status dwell, score ordering, bounded memory in continuous
// mode, timestamp and query parsing.
#include "tests/fakes/fake_scenario.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_http.h"

namespace ele::fake::internal {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;
constexpr std::int64_t kDayMs = 86'400'000;

ScenarioSpec Spec() {
  ScenarioSpec spec;
  spec.seed = 99;
  spec.start_ms = kStart;
  spec.min_status_dwell_s = 10;
  spec.late_activity_s = 60;
  spec.jetemail.push_back({});
  spec.jetemail[0].message_count = 2000;
  spec.mailtrap.push_back({});
  spec.mailtrap[0].message_count = 2000;
  return spec;
}

TEST(ScenarioTest, JetEmailStatusesAreHeldForTheDwell) {
  const Scenario scenario(Spec(), kStart);
  const std::int64_t end = scenario.end_ms();
  for (const Ref& ref : scenario.jet_refs(0).Collect(kStart, end, end)) {
    const JetMessage m = scenario.Jet(0, ref);
    ASSERT_GE(m.steps.size(), 2u);
    EXPECT_EQ(m.steps[0].status, "queued");
    const double inbound_score = m.steps[0].action->spam_score;
    for (std::size_t i = 1; i < m.steps.size(); ++i) {
      EXPECT_GE(m.steps[i].at_ms - m.steps[i - 1].at_ms, 10'000) << m.uid;
      if (m.steps[i].action) {
        EXPECT_LE(m.steps[i].action->spam_score, inbound_score);
      }
    }
    EXPECT_LE(m.last_change_ms(), end);
  }
}

TEST(ScenarioTest, MailtrapStatusesAndEventsFollowTheLifecycle) {
  const Scenario scenario(Spec(), kStart);
  const std::int64_t end = scenario.end_ms();
  for (const Ref& ref : scenario.mt_refs(0).Collect(kStart, end, end)) {
    const MtMessage m = scenario.Mt(0, ref);
    EXPECT_EQ(m.statuses[0].second, "enqueued");
    for (std::size_t i = 1; i < m.statuses.size(); ++i) {
      EXPECT_GE(m.statuses[i].first - m.statuses[i - 1].first, 10'000) << m.id;
    }
    std::int64_t delivered_at = -1;
    for (std::size_t i = 0; i < m.events.size(); ++i) {
      if (i > 0) {
        EXPECT_GE(m.events[i].at_ms, m.events[i - 1].at_ms);
      }
      if (m.events[i].type == "delivery") {
        delivered_at = m.events[i].at_ms;
        EXPECT_EQ((delivered_at - m.sent_ms) % 250, 0);  // exact in binary
      }
      if (m.events[i].type == "open" || m.events[i].type == "click") {
        ASSERT_GE(delivered_at, 0) << m.id;
        EXPECT_LE(m.events[i].at_ms, delivered_at + 60'000);
      }
    }
    EXPECT_EQ(ParseUuid(m.id).value(), std::make_pair(ref.key_hi, ref.key_lo));
  }
}

TEST(ScenarioTest, ContinuousCacheStaysBounded) {
  int generated = 0;
  RefSource source(
      [&](std::int64_t slot) {
        ++generated;
        return std::vector<Ref>{Ref{kStart + slot * RefSource::kSlotMs, 1, 2, 3, 0}};
      },
      [](std::uint64_t) { return std::nullopt; }, kStart, 5 * kDayMs);
  // Ten days of a poller asking for the last hour.
  for (std::int64_t now = kStart; now < kStart + 10 * kDayMs; now += 3'600'000) {
    EXPECT_EQ(source.Collect(now - 3'600'000, now, now).size(),
              std::min<std::size_t>(61, static_cast<std::size_t>((now - kStart) / 60'000 + 1)));
  }
  EXPECT_LE(source.cached_slots(), static_cast<std::size_t>(8 * kDayMs / RefSource::kSlotMs + 1));
  const int before = generated;
  const std::int64_t now = kStart + 10 * kDayMs;
  EXPECT_EQ(source.Collect(kStart, now, now).size(), 5 * 1440u + 1);  // retention only
  EXPECT_GT(generated, before);
  EXPECT_LE(source.cached_slots(), static_cast<std::size_t>(8 * kDayMs / RefSource::kSlotMs + 1));
}

TEST(ScenarioTest, ContinuousMailtrapIdsResolveToTheirSlot) {
  ScenarioSpec spec = Spec();
  spec.continuous = true;
  const Scenario scenario(spec, kStart);
  const std::int64_t now = kStart + 3 * kDayMs;
  const std::vector<Ref> refs = scenario.mt_refs(0).Collect(now - 120'000, now, now);
  ASSERT_GT(refs.size(), 60u);
  for (const Ref& ref : refs) {
    const auto found = scenario.mt_refs(0).Find(ref.key_hi, ref.key_lo, now);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->seed, ref.seed);
  }
  EXPECT_FALSE(scenario.mt_refs(0).Find(refs[0].key_hi, refs[0].key_lo, now + 8 * kDayMs));
}

TEST(HttpHelpersTest, IsoTimestamps) {
  EXPECT_EQ(FormatIsoMs(kStart), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatIsoMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(ParseIsoMs("2023-11-14T22:13:20.000Z"), kStart);
  EXPECT_EQ(ParseIsoMs("2023-11-14T22:13:20Z"), kStart);
  EXPECT_EQ(ParseIsoMs("2023-11-14T23:13:20.5+01:00"), kStart + 500);
  EXPECT_EQ(ParseIsoMs("2023-11-14"), kStart - (22 * 3600 + 13 * 60 + 20) * 1000);
  EXPECT_EQ(ParseIsoMs("2024-02-29T00:00:00Z").value() + kDayMs,
            ParseIsoMs("2024-03-01T00:00:00Z").value());
  EXPECT_FALSE(ParseIsoMs("yesterday"));
  EXPECT_FALSE(ParseIsoMs("2023-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseIsoMs("2023-11-14T22:13:20Zjunk"));
}

TEST(HttpHelpersTest, DeepObjectQueries) {
  const Query q = Query::Parse(
      "filters%5Bstatus%5D%5Bvalue%5D%5B%5D=delivered&filters[status][value][]=opted_out"
      "&a=b+c&empty=&flag");
  EXPECT_EQ(q.All("filters[status][value][]"),
            (std::vector<std::string>{"delivered", "opted_out"}));
  EXPECT_EQ(q.Get("a"), "b c");
  EXPECT_EQ(q.Get("empty"), "");
  EXPECT_TRUE(q.Has("flag"));
  EXPECT_FALSE(q.Has("missing"));
  EXPECT_EQ(ParseInt("-12"), -12);
  EXPECT_FALSE(ParseInt("12x"));
  EXPECT_FALSE(ParseInt(""));
}

}  // namespace
}  // namespace ele::fake::internal
