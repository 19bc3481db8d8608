// The cheapest set of arrival ranges that re-reads a set of messages.
//
// A read of an arrival range costs, per domain group, one request per page
// of 1,000 entries and at least one; the exporter knows the arrival time of
// every tracked message, so it can price any range before reading it. Each
// message gets a narrow range around its arrival (the API's filter is in
// whole seconds, both ends inclusive; kMarginS either side also absorbs a
// difference between the API's date of a message and its earliest action's);
// neighbours are joined where one range costs less than separate ones: a
// cluster of recent messages becomes one range, an isolated old message keeps
// its narrow window. Among the partitions of the messages, by arrival, into
// consecutive ranges, the plan is the cheapest (dynamic programming over the
// sorted arrivals).
//
// Under a request allowance, the plan covers the longest prefix of the
// candidates (most urgent first) whose cheapest plan fits; the rest wait for a
// later cycle.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace ele::jetemail {

struct ArrivalRange {
  std::int64_t from_s = 0, to_s = 0;  // date_from and date_to: arrivals in [from_s, to_s] seconds
  int requests = 0;                   // estimated, over every domain group
  std::int64_t from_ms() const { return from_s * 1000; }
  std::int64_t to_ms() const { return (to_s + 1) * 1000; }  // exclusive
};

struct RangePlan {
  std::vector<ArrivalRange> ranges;  // by arrival
  int requests = 0;                  // estimated
  size_t covered = 0;                // how many of the candidates, from the first
};

// result[g][i]: tracked messages of domain group g arriving in [bounds_ms[i],
// bounds_ms[i + 1]).
using ArrivalCounter = std::function<std::vector<std::vector<std::int64_t>>(const std::vector<std::int64_t>& bounds_ms)>;

struct RangePlanOptions {
  int allowance = 0;       // requests this plan may spend
  size_t at_least = 0;     // candidates covered even beyond the allowance (progress)
  int page_limit = 1000;   // entries a page
  std::int64_t margin_s = 30;
};

// `arrivals_ms`: the messages to re-read, most urgent first.
RangePlan PlanArrivalRanges(const std::vector<std::int64_t>& arrivals_ms, const RangePlanOptions& options, const ArrivalCounter& count);

}  // namespace ele::jetemail
