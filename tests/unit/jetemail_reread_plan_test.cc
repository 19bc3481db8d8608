// The two halves of JetEmail's in-flight re-reads, without HTTP: which open
// messages a cycle must cover (OpenRecheckPlan) and the cheapest arrival
// ranges that cover them (PlanArrivalRanges).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "exporter/providers/jetemail/arrival_range_plan.h"
#include "exporter/providers/jetemail/open_recheck_plan.h"

namespace ele::jetemail {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

const std::int64_t kNowMs = 1'767'225'600'000;

// Tracked messages at the given arrival times (ms), one domain group: the
// counter a real state would answer with.
ArrivalCounter CounterOf(const std::vector<std::int64_t>& tracked, int groups = 1) {
  return [=](const std::vector<std::int64_t>& bounds) {
    std::vector<std::vector<std::int64_t>> counts(static_cast<size_t>(groups), std::vector<std::int64_t>(bounds.size() - 1, 0));
    for (const std::int64_t t : tracked) {
      for (size_t i = 0; i + 1 < bounds.size(); ++i) {
        if (t >= bounds[i] && t < bounds[i + 1]) {
          for (auto& group : counts) ++group[i];
        }
      }
    }
    return counts;
  };
}

// `n` messages evenly over [from_ms, to_ms).
std::vector<std::int64_t> Spread(std::int64_t from_ms, std::int64_t to_ms, int n) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(from_ms + (to_ms - from_ms) * i / n);
  return out;
}

TEST(ArrivalRangePlanTest, AClusterOfRecentMessagesIsReadAsOneRange) {
  // 500 messages in the hour 3 h ago; 40 of them still open.
  const std::int64_t from = kNowMs - 3 * 3'600'000, to = from + 3'600'000;
  const auto tracked = Spread(from, to, 500);
  std::vector<std::int64_t> open;
  for (size_t i = 0; i < tracked.size(); i += 12) open.push_back(tracked[i]);
  RangePlanOptions options;
  options.allowance = 10;
  const RangePlan plan = PlanArrivalRanges(open, options, CounterOf(tracked));
  ASSERT_EQ(plan.ranges.size(), 1u) << "one page holds the whole cluster";
  EXPECT_EQ(plan.requests, 1);
  EXPECT_EQ(plan.covered, open.size());
  EXPECT_LE(plan.ranges[0].from_ms(), open.front());
  EXPECT_GE(plan.ranges[0].to_ms(), open.back() + 1);
}

