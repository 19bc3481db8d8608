#include "exporter/providers/jetemail/arrival_range_plan.h"

#include <algorithm>
#include <limits>

namespace ele::jetemail {
namespace {

std::int64_t FloorSeconds(std::int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

// Prices of ranges between the narrow windows of a fixed set of arrival
// seconds: prefix sums of the tracked messages per domain group.
class Prices {
 public:
  Prices(std::vector<std::int64_t> seconds, const RangePlanOptions& options, const ArrivalCounter& count)
      : margin_(options.margin_s), page_limit_(options.page_limit) {
    for (const std::int64_t s : seconds) {
      bounds_.push_back((s - margin_) * 1000);
      bounds_.push_back((s + margin_ + 1) * 1000);
    }
    std::sort(bounds_.begin(), bounds_.end());
    bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
    for (const auto& group : count(bounds_)) {
      std::vector<std::int64_t> sums{0};
      for (const std::int64_t n : group) sums.push_back(sums.back() + n);
      prefix_.push_back(std::move(sums));
    }
  }
  // Requests to read arrivals [first - margin, last + margin] in every group.
  int Cost(std::int64_t first_s, std::int64_t last_s) const {
    const size_t from = Index((first_s - margin_) * 1000), to = Index((last_s + margin_ + 1) * 1000);
    int requests = 0;
    for (const auto& sums : prefix_) {
      const std::int64_t entries = sums[to] - sums[from];
      requests += static_cast<int>(std::max<std::int64_t>(1, (entries + page_limit_ - 1) / page_limit_));
    }
    return std::max(requests, 1);
  }
  std::int64_t margin() const { return margin_; }

 private:
  size_t Index(std::int64_t bound_ms) const {
    return static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), bound_ms) - bounds_.begin());
  }
  std::int64_t margin_;
  std::int64_t page_limit_;
  std::vector<std::int64_t> bounds_;
  std::vector<std::vector<std::int64_t>> prefix_;  // by group
};

// The cheapest partition of `seconds` (ascending, distinct) into consecutive
// ranges. A range dearer than `cap` and than its last message alone is never
// part of a plan worth having, which bounds the search.
RangePlan Cheapest(const std::vector<std::int64_t>& seconds, const Prices& prices, int cap) {
  const size_t n = seconds.size();
  std::vector<int> best(n + 1, 0);
  std::vector<size_t> start(n + 1, 0);
  for (size_t j = 1; j <= n; ++j) {
    best[j] = std::numeric_limits<int>::max();
    const int alone = prices.Cost(seconds[j - 1], seconds[j - 1]);
    for (size_t i = j; i >= 1; --i) {
      const int cost = prices.Cost(seconds[i - 1], seconds[j - 1]);
      if (i < j && (cost >= best[j] || cost > std::max(cap, alone))) break;  // wider ranges only cost more
      if (best[i - 1] + cost < best[j]) {
        best[j] = best[i - 1] + cost;
        start[j] = i;
      }
    }
  }
  RangePlan plan;
  for (size_t j = n; j >= 1; j = start[j] - 1) {
    const size_t i = start[j];
    plan.ranges.push_back({seconds[i - 1] - prices.margin(), seconds[j - 1] + prices.margin(), prices.Cost(seconds[i - 1], seconds[j - 1])});
  }
  std::reverse(plan.ranges.begin(), plan.ranges.end());
  plan.requests = best[n];
  return plan;
}

std::vector<std::int64_t> SortedSeconds(const std::vector<std::int64_t>& arrivals_ms, size_t count) {
  std::vector<std::int64_t> seconds;
  for (size_t i = 0; i < count; ++i) seconds.push_back(FloorSeconds(arrivals_ms[i]));
  std::sort(seconds.begin(), seconds.end());
  seconds.erase(std::unique(seconds.begin(), seconds.end()), seconds.end());
  return seconds;
}

}  // namespace

RangePlan PlanArrivalRanges(const std::vector<std::int64_t>& arrivals_ms, const RangePlanOptions& options, const ArrivalCounter& count) {
  if (arrivals_ms.empty()) return {};
  const Prices prices(SortedSeconds(arrivals_ms, arrivals_ms.size()), options, count);
  auto plan_for = [&](size_t k) {
    RangePlan plan = k == 0 ? RangePlan{} : Cheapest(SortedSeconds(arrivals_ms, k), prices, options.allowance);
    plan.covered = k;
    return plan;
  };
  RangePlan plan = plan_for(arrivals_ms.size());
  if (plan.requests > options.allowance) {
    // The cheapest plan only grows with more messages: the longest prefix
    // that fits, by bisection.
    size_t fits = 0, too_many = arrivals_ms.size();
    while (too_many - fits > 1) {
      const size_t mid = fits + (too_many - fits) / 2;
      (plan_for(mid).requests <= options.allowance ? fits : too_many) = mid;
    }
    plan = plan_for(std::max(fits, std::min(options.at_least, arrivals_ms.size())));
  }
  return plan;
}

}  // namespace ele::jetemail
