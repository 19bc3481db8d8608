#include "exporter/metrics/exposition.h"

#include <prometheus/text_serializer.h>

#include <limits>
#include <sstream>

namespace ele::metrics {
namespace {

prometheus::MetricType TypeOf(Kind kind) {
  switch (kind) {
    case Kind::kCounter: return prometheus::MetricType::Counter;
    case Kind::kGauge: return prometheus::MetricType::Gauge;
    case Kind::kHistogram: return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

prometheus::ClientMetric ToClientMetric(const Desc& desc, const LabelValues& labels, const Series& series) {
  prometheus::ClientMetric m;
  for (size_t i = 0; i < desc.labels.size() && i < labels.size(); ++i) {
    m.label.push_back({std::string(desc.labels[i]), labels[i]});
  }
  switch (desc.kind) {
    case Kind::kCounter: m.counter.value = series.value; break;
    case Kind::kGauge: m.gauge.value = series.value; break;
    case Kind::kHistogram: {
      std::uint64_t cumulative = 0;
      for (size_t i = 0; i < series.bucket_counts.size(); ++i) {
        cumulative += series.bucket_counts[i];
        const double bound = i < desc.buckets.size() ? desc.buckets[i] : std::numeric_limits<double>::infinity();
        m.histogram.bucket.push_back({cumulative, bound});
      }
      m.histogram.sample_count = series.count;
      m.histogram.sample_sum = series.sum;
      break;
    }
  }
  return m;
}

}  // namespace

std::vector<prometheus::MetricFamily> ToFamilies(std::span<const MetricSet* const> sets) {
  std::vector<prometheus::MetricFamily> out;
  for (const Desc* desc : All()) {
    prometheus::MetricFamily family{std::string(desc->name), std::string(desc->help), TypeOf(desc->kind), {}};
    for (const MetricSet* set : sets) {
      const MetricSet::Family* series = set->Find(*desc);
      if (series == nullptr) continue;
      for (const auto& [labels, value] : *series) family.metric.push_back(ToClientMetric(*desc, labels, value));
    }
    if (!family.metric.empty()) out.push_back(std::move(family));
  }
  return out;
}

std::string RenderText(std::span<const MetricSet* const> sets) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, ToFamilies(sets));
  return out.str();
}

}  // namespace ele::metrics
