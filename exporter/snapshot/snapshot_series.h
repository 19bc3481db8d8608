// Pieces both providers' snapshot steps share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/metrics/metric_set.h"
#include "exporter/state/count_tables.h"
#include "exporter/state/label_folder.h"

namespace ele {

// A state's histogram counts into a series of a histogram family with the
// same bounds (base/buckets.h).
void CopyHistogram(const HistogramCounts& counts, metrics::Series& series);

// The account's label-overflow counts and limit evictions.
void AddAccountLimits(std::string_view provider, const std::string& account, const OverflowCounts& overflow, std::uint64_t evictions,
                      metrics::MetricSet& out);

}  // namespace ele