TEST(ArrivalRangePlanTest, IsolatedOldMessagesGetNarrowWindowsAndGroupsPayEach) {
  // 20,000 messages over 22 h; two open ones 11 h apart: one range between
  // them would be 10 pages per group, two narrow ones are one page each.
  const auto tracked = Spread(kNowMs - 22 * 3'600'000, kNowMs, 20'000);
  const std::vector<std::int64_t> open = {kNowMs - 22 * 3'600'000 + 1'234, kNowMs - 11 * 3'600'000};
  RangePlanOptions options;
  options.allowance = 100;
  const RangePlan plan = PlanArrivalRanges(open, options, CounterOf(tracked, 2));
  ASSERT_EQ(plan.ranges.size(), 2u);
  EXPECT_EQ(plan.requests, 4) << "two ranges, two domain groups";
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(plan.ranges[i].to_s - plan.ranges[i].from_s, 2 * options.margin_s);
    EXPECT_EQ(plan.ranges[i].from_s, open[i] / 1000 - options.margin_s);
  }
}

TEST(ArrivalRangePlanTest, MergingStopsWhereSeparateReadsAreCheaper) {
  // Two clusters of open messages 6 h apart on a busy account: each cluster
  // one range, not one range over the 5,000 messages between them.
  const auto tracked = Spread(kNowMs - 12 * 3'600'000, kNowMs, 10'000);
  std::vector<std::int64_t> open;
  for (int i = 0; i < 5; ++i) open.push_back(kNowMs - 10 * 3'600'000 + i * 60'000);
  for (int i = 0; i < 5; ++i) open.push_back(kNowMs - 4 * 3'600'000 + i * 60'000);
  RangePlanOptions options;
  options.allowance = 100;
  const RangePlan plan = PlanArrivalRanges(open, options, CounterOf(tracked));
  ASSERT_EQ(plan.ranges.size(), 2u);
  EXPECT_EQ(plan.requests, 2);
}

TEST(ArrivalRangePlanTest, AnAllowanceCoversTheMostUrgentFirstAndAtLeastOne) {
  const auto tracked = Spread(kNowMs - 22 * 3'600'000, kNowMs, 20'000);
  const auto open = Spread(kNowMs - 22 * 3'600'000, kNowMs - 3'600'000, 200);  // most urgent first
  RangePlanOptions options;
  options.allowance = 3;
  const RangePlan plan = PlanArrivalRanges(open, options, CounterOf(tracked));
  EXPECT_LE(plan.requests, 3);
  EXPECT_GT(plan.covered, 3u) << "merged ranges carry more than one message each";
  EXPECT_LT(plan.covered, open.size());
  for (size_t i = 0; i < plan.covered; ++i) {
    EXPECT_TRUE(std::ranges::any_of(plan.ranges, [&](const ArrivalRange& r) { return open[i] >= r.from_ms() && open[i] < r.to_ms(); }));
  }
  options.allowance = 0;
  EXPECT_EQ(PlanArrivalRanges(open, options, CounterOf(tracked)).covered, 0u);
  options.at_least = 1;
  const RangePlan forced = PlanArrivalRanges(open, options, CounterOf(tracked));
  EXPECT_EQ(forced.covered, 1u);
  EXPECT_EQ(forced.requests, 1);
}

JetEmailState::OpenMessage Open(std::uint64_t id, std::int64_t arrival_ms, std::int64_t first_seen_ms) {
  return {MessageKey{id, id}, arrival_ms, first_seen_ms};
}

TEST(OpenRecheckPlanTest, PeriodIsATenthOfTheAgeBetweenTwoIntervalsAndFifteenMinutes) {
  const OpenRecheckPlan plan(5s);
  EXPECT_EQ(plan.Period(30s), 10s);
  EXPECT_EQ(plan.Period(300s), 30s);
  EXPECT_EQ(plan.Period(2h), 12min);
  EXPECT_EQ(plan.Period(22h), 15min);
  const OpenRecheckPlan slow(10min);
  EXPECT_EQ(slow.Period(22h), 15min) << "never later than 15 minutes";
}

TEST(OpenRecheckPlanTest, FreshMessagesAreDueEveryCycleAndOldOnesByTheirDeadline) {
  OpenRecheckPlan plan(5s);
  const TimePoint now = FromUnixMillis(kNowMs);
  plan.Track({Open(1, kNowMs - 12'000, kNowMs - 10'000), Open(2, kNowMs - 22 * 3'600'000, kNowMs)});
  const auto first = plan.Candidates(now, kNowMs, 5s);
  ASSERT_EQ(first.size(), 1u) << "the old one was just read";
  EXPECT_EQ(first[0].arrival_ms, kNowMs - 12'000);
  EXPECT_TRUE(first[0].must);
  plan.MarkRead(kNowMs - 13'000, kNowMs - 11'000, now);
  EXPECT_EQ(plan.Candidates(now + 5s, kNowMs, 5s).size(), 1u) << "fresh: every cycle, though read";
  // The old one: not before its deadline comes within a cycle (15 min).
  EXPECT_EQ(plan.Candidates(now + 14min, kNowMs - 60'000, 5s).size(), 0u);
  const auto early = plan.Candidates(now + 14min + 51s, kNowMs - 60'000, 5s);
  ASSERT_EQ(early.size(), 1u);
  EXPECT_FALSE(early[0].must) << "may be read early, two cycles ahead";
  const auto due = plan.Candidates(now + 14min + 56s, kNowMs - 60'000, 5s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(due[0].must);
}

// Cycles at a 5 s interval, some of them late; every candidate that must be
// read is read. Each message goes unread at most its period, plus however
// late the cycle that read it was.
TEST(OpenRecheckPlanTest, NoMessageGoesUnreadLongerThanItsPeriodEvenWhenCyclesRunLate) {
  const milliseconds interval = 5s;
  OpenRecheckPlan plan(interval);
  std::vector<JetEmailState::OpenMessage> open;
  for (int i = 0; i < 60; ++i) open.push_back(Open(static_cast<std::uint64_t>(i + 1), kNowMs - i * 1'500'000 - 7'000, kNowMs));
  plan.Track(open);
  std::map<std::int64_t, std::int64_t> last_read;  // by arrival
  for (const auto& m : open) last_read[m.arrival_ms] = kNowMs;
  std::int64_t t = kNowMs, previous = kNowMs;
  for (int cycle = 1; cycle < 2000; ++cycle) {
    const std::int64_t late = cycle % 7 == 0 ? 3'000 : (cycle % 13 == 0 ? 9'000 : 0);
    t = previous + interval.count() + late;
    for (const auto& c : plan.Candidates(FromUnixMillis(t), kNowMs, 5s)) {
      if (!c.must) continue;
      const std::int64_t read = last_read[c.arrival_ms];
      const std::int64_t period = plan.Period(milliseconds(read - c.arrival_ms)).count();
      EXPECT_LE(t - read, period + late) << "cycle " << cycle;
      plan.MarkRead(c.arrival_ms, c.arrival_ms + 1, FromUnixMillis(t));
      last_read[c.arrival_ms] = t;
    }
    // Not due now means the next on-time cycle is still within the period.
    for (const auto& [arrival, read] : last_read) {
      EXPECT_LE(t + interval.count() - read, plan.Period(milliseconds(read - arrival)).count()) << "cycle " << cycle;
    }
    previous = t;
  }
  EXPECT_EQ(plan.CurrentAsOf(FromUnixMillis(t)), FromUnixMillis(t));
}

TEST(OpenRecheckPlanTest, CyclesThatOverrunTheIntervalMakeMessagesDueSooner) {
  OpenRecheckPlan plan(5s);
  const TimePoint now = FromUnixMillis(kNowMs);
  plan.Track({Open(1, kNowMs - 3'600'000, kNowMs)});  // read now; due again in 6 minutes
  EXPECT_TRUE(plan.Candidates(now + 5min + 40s, kNowMs - 60'000, 5s).empty());
  const auto due = plan.Candidates(now + 5min + 40s, kNowMs - 60'000, 21s);
  ASSERT_EQ(due.size(), 1u) << "cycles take 21 s: the next one would be too late";
  EXPECT_TRUE(due[0].must);
}

TEST(OpenRecheckPlanTest, AFailedReadStaysDueAndShowsAsLag) {
  OpenRecheckPlan plan(5s);
  const TimePoint now = FromUnixMillis(kNowMs);
  plan.Track({Open(1, kNowMs - 22 * 3'600'000, kNowMs - 1'200'000)});
  ASSERT_EQ(plan.Candidates(now, kNowMs, 5s).size(), 1u);
  // The read failed: nothing marked. Still due next cycle, and the rule's
  // deadline (first sighting + 15 min) is now behind.
  ASSERT_EQ(plan.Candidates(now + 5s, kNowMs, 5s).size(), 1u);
  EXPECT_EQ(plan.CurrentAsOf(now + 5s), now - 5min);
  plan.MarkRead(kNowMs - 23 * 3'600'000, kNowMs, now + 5s);
  EXPECT_EQ(plan.Candidates(now + 10s, kNowMs, 5s).size(), 0u);
  EXPECT_EQ(plan.CurrentAsOf(now + 10s), now + 10s);
}

TEST(OpenRecheckPlanTest, ForgetsClosedMessagesAndKeepsReadTimesOfOpenOnes) {
  OpenRecheckPlan plan(5s);
  const TimePoint now = FromUnixMillis(kNowMs);
  plan.Track({Open(1, kNowMs - 3'600'000, kNowMs - 1'800'000), Open(2, kNowMs - 7'200'000, kNowMs - 1'800'000)});
  plan.MarkRead(kNowMs - 3'600'000, kNowMs - 3'600'000 + 1, now);
  plan.Track({Open(1, kNowMs - 3'600'000, kNowMs - 1'800'000)});
  EXPECT_EQ(plan.size(), 1u);
  EXPECT_TRUE(plan.Candidates(now + 5s, kNowMs, 5s).empty()) << "message 1 keeps its read time";
}

}  // namespace
}  // namespace ele::jetemail
