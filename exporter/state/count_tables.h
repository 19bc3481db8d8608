// The plain numbers a state counts, keyed by its own interned label ids:
// no metric names, no label names. The snapshot step turns them into
// metric families; the state file stores them by the same ids.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ele {

// The values of one label, interned: an id per distinct value, in order of
// first use. Ids are what a state keeps per message and per count.
class InternedNames {
 public:
  std::uint32_t Id(const std::string& name) {
    auto [it, inserted] = ids_.try_emplace(name, static_cast<std::uint32_t>(names_.size()));
    if (inserted) names_.push_back(name);
    return it->second;
  }
  const std::string& operator[](std::uint32_t id) const { return names_[id]; }
  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> ids_;
};

// Observations over fixed bounds (base/buckets.h): one count per bucket,
// not cumulative, the last one for +Inf.
struct HistogramCounts {
  std::vector<std::uint64_t> buckets;
  std::uint64_t count = 0;
  double sum = 0;

  explicit HistogramCounts(size_t bounds = 0) : buckets(bounds + 1, 0) {}
  void Observe(std::span<const double> bounds, double value) {
    const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
    buckets[static_cast<size_t>(bucket)] += 1;
    count += 1;
    sum += value;
  }
};

// Two interned ids as one key: (domain, status), (label set, event), ...
using IdPair = std::pair<std::uint32_t, std::uint32_t>;
// Three: (route, mailbox provider, event).
using IdTriple = std::array<std::uint32_t, 3>;

}  // namespace ele
