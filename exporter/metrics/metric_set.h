// Values of labeled counters, gauges and histograms, keyed by descriptor and
// label values. A plain value type: the owner (one account worker) mutates
// it; a copy is an immutable snapshot for /metrics and for the state file.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "exporter/metrics/catalogue.h"

namespace ele::metrics {

using LabelValues = std::vector<std::string>;

struct Series {
  double value = 0;                           // counter and gauge
  std::vector<std::uint64_t> bucket_counts;   // histogram, non-cumulative, one per bucket + Inf
  std::uint64_t count = 0;
  double sum = 0;
};

class MetricSet {
 public:
  using Family = std::map<LabelValues, Series>;
  static_assert(std::is_nothrow_move_constructible_v<Family>, "growing families_ must not copy series");

  // Series are map nodes: a Series& stays valid until Clear() of its family
  // or the set's destruction (families_ moves its maps, never copies them).
  // Creates the series at zero when new: known label sets are exported from
  // the start so rate() and alerts see them before their first event.
  Series& At(const Desc& desc, const LabelValues& labels);
  void Inc(const Desc& desc, const LabelValues& labels, double by = 1) { At(desc, labels).value += by; }
  void Set(const Desc& desc, const LabelValues& labels, double value) { At(desc, labels).value = value; }
  void Observe(const Desc& desc, const LabelValues& labels, double value);
  // Observe() on a series already found (one of `desc`'s).
  static void ObserveInto(const Desc& desc, Series& series, double value);
  void Clear(const Desc& desc);
  // Copies every series into `out`, replacing series with the same labels.
  void CopyInto(MetricSet& out) const;
  const Family* Find(const Desc& desc) const;
  double Value(const Desc& desc, const LabelValues& labels) const;  // 0 when absent
  size_t series_count() const;

 private:
  std::vector<Family> families_;  // indexed by Desc::id
};

}  // namespace ele::metrics
