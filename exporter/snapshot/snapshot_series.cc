#include "exporter/snapshot/snapshot_series.h"

#include "exporter/metrics/catalogue.h"

namespace ele {

namespace m = metrics;

void CopyHistogram(const HistogramCounts& counts, m::Series& series) {
  series.bucket_counts = counts.buckets;
  series.count = counts.count;
  series.sum = counts.sum;
}

void AddAccountLimits(std::string_view provider, const std::string& account, const OverflowCounts& overflow, std::uint64_t evictions,
                      m::MetricSet& out) {
  const std::string provider_label(provider);
  for (const auto& [label, n] : overflow) out.Inc(m::kLabelOverflowTotal, {provider_label, account, label}, static_cast<double>(n));
  out.Inc(m::kLimitEvictionsTotal, {provider_label, account}, static_cast<double>(evictions));
}

}  // namespace ele
