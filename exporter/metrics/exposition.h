// MetricSets -> Prometheus text format 0.0.4, through prometheus-cpp's
// serializer. Families are merged across sets (one set per account) in
// catalogue order; families without series are left out.
#pragma once

#include <span>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "exporter/metrics/metric_set.h"

namespace ele::metrics {

std::vector<prometheus::MetricFamily> ToFamilies(std::span<const MetricSet* const> sets);
std::string RenderText(std::span<const MetricSet* const> sets);

}  // namespace ele::metrics
